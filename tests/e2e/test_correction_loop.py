"""A misrouted case corrected over the desk API on real processes: the new owner is alerted and
the old one is told where it went, by real email."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.db import make_engine, make_session_factory, transaction
from shared.settings import Settings
from tests.desk.factories import make_user
from tests.e2e.conftest import KEY, OWNER
from tests.e2e.harness import dissatisfied, http, running, wait_until
from tests.support.smtp import SMTPRecorder

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
BILLING = "billing-lead@example.com"
ROUTES = f"""\
touchpoints:
  delivery:
    description: "Delivery: couriers, parcels, late, missing or damaged deliveries, tracking"
  billing:
    description: "Billing: invoices, charges, refunds"
default_touchpoint: general
receivers:
  - name: delivery-team
    email: [{OWNER}]
  - name: billing-team
    email: [{BILLING}]
route:
  receiver: delivery-team
  routes:
    - matchers: ['touchpoint = "billing"']
      receiver: billing-team
"""


def champion_token(settings: Settings) -> str:
    from services.desk.users import issue_token

    engine = make_engine(settings.effective_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            user = make_user(session, "champ@example.com", "champion")
            return issue_token(session, user=user, name="e2e")
    finally:
        engine.dispose()


def test_a_corrected_case_moves_to_its_new_owner_who_is_alerted_and_the_old_one_told(
    tmp_path: Path, loop_settings: Settings, loop_env: dict[str, str], smtp: SMTPRecorder
) -> None:
    routes = tmp_path / "moves.yml"
    routes.write_text(ROUTES)
    settings = loop_settings.with_(routes_file=routes)
    with running(settings, tmp_path, "ingest", "router", "notifier", env=loop_env) as system:
        status, body = http("POST", system.base_url + "/v1/responses", dissatisfied("move-1"), KEY)
        assert status == 202, body
        wait_until(lambda: smtp.messages, 60, "the first owner's alert")
        opened = http("GET", system.base_url + "/v1/cases", key=KEY)[1]["items"][0]
        case_id, tag = opened["id"], opened["priority"].upper()

        token = champion_token(settings)
        status, case = http(
            "POST", f"{system.base_url}/v1/cases/{case_id}/touchpoint",
            {"touchpoint": "billing", "note": "They were charged twice"}, token,
        )  # fmt: skip
        assert status == 202, case
        wait_until(lambda: len(smtp.messages) == 3, 60, "the new owner's and the old one's mail")
        mail = {m.rcpt_tos[0]: m.message for m in smtp.messages[1:]}
        assert mail[BILLING]["Subject"] == (
            f"[{tag}] Case #{case_id} moved to you (delivery → billing)"
        )
        text = mail[BILLING].get_body(("plain",)).get_content()
        assert "champ@example.com corrected its touchpoint from delivery to billing" in text
        assert mail[OWNER]["Subject"] == (
            f"[{tag}] Case #{case_id} moved to billing-team (billing)"
        )
        status, case = http("GET", f"{system.base_url}/v1/desk/cases/{case_id}", key=token)
        assert (case["touchpoint"], case["owner"]) == ("billing", "billing-team")
        assert case["corrections"][0]["applied_at"] is not None
        actions = [e["action"] for e in case["timeline"]]
        assert actions.index("touchpoint_corrected") < actions.index("rerouted")
