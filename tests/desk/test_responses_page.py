"""The responses page: every response with the decision and why, cases or not."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from shared.db import transaction
from shared.models import Response
from tests.desk.conftest import World
from tests.desk.test_pages import log_in

WHEN = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


def add_decided(sessions: sessionmaker[Session]) -> None:
    """A promoter the router decided is not a case, with hostile text, and one not routed yet."""
    with transaction(sessions) as s:
        s.add(
            Response(
                source="web", external_id="happy-1", submitted_at=WHEN, nps=10,
                comment="<script>alert(1)</script> all good", routed_at=WHEN,
                decision={"dissatisfied": False, "touchpoint": "delivery",
                          "reasons": ["NPS 10 is a promoter (9-10)",
                                      "comment polarity 0.40 not under -0.05"]},
            )
        )  # fmt: skip
        s.add(Response(source="app", external_id="late-1", submitted_at=WHEN, nps=4))


def test_the_responses_page_lists_non_cases_with_the_decision_and_its_reasons(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    add_decided(sessions)
    log_in(client, "champ@example.com")
    page = client.get("/responses")
    assert page.status_code == 200
    assert "NPS 10 is a promoter (9-10)" in page.text
    assert "comment polarity 0.40 not under -0.05" in page.text
    assert "Not a case" in page.text and "Not routed yet" in page.text
    assert f'href="/cases/{world.delivery_case}"' in page.text  # cases link to their page
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert 'href="/responses"' in client.get("/queue").text  # reachable from the navigation


def test_the_responses_page_filters_to_what_did_not_become_a_case(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    add_decided(sessions)
    log_in(client, "vic@example.com")
    page = client.get("/responses?has_case=no&dissatisfied=no&source=web&touchpoint=")
    assert page.status_code == 200
    assert "all good" in page.text
    assert f'href="/cases/{world.delivery_case}"' not in page.text
    assert "Not routed yet" not in page.text


def test_a_bad_filter_shows_a_readable_message_on_the_page(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "champ@example.com")
    page = client.get("/responses?submitted_from=someday")
    assert page.status_code == 422
    assert "Check the filters: submitted from: Not a valid date." in page.text
    assert "{" not in page.text.split("<main", 1)[1].split("</main>")[0]  # no Python dict


def test_owners_do_not_get_the_whole_response_list(client: FlaskClient, world: World) -> None:
    log_in(client, "dora@example.com")
    assert client.get("/responses").status_code == 403
    assert 'href="/responses"' not in client.get("/queue").text
