"""The answer page: a GET records nothing, a POST records once, bad links change nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from shared.db import transaction
from shared.followups import links
from shared.followups.models import FollowUp, FollowUpCustomer
from shared.models import CaseEvent
from shared.settings.files import EXAMPLE_DESK
from tests.desk.conftest import NOW, World, auth
from tests.desk.factories import T0, resolved_case
from tests.desk.test_pages import log_in

SECRET = "test-secret"
CONFIG = load_desk_config(EXAMPLE_DESK).follow_up


def sent_follow_up(sessions: sessionmaker[Session], **fields: Any) -> int:
    """A resolved case whose question went out."""
    with transaction(sessions) as session:
        _case, follow_up = resolved_case(session, CONFIG, respondent_id="cust-1", **fields)
        follow_up.status, follow_up.sent_at, follow_up.target = "sent", T0, "ann@example.com"
        return follow_up.id


def answer_path(follow_up_id: int, secret: str = SECRET) -> str:
    return "/follow-up/" + links.sign(secret, follow_up_id=follow_up_id, kind=links.ANSWER)


def opt_out_path(follow_up_id: int) -> str:
    token = links.sign(SECRET, follow_up_id=follow_up_id, kind=links.OPT_OUT)
    return f"/follow-up/{token}/opt-out"


def expired(follow_up_id: int, kind: str, days: int) -> str:
    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - days * 86_400

    old = URLSafeTimedSerializer(SECRET, salt=links.SALT, signer=LongAgo)
    return f"/follow-up/{old.dumps({'f': follow_up_id, 'k': kind})}"


def state(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything an answer or an opt-out could change."""
    with sessions() as s:
        follow_ups = s.execute(
            select(FollowUp.id, FollowUp.status, FollowUp.score, FollowUp.satisfied,
                   FollowUp.answered_at).order_by(FollowUp.id)
        ).all()  # fmt: skip
        customers = s.execute(
            select(FollowUpCustomer.key, FollowUpCustomer.opted_out_at).order_by("key")
        ).all()
        events = s.scalar(select(func.count()).select_from(CaseEvent))
        return (tuple(follow_ups), tuple(customers), events)


def csrf_of(page_text: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page_text)
    assert match, page_text[:500]
    return match.group(1)


def test_resolving_a_case_schedules_its_one_follow_up_shown_on_the_case(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}", auth(world, "champion")
    client.post(f"{url}/contacts", json={"channel": "phone", "outcome": "reached"},
                headers=headers)  # fmt: skip
    client.post(f"{url}/start", headers=headers)
    resolve = {"root_cause": "carrier_delay", "resolution_note": "Re-sent"}
    body = client.post(f"{url}/resolve", json=resolve, headers=headers).json
    assert body["follow_up"] == {
        "status": "scheduled", "due_at": (NOW + timedelta(days=1)).isoformat(), "sent_at": None,
        "answered_at": None, "score": None, "scale": "0-10", "satisfied": None,
        "detractor_before": True, "reason": None,
    }  # fmt: skip
    client.post(f"{url}/reopen", json={"reason": "wrote again", "to": "in_progress"},
                headers=headers)  # fmt: skip
    body = client.post(f"{url}/resolve", json=resolve, headers=headers).json
    assert body["follow_up"]["status"] == "scheduled"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_opening_the_link_records_nothing_and_pressing_a_number_records_it_once(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    follow_up_id = sent_follow_up(sessions)
    path = answer_path(follow_up_id)
    before = state(sessions)
    for _ in range(3):  # a link scanner, a preview, the customer
        page = client.get(path)
        assert page.status_code == 200
        assert "Did we fix it?" in page.text and page.headers["Cache-Control"] == "no-store"
        assert page.text.count('name="score"') == 11
    chosen = client.get(f"{path}?score=8")
    assert 'value="8" class="chosen" aria-pressed="true"' in chosen.text
    assert state(sessions) == before

    done = client.post(path, data={"csrf_token": csrf_of(chosen.text), "score": "8"})
    assert done.status_code == 200 and "your answer was recorded" in done.text
    with sessions() as s:
        follow_up = s.get(FollowUp, follow_up_id)
        assert follow_up is not None
        assert (follow_up.status, follow_up.score, follow_up.satisfied) == ("answered", 8, True)
        assert follow_up.answered_at == NOW
        event = s.scalars(select(CaseEvent).order_by(CaseEvent.id.desc())).first()
        assert event is not None and (event.action, event.actor) == (
            "follow_up_answered",
            "customer",
        )
        assert event.detail == {"score": 8, "scale": "0-10", "satisfied": True,
                                "detractor_before": True}  # fmt: skip
    after = state(sessions)
    again = client.post(path, data={"csrf_token": csrf_of(chosen.text), "score": "2"})
    assert again.status_code == 410 and "already answered" in again.text
    assert client.get(path).status_code == 410
    assert state(sessions) == after

    with sessions() as s:
        case_id = s.scalar(select(FollowUp.case_id).where(FollowUp.id == follow_up_id))
    case = client.get(f"/v1/desk/cases/{case_id}", headers=auth(world, "champion"))
    assert case.json["follow_up"]["score"] == 8
    sentences = [e["text"] for e in case.json["timeline"]]
    assert "The customer answered: did we fix it? 8 on 0-10 (satisfied)" in sentences
    log_in(client, "champ@example.com")
    page = client.get(f"/cases/{case_id}").text
    assert "The customer answered 8 on 0-10 (satisfied)" in page


@pytest.mark.parametrize(
    ("make", "code", "said"),
    [
        (lambda i: expired(i, links.ANSWER, days=15), 410, "this link has expired"),
        (lambda i: answer_path(i)[:-3] + "abc", 400, "not valid"),
        (lambda i: answer_path(i, secret="another-secret"), 400, "not valid"),
        (lambda i: opt_out_path(i).removesuffix("/opt-out"), 400, "not valid"),  # wrong kind
        (lambda i: answer_path(i + 1000), 404, "no longer exists"),
        (lambda i: "/follow-up/" + "A" * 5000, 400, "not valid"),
    ],
)
def test_a_refused_link_says_why_and_changes_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], make: Any, code: int,
    said: str,
) -> None:  # fmt: skip
    follow_up_id = sent_follow_up(sessions)
    path = make(follow_up_id)
    token = csrf_of(client.get(answer_path(follow_up_id)).text)
    before = state(sessions)
    for response in (client.get(path), client.post(path, data={"csrf_token": token, "score": "9"})):
        assert response.status_code == code
        assert said in response.text and 'role="alert"' in response.text
    assert state(sessions) == before


