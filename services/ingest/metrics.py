"""GET /metrics for Prometheus, and the count of refused ingest requests by source and reason.

Under gunicorn every worker process writes its values to the multiprocess directory that
services.ingest.gunicorn_conf prepared, and any worker answering a scrape sums them all. The
endpoint needs a key with the `metrics-read` scope: the ingest port faces survey tools.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app
from flask.blueprints import BlueprintSetupState

from services.ingest.auth import Scope, protect
from shared import metrics, metrics_export
from shared.openapi import documented

bp = protect(Blueprint("metrics", __name__), Scope.METRICS_READ)
API_SOURCE = "api"  # the generic API's `source` is the caller's free text: never a label value


@bp.record_once
def _registry(state: BlueprintSetupState) -> None:
    state.app.extensions["cxloop.metrics"] = metrics_export.registry(
        state.app.config["CXLOOP_SETTINGS"]
    )
    metrics.expect_responses((API_SOURCE,))


@bp.get("/metrics")
@documented(
    "Prometheus metrics of every ingest process and the broker's queue depths (text format)",
    content_type="text/plain", errors=(401, 403), tag="operations",
    security=("ingestKey", "ingestKeyHeader"),
)  # fmt: skip
def scrape() -> Response:
    """Every process's counters and histograms, and the broker's queue depths."""
    body, content_type = metrics_export.exposition(current_app.extensions["cxloop.metrics"])
    return Response(body, content_type=content_type)


def count_rejections(blueprint: Blueprint, source: Callable[[], str], *, webhook: bool) -> None:
    """Count every answer of `blueprint` with a status >= 400 under `source()` and a reason."""

    def _count(response: Response) -> Response:
        if response.status_code >= 400:
            metrics.response_rejected(source(), response.status_code, webhook=webhook)
        return response

    blueprint.after_request(_count)
