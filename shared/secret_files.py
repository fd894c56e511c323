"""Secrets generated on first start of the embedded default, kept in 0600 files."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.private import FILE_MODE, private_dir
from shared.settings import Settings


def read_or_create(path: Path, *, create: bool, nbytes: int = 32) -> str | None:
    """Return the secret in `path`; create a random one first if allowed; None if absent."""
    if not path.exists():
        if not create:
            return None
        _write_private(path, secrets.token_urlsafe(nbytes))
    return path.read_text(encoding="utf-8").strip()


SECRET_FILE = "secret-key"


class MissingSecretKey(RuntimeError):
    """Sessions need a secret key and none is configured where one must be."""


def secret_key(settings: Settings) -> str:
    """Return the session-signing key: configured, or a 0600 file in the embedded default."""
    if settings.secret_key:
        return str(settings.secret_key)
    path = settings.data_dir / SECRET_FILE
    key = read_or_create(path, create=not settings.database_url, nbytes=48)
    if not key:
        raise MissingSecretKey(
            "no secret key: set CXLOOP_SECRET_KEY (the same for every web process) "
            f"or put one in {path}"
        )
    return key


def _write_private(path: Path, text: str) -> None:
    """Create the file atomically with 0600 permissions; a concurrent creator wins."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process created it first; every process then reads the same secret
    finally:
        tmp.unlink()
