"""Working a case without friction: teams as assignees, valid actions only, words not JSON,
filters picked from the configuration, bad filters answered with a notice."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk import narrative
from services.desk.config import desk_config
from services.desk.flows import snooze_until
from services.desk.models import Note, User
from services.notifier import alert_content
from services.notifier.formatting import render_email
from shared.db import transaction
from shared.models import Case, CaseEvent, Delivery
from shared.settings.files import EXAMPLE_DESK
from tests.desk.conftest import NOW, World, auth
from tests.desk.factories import make_case, make_user
from tests.desk.test_pages import csrf, log_in

ERROR_SHAPE = {"code", "status", "message", "errors"}


def _events(sessions: sessionmaker[Session], case_id: int) -> int:
    with transaction(sessions) as s:
        return s.scalar(select(func.count()).where(CaseEvent.case_id == case_id)) or 0


def test_a_team_from_desk_yml_with_no_active_user_is_refused_with_a_reason(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}/assign", auth(world, "champion")
    before = _events(sessions, world.delivery_case)
    empty = client.post(url, json={"team": "billing"}, headers=headers)  # in desk.yml, nobody in it
    assert empty.status_code == 422 and set(empty.json) == ERROR_SHAPE
    assert "has no active user" in empty.json["errors"]["team"][0]
    unknown = client.post(url, json={"team": "nope"}, headers=headers)
    assert unknown.status_code == 422 and "no team 'nope'" in unknown.json["errors"]["team"][0]
    assert "billing" in unknown.json["errors"]["team"][0]  # the message lists the real teams
    assert _events(sessions, world.delivery_case) == before  # nothing changed
    with transaction(sessions) as s:
        assert s.get(Case, world.delivery_case).team is None  # type: ignore[union-attr]


def test_a_team_from_desk_yml_is_an_assignment_target_once_someone_is_in_it(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        make_user(s, "bill@example.com", "owner", team="billing")
    url, headers = f"/v1/cases/{world.delivery_case}/assign", auth(world, "champion")
    done = client.post(url, json={"team": "billing"}, headers=headers)
    assert done.status_code == 200 and done.json["team"] == "billing"
    assert "Champ assigned the case to team billing" in [e["text"] for e in done.json["timeline"]]


def test_assigning_a_person_sends_an_assigned_alert_naming_who_assigned(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}/assign", auth(world, "champion")
    body = client.post(url, json={"assignee": "dora@example.com"}, headers=headers).json
    [sent] = [d for d in body["deliveries"] if d["target"] == "dora@example.com"]
    assert sent["kind"] == "assigned"
    with transaction(sessions) as s:
        delivery = s.get(Delivery, sent["id"])
        assert delivery is not None
        who = alert_content.assignment_of(s, delivery)
        alert = alert_content.build_alert(delivery, public_url="https://cx.test", assignment=who)
    assert who == ("Champ", "")
    email = render_email(alert)
    assert email.subject == f"[P2] Champ assigned case #{world.delivery_case} to you (delivery)"
    assert "New case" not in email.subject and "Champ assigned this case to you" in email.text


def test_a_case_given_to_a_team_alone_alerts_its_lead(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url, headers = f"/v1/cases/{world.store_case}/assign", auth(world, "champion")
    with transaction(sessions) as s:
        make_user(s, "lena@example.com", "owner", team="stores", lead=True)
    body = client.post(url, json={"team": "stores"}, headers=headers).json
    [sent] = [d for d in body["deliveries"] if d["kind"] == "assigned"]
    assert sent["target"] == "lena@example.com"
    with transaction(sessions) as s:
        delivery = s.get(Delivery, sent["id"])
        assert delivery is not None
        assignment = alert_content.assignment_of(s, delivery)
        alert = alert_content.build_alert(
            delivery, public_url="https://cx.test", assignment=assignment
        )
    assert (
        alert.headline
        == f"[P1] Champ assigned case #{world.store_case} to your team stores (store)"
    )


def test_an_owner_who_reassigns_a_case_away_gets_success_not_404(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    url = f"/v1/cases/{world.delivery_case}/assign"
    gone = client.post(url, json={"team": "stores"}, headers=auth(world, "owner"))
    assert gone.status_code == 200
    assert gone.json["visible"] is False and "no longer visible" in gone.json["message"]
    with transaction(sessions) as s:
        assert s.get(Case, world.delivery_case).team == "stores"  # type: ignore[union-attr]
    # Now it is not theirs: a second try is the usual 404, and changes nothing.
    again = client.post(url, json={"team": "delivery"}, headers=auth(world, "owner"))
    assert again.status_code == 404 and set(again.json) == ERROR_SHAPE
    viewer = client.post(url, json={"team": "delivery"}, headers=auth(world, "viewer"))
    assert viewer.status_code == 403 and set(viewer.json) == ERROR_SHAPE
    missing = client.post("/v1/cases/999999/assign", json={"team": "stores"},
                          headers=auth(world, "champion"))  # fmt: skip
    assert missing.status_code == 404 and set(missing.json) == ERROR_SHAPE


def test_the_page_redirects_to_the_queue_when_the_case_leaves_the_owners_view(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "dora@example.com")
    page = f"/cases/{world.delivery_case}"
    done = client.post(f"{page}/assign", data={"team": "stores", "csrf_token": csrf(client, page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/queue")
    assert "no longer in your view" in client.get("/queue").text


def test_a_closed_case_offers_reopen_only_and_refuses_notes(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        s.get(Case, world.delivery_case).status = "closed"  # type: ignore[union-attr]
    url, headers = f"/v1/cases/{world.delivery_case}", auth(world, "champion")
    assert client.get(url.replace("/v1/", "/v1/desk/"), headers=headers).json["actions"] == [
        "reopen"
    ]
    note = client.post(f"{url}/notes", json={"body": "late note"}, headers=headers)
    assert note.status_code == 409 and set(note.json) == ERROR_SHAPE
    with transaction(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Note)) == 0
    log_in(client, "champ@example.com")
    html = client.get(f"/cases/{world.delivery_case}").text
    assert ">Reopen</button>" in html
    for gone in (">Acknowledge</button>", ">Resolve</button>", ">Add note</button>",
                 ">Assign</button>", ">Close</button>", ">Record contact</button>",
                 ">Take it</button>", ">Snooze 1 hour</button>"):  # fmt: skip
        assert gone not in html


def test_a_new_case_offers_its_transitions_from_the_lifecycle_table(
    client: FlaskClient, world: World
) -> None:
    url = f"/v1/desk/cases/{world.delivery_case}"
    actions = client.get(url, headers=auth(world, "champion")).json["actions"]
    assert actions == ["acknowledge", "start", "assign", "touchpoint", "notes", "contacts", "take",
                       "snooze"]  # fmt: skip


def test_the_case_page_offers_take_it_and_snooze_as_the_alerts_do(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    log_in(client, "dora@example.com")
    path = f"/cases/{world.delivery_case}"
    html = client.get(path).text
    for offered in (">Acknowledge</button>", ">Take it</button>", ">Snooze 1 hour</button>",
                    ">Snooze until tomorrow 09:00</button>"):  # fmt: skip
        assert offered in html
    taken = client.post(f"{path}/take", data={"csrf_token": csrf(client, path)})
    assert taken.status_code == 303
    html = client.get(path).text
    assert "You took the case" in html
    assert ">Take it</button>" not in html  # it is hers now
    assert ">Acknowledge</button>" not in html  # taking a new case acknowledged it
    snoozed = client.post(f"{path}/snooze", data={"csrf_token": csrf(client, path),
                                                   "until": "tomorrow"})  # fmt: skip
    assert snoozed.status_code == 303
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None and case.status == "acknowledged"
        dora = s.scalar(select(User).where(User.email == "dora@example.com"))
        assert dora is not None and case.assignee_id == dora.id
        zone = desk_config(EXAMPLE_DESK).timezone_of("delivery")
        assert case.snoozed_until == snooze_until("tomorrow", now=NOW, zone=zone)
    before = _events(sessions, world.delivery_case)
    bad = client.post(f"{path}/snooze", data={"csrf_token": csrf(client, path), "until": "1y"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.text
    again = client.post(f"{path}/take", data={"csrf_token": csrf(client, path)})
    assert again.status_code == 409 and "already yours" in again.text
    other = f"/cases/{world.store_case}/take"  # another team's case: not even its existence
    assert client.post(other, data={"csrf_token": csrf(client, path)}).status_code == 404
    log_in(client, "vic@example.com")
    assert ">Take it</button>" not in client.get(path).text
    for action, form in (("take", {}), ("snooze", {"until": "1h"})):
        refused = client.post(f"{path}/{action}", data={"csrf_token": csrf(client, path), **form})
        assert refused.status_code == 403, action
    assert _events(sessions, world.delivery_case) == before
    assert _events(sessions, world.store_case) == 0


def test_evidence_routing_and_timeline_are_words_not_json(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        case = make_case(
            s, comment="It's late. The courier's van never came.",
            analysis={"evidence": ["The courier's van never came."], "language": "en"},
            touchpoints={"chosen": "delivery", "source": "detected", "detected": [
                {"name": "delivery", "score": 2.5, "evidence": ["courier", "van"]}]},
            receivers={"receivers": ["delivery-team"], "routes": ["route.routes[0]"]},
        )  # fmt: skip
        s.add(Delivery(case_id=case.id, kind="assignment", step=0, receiver="delivery-team",
                       channel="email", target="a-very-long-distribution-list@example.com",
                       status="sent"))  # fmt: skip
        case_id = case.id
    headers = auth(world, "champion")
    client.post(f"/v1/cases/{case_id}/acknowledge", headers=headers)
    why = client.get(f"/v1/desk/cases/{case_id}", headers=headers).json["why"]
    assert why["reasons"] == ["NPS 2 is a detractor"]
    assert why["sentences"] == ["The courier's van never came."]
    assert why["touchpoint"][-1] == "delivery: the comment mentions “courier”, “van” (score 2.50)"
    assert why["alerted"] == [
        "delivery-team (route route.routes[0]): email to a-very-long-distribution-list@example.com"
        " (sent)"
    ]
    log_in(client, "champ@example.com")
    html = client.get(f"/cases/{case_id}").text
    for heading in ("Why this is a case", "Which sentences carried it", "Why this touchpoint",
                    "Who was alerted"):  # fmt: skip
        assert heading in html
    assert "\\u0027" not in html and "{&#34;" not in html and '{"' not in html
    assert "The courier&#39;s van never came." in html
    assert "Champ acknowledged the case" in html and "status: new → acknowledged" in html


def test_timeline_sentences_for_a_correction_and_an_unknown_event() -> None:
    def name(actor: str) -> str:
        return {"ana@example.com": "Ana"}.get(actor, actor)

    moved = narrative.timeline_entry(
        "touchpoint_corrected", "ana@example.com",
        {"before": {"touchpoint": "delivery"}, "after": {"touchpoint": "billing"}, "note": "x"},
        name,
    )  # fmt: skip
    assert moved["text"] == "Ana corrected the touchpoint"
    assert moved["changes"] == ["touchpoint: delivery → billing"] and moved["quote"] == "x"
    odd = narrative.timeline_entry("snoozed", "ana@example.com", {"until": "tomorrow"}, name)
    assert odd["text"] == "Ana: snoozed (until: tomorrow)"
    until = "2026-03-03T17:00:00+00:00"
    snooze = narrative.timeline_entry(
        "snooze", "ana@example.com", {"before": {"snoozed_until": None},
                                      "after": {"snoozed_until": until}}, name,
    )  # fmt: skip
    assert snooze["text"] == "Ana snoozed the case's reminders until 2026-03-03 17:00 UTC"
    assert snooze["changes"] == []  # the sentence says it; no ISO stamp under it
    silenced = narrative.timeline_entry("silenced", "router", {"ends_at": until}, name)
    assert "until 2026-03-03 17:00 UTC" in silenced["text"]


def test_queue_filters_are_picked_from_the_configured_values(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "champ@example.com")
    html = client.get("/queue").text
    touchpoints = html.split('id="f-touchpoint"')[1].split("</select>")[0]
    assert '<option value="checkout">checkout</option>' in touchpoints  # routes.yml
    teams = html.split('id="f-team"')[1].split("</select>")[0]
    assert '<option value="billing">billing</option>' in teams  # desk.yml, nobody in it yet
    owners = html.split('id="f-owner"')[1].split("</select>")[0]
    assert '<option value="delivery-team">delivery-team</option>' in owners
    people = html.split('id="f-assignee"')[1].split("</select>")[0]
    assert 'value="dora@example.com"' in people and 'value="me"' in people
    picked = client.get("/queue?touchpoint=store").text
    assert '<option value="store" selected>store</option>' in picked
    old = client.get("/queue?touchpoint=parking").text
    assert '<option value="parking" selected>parking (not configured)</option>' in old


def test_a_bad_filter_shows_the_queue_with_a_readable_notice(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "champ@example.com")
    page = client.get("/queue?nps_max=11&status=bogus&touchpoint=delivery&cursor=zzz")
    assert page.status_code == 422
    text = page.text
    assert "NPS at most “11” was ignored: must be greater than or equal to 0" in text
    assert "Status “bogus” was ignored: must be one of" in text
    assert "Error 422" not in text and "{&#39;" not in text and "[&#39;" not in text
    assert 'class="queue stack"' in text and f"#{world.delivery_case}<" in text  # the rest applied
    assert f"#{world.store_case}<" not in text
    kpi = client.get("/dashboard?start=2026-03-07&end=2026-03-01")
    assert kpi.status_code == 422 and "Error 422" not in kpi.text
    assert "From “2026-03-07” was ignored: start must not be after end" in kpi.text
    # A download cannot carry a notice: it refuses in words, and exports nothing.
    for url, said in (
        ("/exports/cases.csv?nps_max=11", "NPS at most “11”: must be greater than or equal to 0"),
        ("/exports/kpis/headline.csv?by=team", "Split by “team”: must be one of"),
        ("/exports/kpis/bogus.csv", "There is no KPI table “bogus”; the tables are:"),
    ):
        refused = client.get(url)
        assert refused.status_code in (404, 422) and refused.mimetype == "text/html"
        assert said in refused.text, refused.text
        assert "{&#39;" not in refused.text and "[&#39;" not in refused.text
