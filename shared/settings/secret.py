"""The type of every secret setting: a string whose repr never shows its value."""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class Secret(str):
    """A string whose repr is masked, so a secret never lands in a log or traceback by accident."""

    def __repr__(self) -> str:
        return "Secret('********')" if self else "Secret('')"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(cls, core_schema.str_schema())


NO_SECRET = Secret("")
