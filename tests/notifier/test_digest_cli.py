"""`cxloop digest preview|send`: what a digest says, sending one now, and refusing bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from shared.db import transaction
from shared.models import DigestSend
from shared.settings import Settings
from tests.desk.factories import make_case, make_user
from tests.notifier.test_digests import HOSTILE_NAME, desk_file
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder


@pytest.fixture
def env(notifier_settings: Settings, tmp_path: Path, sessions: sessionmaker[Session]) -> dict:
    with transaction(sessions) as s:
        owner = make_user(s, "dora@example.com", "owner", team="delivery")
        owner.name, owner.slack_user_id = HOSTILE_NAME, "U0DORA001"
        make_user(s, "vic@example.com", "viewer")
        make_case(s)
    return notifier_settings.with_(desk_file=desk_file(tmp_path)).to_env()


def run(env: dict, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["digest", *args], env=env)
    return result.exit_code, result.output


def stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(DigestSend)) or 0)


def test_preview_prints_the_team_digest_and_stores_nothing(
    env: dict, sessions: sessionmaker[Session], smtp: SMTPRecorder
) -> None:
    code, out = run(env, "preview", "--team", "delivery", "--period", "daily",
                    "--at", "2026-03-05T08:40:00+00:00")  # fmt: skip
    assert code == 0, out
    assert out.startswith("Subject: Daily digest for team delivery: 1 open")
    assert "Wed 4 Mar 2026, 08:30 GMT to Thu 5 Mar 2026, 08:30 GMT" in out
    assert "Open the desk: https://cx.example.com/queue?status=open&team=delivery" in out
    assert stored(sessions) == 0 and smtp.messages == []


def test_preview_shows_an_owner_s_slack_blocks_escaped(env: dict) -> None:
    code, out = run(env, "preview", "--owner", "DORA@example.com", "--period", "daily",
                    "--format", "slack")  # fmt: skip
    assert code == 0, out
    payload = json.loads(out)
    assert payload["blocks"][0]["type"] == "header"
    assert "<script>" not in out and "@here" not in out


def test_preview_as_html_is_escaped(env: dict) -> None:
    code, out = run(env, "preview", "--owner", "dora@example.com", "--period", "daily",
                    "--format", "html")  # fmt: skip
    assert code == 0, out
    assert "&lt;script&gt;" in out and "<script>" not in out


def test_send_delivers_now_to_the_team_s_targets_and_again_when_asked_again(
    env: dict, sessions: sessionmaker[Session], smtp: SMTPRecorder, slack: SlackStandin
) -> None:
    code, out = run(env, "send", "--team", "delivery", "--period", "daily")
    assert code == 0, out
    assert out.count(": sent") == 2
    assert [m.rcpt_tos for m in smtp.messages] == [["leads@example.com"]]
    assert len(slack.posts) == 1
    assert run(env, "send", "--owner", "dora@example.com", "--period", "daily")[0] == 0
    assert [m.rcpt_tos for m in smtp.messages][-1] == ["dora@example.com"]
    assert run(env, "send", "--team", "delivery", "--period", "daily")[0] == 0
    assert len(smtp.messages) == 3  # by hand means by hand: each send is its own
    with sessions() as s:
        keys = s.scalars(select(DigestSend.key)).all()
    assert all(":manual:" in key for key in keys) and len(keys) == 6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["preview", "--period", "daily"], "give exactly one of --team or --owner"),
        (["send", "--team", "delivery", "--owner", "dora@example.com", "--period", "daily"],
         "give exactly one of --team or --owner"),
        (["send", "--team", "nobody", "--period", "daily"], "no team 'nobody' in the desk file"),
        (["send", "--team", "stores", "--period", "daily"],
         "no digest targets for team 'stores': add digests.teams.stores"),
        (["send", "--team", "delivery", "--period", "weekly"],
         "no weekly digest in the desk file: add digests.weekly"),
        (["send", "--team", "delivery", "--period", "hourly"], "'hourly' is not one of"),
        (["send", "--owner", "nobody@example.com", "--period", "daily"],
         "'nobody@example.com' is not an active desk user with the owner role"),
        (["send", "--owner", "vic@example.com", "--period", "daily"], "with the owner role"),
        (["preview", "--team", "delivery", "--period", "daily", "--at", "yesterday"],
         "must be a time like"),
        (["preview", "--team", "delivery", "--period", "daily", "--at", "2026-03-05T08:40"],
         "needs a UTC offset"),
        (["preview", "--team", "delivery", "--period", "daily", "--at", "0001-01-01T00:00+00:00"],
         "too far in the past or future"),
        (["preview", "--team", "delivery", "--period", "daily", "--format", "pdf"],
         "'pdf' is not one of"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_by_name_and_changes_nothing(
    env: dict, sessions: sessionmaker[Session], smtp: SMTPRecorder, slack: SlackStandin,
    args: list[str], message: str,
) -> None:  # fmt: skip
    code, out = run(env, *args)
    assert code == 2, out
    assert message in " ".join(out.split())
    assert stored(sessions) == 0
    assert smtp.messages == [] and slack.posts == []


def test_an_invalid_desk_file_is_named(env: dict, tmp_path: Path) -> None:
    document = yaml.safe_load(Path(env["CXLOOP_DESK_FILE"]).read_text(encoding="utf-8"))
    document["digests"]["daily"]["at"] = "8.30"
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")
    code, out = run(env | {"CXLOOP_DESK_FILE": str(bad)}, "send", "--team", "delivery",
                    "--period", "daily")  # fmt: skip
    assert code == 1
    assert f"{bad}: digests.daily.at: '8.30' is not a local time" in out
