"""`cxloop deliveries retry` puts failed deliveries back in line and sends them to the notifier."""

from __future__ import annotations

import base64
import json

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from shared import task_names
from shared.enums import DeliveryStatus
from shared.models import Delivery
from shared.settings import Settings
from tests.notifier.factories import create_delivery


def _queued(redis_url: str) -> list[int]:
    ids = []
    for raw in redis.Redis.from_url(redis_url).lrange(task_names.NOTIFIER_QUEUE, 0, -1):
        args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
        ids.append(args[0])
    return sorted(ids)


def _status(sessions: sessionmaker[Session], delivery_id: int) -> str:
    with sessions() as session:
        return session.get_one(Delivery, delivery_id).status


@pytest.mark.parametrize("how", ["id", "case", "all"])
def test_deliveries_retry_requeues_only_the_chosen_failed_ones(
    sessions: sessionmaker[Session], settings: Settings, redis_url: str, how: str
) -> None:
    failed = create_delivery(sessions, status=DeliveryStatus.FAILED, last_error="gave up")
    other_failed = create_delivery(sessions, status=DeliveryStatus.FAILED)
    sent = create_delivery(sessions, status=DeliveryStatus.SENT)
    with sessions() as session:
        case_id = session.get_one(Delivery, failed).case_id
    args = {"id": ["--id", str(failed)], "case": ["--case", str(case_id)], "all": ["--all-failed"]}
    env = settings.with_(redis_url=redis_url).to_env()
    result = CliRunner().invoke(main, ["deliveries", "retry", *args[how]], env=env)
    assert result.exit_code == 0, result.output
    expected = [failed, other_failed] if how == "all" else [failed]
    assert _queued(redis_url) == expected
    assert f"requeued {len(expected)} failed deliveries" in result.output
    assert _status(sessions, failed) == "pending"
    assert _status(sessions, other_failed) == ("pending" if how == "all" else "failed")
    assert _status(sessions, sent) == "sent"


def test_deliveries_retry_wants_exactly_one_choice(settings: Settings) -> None:
    result = CliRunner().invoke(main, ["deliveries", "retry"], env=settings.to_env())
    assert result.exit_code == 2 and "exactly one" in result.output


def test_deliveries_failed_lists_only_failed_ones_with_their_error(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    failed = create_delivery(sessions, status=DeliveryStatus.FAILED, last_error="SMTP 550: no")
    create_delivery(sessions, status=DeliveryStatus.SENT)
    result = CliRunner().invoke(main, ["deliveries", "failed"], env=settings.to_env())
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith(f"{failed}\t")]
    assert "email" in line and "SMTP 550: no" in line
    assert "1 failed deliveries shown" in result.output
