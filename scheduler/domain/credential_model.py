"""The `Credential` a student holds (contract extension: onboarding compliance).

Kept apart from `scheduler.domain.scenario` so the credential rules
(`scheduler.domain.credentials`) and the models that use it stay small; imports only
pydantic and the contract's value types.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from scheduler.domain.scenario_types import Identifier


class Credential(BaseModel):
    """A document a site may require (BLS, MMR, background check...): valid on a date `d`
    when `status` is `valid`, `issued` is absent or on/before `d`, and `expires` is absent
    or after `d` (a credential is no longer valid on its expiry date)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    code: Identifier
    issued: date | None = None
    expires: date | None = None
    status: Literal["valid", "pending"] = "valid"

    @model_validator(mode="after")
    def _expires_after_issue(self) -> Credential:
        if self.issued is not None and self.expires is not None and self.expires <= self.issued:
            raise ValueError("expires must be after issued")
        return self