def test_a_question_not_sent_takes_no_answer(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        follow_up_id = resolved_case(session, CONFIG)[1].id  # scheduled, not sent yet
    before = state(sessions)
    response = client.get(answer_path(follow_up_id))
    assert response.status_code == 404 and "not open for answers" in response.text
    assert state(sessions) == before


@pytest.mark.parametrize(
    ("form", "code", "said"),
    [
        ({"score": "11"}, 422, "score: must be a whole number from 0 to 10"),
        ({"score": "great"}, 422, "score: must be a whole number from 0 to 10"),
        ({}, 422, "score: must be a whole number from 0 to 10"),
        ({"score": "8", "csrf_token": "forged"}, 400, "the form expired"),
    ],
)
def test_a_bad_answer_is_refused_and_changes_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], form: dict[str, str],
    code: int, said: str,
) -> None:  # fmt: skip
    follow_up_id = sent_follow_up(sessions)
    path = answer_path(follow_up_id)
    token = csrf_of(client.get(path).text)
    before = state(sessions)
    response = client.post(path, data={"csrf_token": token, **form})
    assert response.status_code == code and said in response.text
    bad_choice = client.get(f"{path}?score=99")
    assert bad_choice.status_code == 422 and "from 0 to 10" in bad_choice.text
    assert state(sessions) == before


def test_opting_out_needs_a_press_and_covers_address_and_respondent_id(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    follow_up_id = sent_follow_up(sessions)
    question = client.get(answer_path(follow_up_id))
    link = re.search(r'href="(/follow-up/[^"]+/opt-out)"', question.text)
    assert link is not None
    before = state(sessions)
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Stop asking me" in page.text
    assert state(sessions) == before
    done = client.post(link.group(1), data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "we will not ask you" in done.text
    with sessions() as s:
        customers = s.execute(select(FollowUpCustomer.key, FollowUpCustomer.opted_out_at)).all()
        assert sorted(customers) == [("email:ann@example.com", NOW),
                                     ("respondent:test:cust-1", NOW)]  # fmt: skip
    after = state(sessions)
    again = client.post(link.group(1), data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 200
    assert state(sessions) == after  # no second event, the first time kept

    old = expired(follow_up_id, links.OPT_OUT, days=400) + "/opt-out"
    assert client.get(old).status_code == 410
    assert client.post(old, data={"csrf_token": csrf_of(page.text)}).status_code == 410
    assert client.post(link.group(1), data={}).status_code == 400
    assert state(sessions) == after


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    token=st.text(st.characters(blacklist_characters="/?#%"), min_size=1, max_size=300),
    score=st.text(max_size=20) | st.integers().map(str),
    signed=st.booleans(),
)
@example(token="\n", score="3", signed=False)  # the URL parser drops it: /follow-up//opt-out
def test_no_token_or_answer_causes_a_500_or_a_change(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], token: str, score: str,
    signed: bool,
) -> None:  # fmt: skip
    with sessions() as s:
        follow_up_id = s.scalar(select(FollowUp.id).where(FollowUp.status == "sent"))
    if follow_up_id is None:
        follow_up_id = sent_follow_up(sessions)
    path = answer_path(follow_up_id) if signed else f"/follow-up/{token}"
    page = client.get(answer_path(follow_up_id))
    before = state(sessions)
    forms = [{"csrf_token": csrf_of(page.text), "score": score}, {"score": score}]
    for response in (
        client.get(path, query_string={"score": score}),
        *(client.post(path, data=form) for form in forms),
        client.post(f"{path}/opt-out", data={"score": score}),
    ):
        # 308: a path with an empty segment is sent to its merged form, which changes nothing
        assert response.status_code in (200, 308, 400, 404, 410, 422), response.text[:300]
    valid = score.strip().isascii() and score.strip().isdigit() and int(score) <= 10
    if not (signed and valid):
        assert state(sessions) == before
