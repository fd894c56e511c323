"""gunicorn's error and access logs through shared.logs: one JSON object per line, like the rest.

The access line carries the request's fields (method, path, status, bytes, duration, request id)
as JSON fields, so a log pipeline filters on them without parsing a text format. The path is
logged without its query string, which may carry cursors or filters naming people.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.config import Config
from gunicorn.glogging import Logger

from shared.logs import configure_logging
from shared.settings import Settings

REQUEST_ID = "x-request-id"


class JsonLogger(Logger):
    """gunicorn's logger with its records handed to the root handler of `configure_logging`."""

    def setup(self, cfg: Config) -> None:
        """Configure as gunicorn does, then route both of its logs through cxloop's handler."""
        super().setup(cfg)
        configure_logging(Settings.from_env(), process="ingest")
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        """Log one request with its fields as JSON fields."""
        if not self.access_log_enabled:
            return
        try:
            fields = access_fields(resp, environ, request_time)
            self.access_log.info(
                "%s %s %s %dms", fields["method"], fields["path"], fields["status"],
                fields["duration_ms"], extra=fields,
            )  # fmt: skip
        except (ValueError, TypeError, AttributeError):  # a log line never fails the request
            self.error_log.exception("could not write the access log line")


def access_fields(resp: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
    """The fields of one access line, from gunicorn's response and the WSGI environ."""
    status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
    request_id = next((v for k, v in resp.headers if k.lower() == REQUEST_ID), None)
    return {
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "protocol": environ.get("SERVER_PROTOCOL"),
        "status": int(status),
        "bytes": getattr(resp, "sent", None),
        "duration_ms": round(request_time.total_seconds() * 1000, 3),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "request_id": request_id,
    }
