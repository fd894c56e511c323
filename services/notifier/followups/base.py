"""The interface every follow-up channel implements, and the one message they all receive."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.settings import Settings


@dataclass(frozen=True)
class Question:
    """One follow-up question to one customer, with the signed links that answer it."""

    follow_up_id: int
    case_id: int
    to: str
    name: str
    sender: str
    subject: str
    question: str
    choices: tuple[int, ...]
    answer_url: str
    opt_out_url: str


class FollowUpChannel(ABC):
    """Asks a customer one question; raises the notifier's TransientError or PermanentError."""

    type: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def unavailable(self) -> str | None:
        """Say why the channel cannot send now (not configured), or None."""
        return None

    @abstractmethod
    def send(self, question: Question) -> None:
        """Ask the question; return only once the channel has accepted it."""
