from __future__ import annotations

import re
from uuid import uuid4

import pytest

from application.errors import ProcedureNotFoundError
from application.onestop import OneStop
from domain.dossier_code import DossierCode, format_dossier_code
from domain.dossier_status import DossierStatus
from domain.errors import ActorNotAllowedError, DailySequenceExhaustedError
from domain.values import AgencyCode
from tests.factories import (
    APPLICANT,
    BIRTH,
    BUILDING,
    DISTRICT,
    OTHER_PROVINCE,
    PROVINCE,
    at,
    desk,
    receive,
)

CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")


def log_position(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


class TestReceiveDossier:
    def test_first_dossier_of_the_day_gets_sequence_one(self, app: OneStop) -> None:
        reception = receive(app, when=at(0, 9))
        assert reception.code == "000.00.00.H34-260302-0001"
        assert CODE.match(reception.code)

    def test_sequence_counts_up_within_a_day_and_restarts_next_day(
        self, app: OneStop
    ) -> None:
        codes = [receive(app, when=at(0, 9 + i)).code for i in range(3)]
        assert [c[-4:] for c in codes] == ["0001", "0002", "0003"]
        assert receive(app, when=at(1, 9)).code == "000.00.00.H34-260303-0001"

    def test_sequence_is_per_receiving_unit(self, app: OneStop) -> None:
        receive(app, when=at(0, 9))
        district = receive(
            app, when=at(0, 9), officer=desk(DISTRICT), procedure=BUILDING
        )
        assert district.code.endswith("-0001")

    def test_cross_boundary_reception_uses_the_competent_unit_code(
        self, app: OneStop
    ) -> None:
        reception = receive(app, officer=desk(DISTRICT), procedure=BIRTH)
        assert reception.code.startswith("000.00.12.H34-")

    def test_reception_after_hours_is_due_from_the_next_morning(
        self, app: OneStop
    ) -> None:
        reception = receive(app, when=at(0, 17, 30))
        dossier = app.get_dossier(reception.dossier_id)
        assert dossier.status is DossierStatus.RECEIVED
        assert dossier.national_status_code == 2
        assert dossier.received_at == at(0, 17, 30)
        # 3 working days from Tue 07:00 end exactly at Thu 17:00: the legal
        # instant is stored (the next morning is only a way to print it).
        assert dossier.due_at == at(3, 17)

    def test_code_index_points_back_to_the_dossier(self, app: OneStop) -> None:
        reception = receive(app)
        assert app.dossier_id_for(reception.code) == reception.dossier_id
        assert app.find_dossier(reception.code).applicant == APPLICANT

    def test_unknown_procedure_is_refused_and_nothing_is_written(
        self, app: OneStop
    ) -> None:
        before = log_position(app)
        with pytest.raises(ProcedureNotFoundError):
            receive(app, procedure="9.999999")
        assert log_position(app) == before

    def test_desk_of_another_province_is_refused(self, app: OneStop) -> None:
        before = log_position(app)
        with pytest.raises(ActorNotAllowedError):
            receive(app, officer=desk(OTHER_PROVINCE))
        assert log_position(app) == before

    def test_ten_thousandth_dossier_of_a_day_is_a_clear_error(
        self, app: OneStop
    ) -> None:
        unit, day = AgencyCode(PROVINCE), at(0).date()
        claims = [
            DossierCode.issue(
                code=format_dossier_code(unit, day, n), dossier_id=uuid4()
            )
            for n in range(1, 10000)
        ]
        app.save(*claims)
        before = log_position(app)
        with pytest.raises(DailySequenceExhaustedError) as raised:
            receive(app, when=at(0, 10))
        assert "9.999" in raised.value.message("vi")
        assert "9,999" in raised.value.message("en")
        assert log_position(app) == before
