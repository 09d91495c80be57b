"""Every read model, by name."""

from __future__ import annotations

from projections.base import Projection
from projections.catalogue import CatalogueProjection
from projections.citizen import CitizenProjection
from projections.complaints import ComplaintProjection
from projections.control_sheet import ControlSheetProjection
from projections.directory import DirectoryProjection
from projections.indicators import IndicatorProjection
from projections.public_status import PublicStatusProjection
from projections.timeline import TimelineProjection
from projections.warehouse import WarehouseProjection
from projections.worklist import WorklistProjection

READ_MODELS: dict[str, type[Projection]] = {
    "public_status": PublicStatusProjection,
    "worklist": WorklistProjection,
    "citizen": CitizenProjection,
    "timeline": TimelineProjection,
    "catalogue": CatalogueProjection,
    "control_sheet": ControlSheetProjection,
    "indicators": IndicatorProjection,
    "complaints": ComplaintProjection,
    "directory": DirectoryProjection,
    "warehouse": WarehouseProjection,
}


def all_projections(suffix: str = "") -> list[Projection]:
    return [factory(suffix) for factory in READ_MODELS.values()]
