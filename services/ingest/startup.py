"""The ingest service's start-up check: no placeholder or short secret outside the embedded default.

It covers every secret the web process uses: the session key, the API keys, the webhook
signing secrets the sources file names, and Slack's signing secret. The embedded default
generates its own and is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.ingest.auth import parse_api_keys
from services.ingest.sources.config import load_sources
from shared.routes_file import touchpoint_names
from shared.safety import MIN_WEBHOOK_SECRET_BYTES, SecretValue, require_safe
from shared.settings import Settings


def secrets_in_use(settings: Settings, environ: Mapping[str, str]) -> list[SecretValue]:
    """Every configured secret of the web process, named by the variable it comes from."""
    found = []
    if settings.secret_key:
        found.append(SecretValue("CXLOOP_SECRET_KEY", str(settings.secret_key)))
    found += [SecretValue("CXLOOP_API_KEYS", str(k.key)) for k in parse_api_keys(settings.api_keys)]
    if settings.slack_signing_secret:  # Slack generates it: a vendor secret's minimum applies
        found.append(SecretValue("CXLOOP_SLACK_SIGNING_SECRET", str(settings.slack_signing_secret),
                                 MIN_WEBHOOK_SECRET_BYTES))  # fmt: skip
    for source in load_sources(settings.sources_file, environ).by_name.values():
        found += [
            SecretValue(name, environ[name], MIN_WEBHOOK_SECRET_BYTES)
            for name in source.secrets_env
            if environ.get(name)
        ]
    return found


def check_secrets(settings: Settings, environ: Mapping[str, str]) -> None:
    """Refuse placeholder or short secrets unless this is the embedded default."""
    if not settings.embedded:
        require_safe(secrets_in_use(settings, environ))


def check_config_files(settings: Settings, environ: Mapping[str, str]) -> None:
    """Read every file ingest uses: a bad one stops it with file, key and reason.

    The sources file (webhooks and imports) and the routing file's touchpoints (where a champion
    may move a case). `cxloop.web.check_config_files` adds the desk file.
    """
    load_sources(settings.sources_file, environ)
    touchpoint_names(settings.routes_file)
