"""The outbox: each alert as a JSON file, so the loop is visible without any mail or Slack."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.notifier.channels.base import Channel
from services.notifier.formatting import render_email, slack_message
from services.notifier.message import Alert
from shared.private import private_dir


class OutboxChannel(Channel):
    """Write the alert under settings.outbox_dir, one file per delivery (a repeat overwrites)."""

    type = "outbox"

    def path_for(self, alert: Alert) -> Path:
        """Return the file this alert's delivery is written to."""
        return self.settings.outbox_dir / f"case-{alert.case_id}-delivery-{alert.delivery_id}.json"

    def send(self, alert: Alert, target: str) -> None:
        email = render_email(alert)
        document = {
            "delivery_id": alert.delivery_id,
            "case_id": alert.case_id,
            "channel": alert.channel,
            "target": target,
            "subject": email.subject,
            "text": email.text,
            "slack": slack_message(alert),
            "alert": asdict(alert),
        }
        self.write(self.path_for(alert), document)

    def write(self, path: Path, document: dict[str, Any]) -> None:
        """Write one JSON document atomically (a repeat overwrites it)."""
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2, ensure_ascii=False, default=str)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
