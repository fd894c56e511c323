"""Cases whose score and comment disagree: flagged in the queue API and page, explained."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from tests.desk.conftest import World, auth
from tests.desk.factories import make_case
from tests.desk.test_pages import log_in


def flagged_case(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as s:
        case = make_case(
            s, comment="Courier two hours late", nps=10, priority="p3",
            disagreement="happy_score_negative_comment",
        )  # fmt: skip
        return case.id


def test_the_queue_api_lists_and_filters_the_flag(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    flagged = flagged_case(sessions)
    headers = auth(world, "champion")

    def listed(query: str) -> dict[int, str | None]:
        response = client.get(f"/v1/desk/queue?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {c["id"]: c["disagreement"] for c in response.json["items"]}

    assert listed("") == {
        flagged: "happy_score_negative_comment",
        world.delivery_case: None,
        world.store_case: None,
    }
    assert listed("disagreement=true") == {flagged: "happy_score_negative_comment"}
    assert set(listed("disagreement=false")) == {world.delivery_case, world.store_case}
    bad = client.get("/v1/desk/queue?disagreement=maybe", headers=headers)
    assert bad.status_code == 422 and "disagreement" in bad.json["errors"]


def test_the_queue_and_case_pages_show_a_check_case(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    flagged = flagged_case(sessions)
    log_in(client, "champ@example.com")
    queue = client.get("/queue?disagreement=true").get_data(as_text=True)
    assert f"#{flagged}</a>" in queue and f"#{world.store_case}</a>" not in queue
    assert 'class="badge check"' in queue
    assert "which one they meant" in queue  # the badge's title says what to do
    page = client.get(f"/cases/{flagged}").get_data(as_text=True)
    assert "Check case." in page and "check with the customer which one they meant" in page
    plain = client.get(f"/cases/{world.delivery_case}").get_data(as_text=True)
    assert "Check case." not in plain
