"""The identity-provider port: does the applicant have a digital account (R-20)?"""

from __future__ import annotations

from typing import Protocol

from domain.dossier_values import Applicant, DigitalAccount


class IdentityProvider(Protocol):
    """DVCQG / VNeID account lookup by the applicant's identifier."""

    def account_of(self, applicant: Applicant) -> DigitalAccount: ...
