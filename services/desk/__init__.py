"""The case desk: where champions and owners work the cases the router opened.

`init_app(app)` adds it to a Flask app built with `CXLOOP_SETTINGS` (cxloop/web.py does this):
JSON API under /v1/desk and /v1/cases/<id>/<action>, web pages, /openapi.json, Slack
interactivity at /v1/slack/interactions, alert emails' action links at /actions/<token>, and
the customers' follow-up answer pages at /follow-up/<token>.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from shared.secret_files import secret_key
from shared.settings import Settings


def init_app(app: Flask) -> None:
    """Wire the desk into an app: resources, login, CSRF, secure cookies, blueprints."""
    import redis
    from celery import Celery

    # incident_api and people_api add their routes to the views blueprint, the *_pages modules
    # theirs to the pages blueprint.
    from services.desk import (  # noqa: F401
        answers,
        case_pages,
        context,
        dashboard_pages,
        incident_api,
        incident_pages,
        links,
        pages,
        people_api,
        people_pages,
        queue_pages,
        silence_pages,
        slack,
        views,
    )  # fmt: skip
    from services.desk.config import desk_config
    from services.desk.headers import add_security_headers
    from services.desk.throttle import LoginThrottle, Policy
    from shared import openapi
    from shared.celery_app import create_celery
    from shared.runtime import runtime
    from shared.urls import bound_int_converter

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
