"""The ceiling for the ingest benchmark: a bare Flask app that only pushes the raw body to Redis.

Served by the same gunicorn settings as cxloop's ingest (`services.ingest.gunicorn_conf`), so the
difference between the two is what cxloop does per request: authenticate, validate, commit,
enqueue.
"""

from __future__ import annotations

import redis
from flask import Flask, request

from shared.settings import Settings

CEILING_LIST = "bench:ceiling"


def create_app() -> Flask:
    """Build the bare app on the configured Redis."""
    settings = Settings.from_env()
    client = redis.Redis.from_url(settings.effective_redis_url)
    app = Flask(__name__)

    @app.post("/v1/responses")
    def push() -> tuple[dict[str, str], int]:
        client.lpush(CEILING_LIST, request.get_data())
        return {"status": "accepted"}, 202

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
