"""One-click links in alert emails: signed, confirmed on a page, expiring, good for one use."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.models import ActionReceipt, User
from shared import alert_actions as aa
from shared.db import transaction
from shared.models import Case, CaseEvent, TouchpointCorrection
from tests.desk.conftest import NOW, World

SECRET = "test-secret"  # the desk app's secret key in these tests


def link(case_id: int, action: str = aa.ACKNOWLEDGE, email: str = "dora@example.com") -> str:
    return "/actions/" + aa.sign_link(SECRET, case_id=case_id, action=action, email=email)


def state(sessions: sessionmaker[Session], case_id: int) -> tuple[Any, ...]:
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        events = s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
        )
        receipts = s.scalar(select(func.count()).select_from(ActionReceipt))
        return (case.status, case.assignee_id, case.acknowledged_at, case.snoozed_until,
                events, receipts)  # fmt: skip


def confirm(client: FlaskClient, path: str, **form: str) -> Any:
    """Open the link's page and press its confirm button, as a person would."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(path, data={"csrf_token": token.group(1), **form})


def test_opening_a_link_changes_nothing_and_confirming_acts_once(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    path = link(world.delivery_case)
    before = state(sessions, world.delivery_case)
    for _ in range(3):  # a mail scanner, a preview, the person
        page = client.get(path)
        assert page.status_code == 200
        assert f"Acknowledge: case #{world.delivery_case}?" in page.text
        assert "Courier threw the parcel over the fence" in page.text
    assert state(sessions, world.delivery_case) == before

    done = confirm(client, path)
    assert done.status_code == 200
    assert f"Done: you acknowledged case #{world.delivery_case}." in done.text
    with sessions() as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None and (case.status, case.acknowledged_at) == ("acknowledged", NOW)
        actor = s.scalar(select(CaseEvent.actor).where(CaseEvent.action == "acknowledge"))
        assert actor == "dora@example.com"

    after = state(sessions, world.delivery_case)
    again = client.get(path)
    assert again.status_code == 410 and "already used" in again.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    reuse = client.post(path, data={"csrf_token": token.group(1)})
    assert reuse.status_code == 410
    assert state(sessions, world.delivery_case) == after


def test_take_snooze_and_touchpoint_links(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    assert confirm(client, link(world.delivery_case, aa.SNOOZE_HOUR)).status_code == 200
    assert confirm(client, link(world.delivery_case, aa.TAKE)).status_code == 200
    page = client.get(link(world.delivery_case, aa.TOUCHPOINT))
    assert '<option value="billing">billing</option>' in page.text
    assert '<option value="delivery">' not in page.text  # where it already is
    moved = confirm(client, link(world.delivery_case, aa.TOUCHPOINT), touchpoint="billing")
    assert moved.status_code == 200 and "being moved to touchpoint billing" in moved.text
    with sessions() as s:
        case = s.get(Case, world.delivery_case)
        dora = s.scalar(select(User).where(User.email == "dora@example.com"))
        assert case is not None and dora is not None
        assert case.assignee_id == dora.id and case.status == "acknowledged"
        assert case.snoozed_until is not None and case.snoozed_until > NOW
        corrections = s.scalars(select(TouchpointCorrection.to_touchpoint)).all()
        assert corrections == ["billing"]


def expired(case_id: int) -> str:
    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 4 * 86_400

    old = URLSafeTimedSerializer(SECRET, salt=aa.SALT, signer=Yesterday)
    data = {"c": case_id, "a": aa.ACKNOWLEDGE, "e": "dora@example.com", "n": "n1"}
    return "/actions/" + str(old.dumps(data))


@pytest.mark.parametrize(
    ("make", "code", "said"),
    [
        (lambda w: expired(w.delivery_case), 410, "expired"),
        (lambda w: link(w.delivery_case)[:-3] + "abc", 400, "not valid"),
        (
            lambda w: (
                "/actions/"
                + aa.sign_link(
                    "another-secret",
                    case_id=w.delivery_case,
                    action="acknowledge",
                    email="dora@example.com",
                )
            ),
            400,
            "not valid",
        ),
        (lambda w: link(999_999), 404, "not found"),
        (lambda w: link(w.store_case), 404, "not found"),  # dora cannot see the stores' case
        (lambda w: link(w.delivery_case, email="vic@example.com"), 403, "may not change"),
        (lambda w: link(w.delivery_case, email="ghost@example.com"), 403, "not an active"),
    ],
)
def test_bad_links_show_why_and_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session],
    make: Any, code: int, said: str,
) -> None:  # fmt: skip
    path = make(world)
    before = [state(sessions, world.delivery_case), state(sessions, world.store_case)]
    page = client.get(path)
    assert page.status_code == code and said in page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    posted = client.post(path, data={"csrf_token": token.group(1)})
    assert posted.status_code == code and said in posted.text
    assert [state(sessions, world.delivery_case), state(sessions, world.store_case)] == before


def test_wrong_state_bad_touchpoint_and_missing_csrf_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None
        case.status, case.acknowledged_at = "acknowledged", NOW
    before = state(sessions, world.delivery_case)
    page = client.get(link(world.delivery_case))
    assert page.status_code == 409 and "no longer applies" in page.text

    assert client.post(link(world.delivery_case, aa.TAKE)).status_code == 400  # no CSRF token
    bad = confirm(client, link(world.delivery_case, aa.TOUCHPOINT), touchpoint="spaceport")
    assert bad.status_code == 422 and "unknown touchpoint" in bad.text
    assert state(sessions, world.delivery_case) == before


def test_a_link_is_refused_once_the_case_is_closed_even_if_unused(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    path = link(world.delivery_case, aa.SNOOZE_TOMORROW)
    page = client.get(path)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token is not None
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None
        case.status = "closed"
    before = state(sessions, world.delivery_case)
    posted = client.post(path, data={"csrf_token": token.group(1)})
    assert posted.status_code == 409 and "cannot snooze a case that is closed" in posted.text
    assert state(sessions, world.delivery_case) == before
