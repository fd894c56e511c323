"""`cxloop follow-up`: opt a customer out who asked another way, and show their record."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from shared.followups.models import FollowUpCustomer
from shared.settings import Settings


def _customers(sessions: sessionmaker[Session]) -> list[tuple[str, bool]]:
    with sessions() as s:
        rows = s.execute(select(FollowUpCustomer.key, FollowUpCustomer.opted_out_at))
        return sorted((key, at is not None) for key, at in rows)


def test_opting_out_from_the_command_line_is_recorded_once_under_each_key(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    env, runner = settings.to_env(), CliRunner()
    args = ["follow-up", "opt-out", "--email", "Ann@Example.com", "--respondent", "typeform:r-9"]
    done = runner.invoke(main, args, env=env)
    assert done.exit_code == 0, done.output
    assert done.output == "opted out: email:ann@example.com, respondent:typeform:r-9\n"
    assert runner.invoke(main, args, env=env).output.startswith("already opted out")
    assert _customers(sessions) == [("email:ann@example.com", True),
                                    ("respondent:typeform:r-9", True)]  # fmt: skip
    shown = runner.invoke(main, ["follow-up", "status", "--email", "ann@example.com"], env=env)
    row = json.loads(shown.output)
    assert row["key"] == "email:ann@example.com" and row["opted_out_at"]
    assert row["last_asked_at"] is None


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--email", "not-an-address"], "'not-an-address' is not an email address"),
        (["--email", "ann@example.com x@y.z"], "is not an email address"),
        (["--respondent", "r-9"], "'r-9' is not SOURCE:ID"),
        (["--respondent", "typeform:"], "is not SOURCE:ID"),
        ([], "give --email, --respondent, or both"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_changes_nothing(
    settings: Settings, sessions: sessionmaker[Session], args: list[str], said: str
) -> None:
    for command in ("opt-out", "status"):
        result = CliRunner().invoke(main, ["follow-up", command, *args], env=settings.to_env())
        assert result.exit_code == 2 and said in result.output
    assert _customers(sessions) == []
