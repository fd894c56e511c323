"""Logging setup: one JSON line per record, with ids as fields and secrets redacted."""

from __future__ import annotations

import logging
import re

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


def configure_logging(settings: Settings, *, process: str) -> None:
    """Configure the root logger once per process (never at import)."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "asctime": "time"},
                static_fields={"process": process},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {process} %(levelname)s %(name)s %(message)s")
        )
    secrets = tuple(
        str(s)
        for s in (
            settings.smtp_password,
            settings.slack_token,
            settings.secret_key,
            *settings.api_keys,
            *(key.split(":", 1)[1] for key in settings.api_keys if ":" in key),  # scope:key
        )
        if s
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
