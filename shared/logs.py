"""Logging setup: one JSON line per record, with ids as fields and secrets redacted."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

from shared.settings import Settings

_URL_PATH = re.compile(r"(https?://[^/\s\"']+)/[^\s\"']*")
_TOKENS = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|whsec_[A-Za-z0-9+/=]+)")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask URL paths (webhook URLs carry their secret there), Slack tokens and known secrets."""
    text = _URL_PATH.sub(r"\1/…", text)
    text = _TOKENS.sub("[redacted]", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class RedactingFilter(logging.Filter):
    """Rewrite each record's message and string extras so no secret reaches a handler."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
_DRIVERS = {"psycopg", "psycopg2", "sqlite3"}
_INPUT = re.compile(r"(invalid input (?:syntax|value) for [^:]*:).*")


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _driver_message(error: BaseException) -> str:
    """A database driver's message without what it quotes: its first line, values masked."""
    first, _, rest = str(error).partition("\n")
    first = _INPUT.sub(r"\1 [redacted]", first)
    return first + (" [details redacted]" if rest.strip() else "")


def redact_traceback(text: str, error: BaseException | None, secrets: tuple[str, ...]) -> str:
    """Mask secrets in a formatted traceback, and the row values database errors quote.

    PostgreSQL quotes the failing row (customer comments included) in its DETAIL line, and
    both the driver's error and SQLAlchemy's wrapper repeat it; each is replaced verbatim.
    """
    for item in _chain(error):
        if type(item).__module__.split(".")[0] in _DRIVERS:
            message = str(item)
            if message:
                text = text.replace(message, _driver_message(item))
    return redact(text, secrets)


class RedactingTracebacks(logging.Formatter):
    """Format exceptions with `redact_traceback`; mixed into the text and JSON formatters."""

    secrets: tuple[str, ...] = ()

    def formatException(self, ei: ExcInfo) -> str:  # type: ignore[override]
        return redact_traceback(str(super().formatException(ei)), ei[1], self.secrets)


class _Text(RedactingTracebacks):
    pass


class _Json(RedactingTracebacks, JsonFormatter):
    pass


def configure_logging(settings: Settings, *, process: str) -> None:
    """Configure the root logger once per process (never at import)."""
    handler = logging.StreamHandler()
    formatter: RedactingTracebacks
    if settings.log_format == "json":
        formatter = _Json(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "asctime": "time"},
            static_fields={"process": process},
        )
    else:
        formatter = _Text(f"%(asctime)s {process} %(levelname)s %(name)s %(message)s")
    secrets = tuple(
        str(s)
        for s in (
            settings.smtp_password,
            settings.slack_token,
            settings.slack_signing_secret,
            settings.secret_key,
            *settings.api_keys,
            *(key.split(":", 1)[1] for key in settings.api_keys if ":" in key),  # scope:key
        )
        if s
    )
    formatter.secrets = secrets
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
