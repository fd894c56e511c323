"""`cxloop deliveries retry`: put failed alert deliveries back in line after an outage."""

from __future__ import annotations

import click
from sqlalchemy import select

from shared import task_names
from shared.broker import send_ids
from shared.celery_app import create_celery
from shared.db import transaction
from shared.deliveries import requeue_failed
from shared.enums import DeliveryStatus
from shared.logs import redact
from shared.models import Delivery, utcnow
from shared.runtime import runtime
from shared.settings import Settings


@click.group()
def deliveries() -> None:
    """Operate alert deliveries."""


@deliveries.command("failed")
@click.option("--limit", type=int, default=100, show_default=True)
def failed(limit: int) -> None:
    """List failed deliveries, newest first: id, case, channel, target, attempts, last error."""
    settings = Settings.from_env()
    with runtime(settings).sessions() as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.FAILED)
            .order_by(Delivery.id.desc())
            .limit(limit)
        ).all()
    for d in rows:
        fields = (d.id, f"case {d.case_id}", d.channel, d.target, d.attempts, d.last_error or "")
        click.echo(redact("\t".join(map(str, fields))))
    click.echo(f"{len(rows)} failed deliveries shown", err=True)


@deliveries.command("retry")
@click.option("--case", "case_id", type=int, default=None, help="Every failed delivery of a case.")
@click.option("--id", "delivery_ids", type=int, multiple=True, help="A delivery id (repeatable).")
@click.option("--all-failed", is_flag=True, help="Every failed delivery.")
def retry(case_id: int | None, delivery_ids: tuple[int, ...], all_failed: bool) -> None:
    """Make failed deliveries pending again, with a fresh retry budget, and send them now."""
    if sum((case_id is not None, bool(delivery_ids), all_failed)) != 1:
        raise click.UsageError("give exactly one of --case, --id or --all-failed")
    settings = Settings.from_env()
    with transaction(runtime(settings).sessions) as session:
        ids = requeue_failed(
            session, now=utcnow(), actor="cli", delivery_ids=delivery_ids, case_id=case_id,
            all_failed=all_failed,
        )  # fmt: skip
    app = create_celery(settings)
    try:
        if len(send_ids(app, task_names.DELIVER, ids)) < len(ids):
            click.echo("broker unavailable: the delivery sweep will send them", err=True)
    finally:
        app.close()
    click.echo(f"requeued {len(ids)} failed deliveries" + (f": {ids}" if ids else ""))
