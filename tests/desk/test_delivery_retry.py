"""A failed alert shows on the case page with a retry button for those who may change the case."""

from __future__ import annotations

import base64
import json

import redis
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.db import transaction
from shared.enums import DeliveryStatus
from shared.models import CaseEvent, Delivery
from tests.desk.conftest import World
from tests.desk.test_pages import csrf, log_in


def _failed_delivery(sessions: sessionmaker[Session], case_id: int) -> int:
    with transaction(sessions) as session:
        delivery = Delivery(
            case_id=case_id, receiver="delivery-team", channel="email", target="lead@example.com",
            status=DeliveryStatus.FAILED, attempts=9, last_error="gave up after 9 attempts: 451",
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        return delivery.id


def _queued(redis_url: str) -> list[int]:
    """Delivery ids of the `notifier.deliver` tasks waiting in the notifier queue."""
    ids = []
    for raw in redis.Redis.from_url(redis_url).lrange(task_names.NOTIFIER_QUEUE, 0, -1):
        args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
        ids.append(args[0])
    return ids


def test_a_champion_retries_a_failed_alert_from_the_case_page(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], redis_url: str
) -> None:
    delivery_id = _failed_delivery(sessions, world.delivery_case)
    log_in(client, "champ@example.com")
    page = client.get(f"/cases/{world.delivery_case}").text
    action = f"/cases/{world.delivery_case}/deliveries/{delivery_id}/retry"
    assert action in page and "gave up after 9 attempts" in page
    assert client.post(action).status_code == 400  # no CSRF token
    token = csrf(client, f"/cases/{world.delivery_case}")
    assert client.post(action, data={"csrf_token": token}).status_code == 303
    with sessions() as session:
        delivery = session.get_one(Delivery, delivery_id)
        assert (delivery.status, delivery.retry_from) == ("pending", None)
        event = session.scalars(
            select(CaseEvent).where(CaseEvent.action == "delivery_requeued")
        ).one()
    assert event.actor == "champ@example.com"
    assert _queued(redis_url) == [delivery_id]
    again = client.post(action, data={"csrf_token": token})  # no longer failed: nothing happens
    assert again.status_code == 303 and _queued(redis_url) == [delivery_id]


def test_a_viewer_sees_no_retry_button_and_cannot_retry(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], redis_url: str
) -> None:
    delivery_id = _failed_delivery(sessions, world.delivery_case)
    log_in(client, "vic@example.com")
    action = f"/cases/{world.delivery_case}/deliveries/{delivery_id}/retry"
    assert action not in client.get(f"/cases/{world.delivery_case}").text
    token = csrf(client, "/queue")
    assert client.post(action, data={"csrf_token": token}).status_code == 403
    with sessions() as session:
        assert session.get_one(Delivery, delivery_id).status == "failed"
    assert _queued(redis_url) == []
