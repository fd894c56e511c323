"""Silences: matchers checked like amtool's, states in time, the CLI, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from shared import silences
from shared.db import transaction
from shared.models import Silence
from shared.settings import Settings

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHECKOUT = {"touchpoint": "checkout", "priority": "p2", "region": "eu"}


def new(*matchers: str, hours: float = 2, comment: str = "checkout outage") -> silences.NewSilence:
    return silences.NewSilence(
        matchers=matchers, ends_at=NOW + timedelta(hours=hours), comment=comment,
        created_by="champ@example.com",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("matchers", "says"),
    [
        ((), "at least one matcher"),
        (('touchpoint = "checkout',), "unterminated"),
        (('region =~ "("',), "bad regex"),
        (('touchpoint = ""',), "match every case"),  # a missing label is "": mutes everything
        (('touchpoint =~ ".*"', 'region != "us"'), "match every case"),
    ],
)
def test_matchers_that_are_wrong_or_mute_everything_are_refused(
    matchers: tuple[str, ...], says: str
) -> None:
    with pytest.raises(silences.SilenceError, match=says) as raised:
        silences.parse_matchers(matchers)
    assert raised.value.field == "matchers"


def test_a_silence_holds_for_matching_labels_while_active_only(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        checkout = silences.create(s, new('touchpoint = "checkout"', 'region =~ "eu|uk"'), now=NOW)
        later = silences.create(
            s, silences.NewSilence(("priority = p3",), NOW + timedelta(hours=5), "later", "a",
                                   starts_at=NOW + timedelta(hours=1)), now=NOW,
        )  # fmt: skip
        ids = checkout.id, later.id
    with sessions() as s:
        assert silences.silencing(s, CHECKOUT, now=NOW).id == ids[0]  # type: ignore[union-attr]
        assert silences.silencing(s, CHECKOUT | {"region": "us"}, now=NOW) is None
        assert silences.silencing(s, CHECKOUT, now=NOW + timedelta(hours=2)) is None  # over
        p3 = CHECKOUT | {"priority": "p3", "region": "us"}
        assert silences.silencing(s, p3, now=NOW) is None  # pending
        assert silences.silencing(s, p3, now=NOW + timedelta(hours=1)).id == ids[1]  # type: ignore[union-attr]
        assert silences.state(s.get_one(Silence, ids[1]), NOW) == "pending"
    with transaction(sessions) as s:
        expired = silences.expire(s, ids[0], by="lead@example.com", now=NOW + timedelta(minutes=5))
        assert (expired.expired_by, silences.state(expired, NOW + timedelta(minutes=5))) == (
            "lead@example.com", "expired",
        )  # fmt: skip
    with sessions() as s:
        assert silences.silencing(s, CHECKOUT, now=NOW + timedelta(minutes=6)) is None
        assert [x.id for x in silences.listed(s, now=NOW + timedelta(minutes=6))] == [ids[1]]


@pytest.mark.parametrize(
    ("ask", "field"),
    [
        (new('touchpoint = "checkout"', hours=-1), "ends_at"),
        (new('touchpoint = "checkout"', hours=24 * 400), "ends_at"),
        (new('touchpoint = "checkout"', comment="  "), "comment"),
    ],
)
def test_a_bad_silence_names_its_field_and_stores_nothing(
    sessions: sessionmaker[Session], ask: silences.NewSilence, field: str
) -> None:
    with sessions() as s:
        with pytest.raises(silences.SilenceError) as raised:
            silences.create(s, ask, now=NOW)
        assert raised.value.field == field
        s.rollback()
        assert silences.listed(s, now=NOW, include_expired=True) == []


def test_the_cli_adds_lists_and_expires_like_amtool(settings: Settings) -> None:
    env, runner = settings.to_env(), CliRunner()
    added = runner.invoke(
        main, ["silence", "add", 'touchpoint="checkout"', "-d", "2h", "-c", "INC-42", "-a", "ann"],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    number = added.output.split()[1].lstrip("#")
    listed = runner.invoke(main, ["silence", "list", "--json"], env=env)
    assert '"matchers": ["touchpoint=\\"checkout\\""]' in listed.output
    assert '"state": "active"' in listed.output and '"created_by": "ann"' in listed.output
    assert runner.invoke(main, ["silence", "expire", number], env=env).exit_code == 0
    assert runner.invoke(main, ["silence", "list"], env=env).output == ""
    everything = runner.invoke(main, ["silence", "list", "--expired"], env=env).output
    assert f"#{number}\texpired" in everything
    bad = runner.invoke(main, ["silence", "add", 'x=""', "-c", "why"], env=env)
    assert bad.exit_code != 0 and "matchers: " in bad.output
    no_duration = runner.invoke(main, ["silence", "add", "a=b", "-d", "soon", "-c", "x"], env=env)
    assert no_duration.exit_code == 2 and "not a duration" in no_duration.output
    missing = runner.invoke(main, ["silence", "expire", "999"], env=env)
    assert missing.exit_code == 1 and "no silence #999" in missing.output
