"""Logs never carry customer text from a database error, nor secrets in a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from shared.db import make_engine
from shared.logs import configure_logging
from shared.models import Response
from shared.settings import Settings

COMMENT = "My neighbour Ana Ruiz saw the courier drop it"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Let a test configure the root logger; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_failing_insert_logs_neither_the_comment_nor_its_parameters(
    settings: Settings, root_logging: None, capsys: pytest.CaptureFixture[str], log_format: str
) -> None:
    configure_logging(settings.with_(log_format=log_format), process="test")
    engine = make_engine(settings.effective_database_url)
    row = {
        "source": "web",
        "external_id": None,  # NOT NULL: PostgreSQL answers with the whole failing row
        "submitted_at": datetime(2026, 11, 20, tzinfo=UTC),
        "received_at": datetime(2026, 11, 20, tzinfo=UTC),
        "comment": COMMENT,
        "attributes": {},
        "raw": {"comment": COMMENT},
    }
    try:
        with engine.begin() as conn, pytest.raises(IntegrityError) as failed:
            conn.execute(insert(Response).values(**row))
        assert "hide_parameters=True" in str(failed.value)
        logging.getLogger("cxloop.test").error("insert failed", exc_info=failed.value)
    finally:
        engine.dispose()
    logged = capsys.readouterr().err
    assert "insert failed" in logged and "IntegrityError" in logged
    assert "Ana Ruiz" not in logged


def test_a_traceback_masks_configured_secrets(
    settings: Settings, root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings.with_(log_format="text"), process="test")
    try:
        raise RuntimeError(f"could not post to https://hooks.slack.com/services/T0/B0/x "
                           f"with {settings.secret_key}")  # fmt: skip
    except RuntimeError:
        logging.getLogger("cxloop.test").exception("send failed")
    logged = capsys.readouterr().err
    assert "RuntimeError" in logged
    assert "T0/B0" not in logged and str(settings.secret_key) not in logged
