"""What anyone may see: a code and its completion level."""

from __future__ import annotations

import strawberry

from api.graphql.types.common import Completion
from projections.public_status import Completion as DomainCompletion


@strawberry.type(description="Tra cứu công khai: chỉ mã hồ sơ và mức độ hoàn thành")
class PublicDossierStatus:
    code: str
    completion: Completion
    label: str

    @classmethod
    def of(
        cls, code: str, completion: DomainCompletion, language: str
    ) -> PublicDossierStatus:
        return cls(
            code=code,
            completion=Completion.of(completion),
            label=completion.label(language),
        )
