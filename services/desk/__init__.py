"""The case desk: where champions and owners work the cases the router opened.

`init_app(app)` adds it to a Flask app built with `CXLOOP_SETTINGS` (the ingest app does this):
JSON API under /v1/desk and /v1/cases/<id>/<action>, web pages, /openapi.json, Slack
interactivity at /v1/slack/interactions, alert emails' action links at /actions/<token>, and
the customers' follow-up answer pages at /follow-up/<token>.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from shared.secret_files import read_or_create
from shared.settings import Settings

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


def init_app(app: Flask) -> None:
    """Wire the desk into an app: resources, login, CSRF, secure cookies, blueprints."""
    import redis
    from celery import Celery

    # people_api and people_pages add their routes to the views and pages blueprints.
    from services.desk import (  # noqa: F401
        answers,
        context,
        links,
        openapi,
        pages,
        people_api,
        people_pages,
        slack,
        views,
    )  # fmt: skip
    from services.desk.config import desk_config
    from services.desk.headers import add_security_headers
    from services.desk.throttle import LoginThrottle, Policy
    from services.ingest.urls import bound_int_converter
    from shared.celery_app import create_celery
    from shared.runtime import runtime

    settings: Settings = app.config["CXLOOP_SETTINGS"]
    desk_config(settings.desk_file)  # a bad desk file fails at start, naming file and key
    secure = settings.public_url.startswith("https://")
    app.config.update(
        SECRET_KEY=app.config.get("SECRET_KEY") or secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=secure,
        WTF_CSRF_CHECK_DEFAULT=False,  # the desk's pages check it; the machine API uses tokens
        WTF_CSRF_TIME_LIMIT=None,
    )
    celery: Celery = create_celery(settings)
    throttle = LoginThrottle(
        redis.Redis.from_url(
            settings.effective_redis_url, socket_connect_timeout=1, socket_timeout=1
        ),
        Policy.from_settings(settings),
    )
    app.extensions["desk"] = context.Desk(
        settings=settings, sessions=runtime(settings).sessions, celery=celery, throttle=throttle
    )
    app.extensions["desk_csrf"] = CSRFProtect(app)
    app.teardown_appcontext(context.close_db)
    app.after_request(add_security_headers)  # every response: pages, errors, API, redirects
    pages.init_login(app)
    bound_int_converter(app)  # case ids beyond the id column are 404, not a database error
    app.register_blueprint(views.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(slack.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(answers.bp)
