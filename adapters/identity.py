"""The development identity provider: predictable answers without DVCQG/VNeID.

Rules (documented in the README so a demo desk knows what to expect):
a 12-digit personal identification number (CCCD) has a VNeID account, level 2,
unless its last digit is 0 (no account) or 1 (level 1); an enterprise,
cooperative or organisation code has a DVCQG account without VNeID; an old
identity card or a passport has none. A production deployment puts the
DVCQG/VNeID client behind the same port.
"""

from __future__ import annotations

from domain.dossier_values import Applicant, ApplicantKind, DigitalAccount

NAME = "development"


class DevelopmentIdentityProvider:
    def account_of(self, applicant: Applicant) -> DigitalAccount:
        if applicant.kind is ApplicantKind.CITIZEN:
            last = applicant.id[-1]
            if last == "0":
                return DigitalAccount(False, provider=NAME)
            return DigitalAccount(True, True, 1 if last == "1" else 2, provider=NAME)
        if applicant.kind in (
            ApplicantKind.ENTERPRISE,
            ApplicantKind.COOPERATIVE,
            ApplicantKind.ORGANISATION,
        ):
            return DigitalAccount(True, provider=NAME)
        return DigitalAccount(False, provider=NAME)
