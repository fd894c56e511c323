"""The desk's sessions and its log-in throttle."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.settings.secret import NO_SECRET, Secret


class DeskSettings(BaseModel):
    """The session-signing key and when failed log-ins lock."""

    secret_key: Secret = Field(
        NO_SECRET,
        description=(
            "Key signing the desk's session cookies (secret, the same for every web process). At "
            "least 32 random bytes outside the embedded default, which generates one into `<data "
            "dir>/secret-key`."
        ),
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description=(
            "Failed desk log-ins per account within the window before it is locked (per client "
            "address: four times this)."
        ),
    )
    login_window_s: int = Field(
        900,
        gt=0,
        description="Window in which failed log-ins are counted.",
    )
    login_lock_s: int = Field(
        60,
        gt=0,
        description=(
            "First lock after too many failures; each further failure after a lock doubles it."
        ),
    )
    login_lock_max_s: int = Field(
        3600,
        gt=0,
        description="Longest lock.",
    )
