"""The catalogue of fields (lĩnh vực) a procedure may belong to (R-05).

A field code is ``MX1X2-LV``: the level-1 unit that publishes the procedure
and the field abbreviation ``LV`` from this catalogue. The abbreviations are
those the project's catalogue uses; a province extends this table with the
VPCP list it syncs from DVCQG (``MaLinhVuc`` stays authoritative).
"""

from __future__ import annotations

from types import MappingProxyType

from domain.errors import InvalidFieldCodeError
from domain.values import AgencyCode, validate_field_code

FIELDS = MappingProxyType(
    {
        "BC": "Báo chí",
        "BTXH": "Bảo trợ xã hội",
        "CT": "Chứng thực",
        "DB": "Đường bộ",
        "DKKD": "Thành lập và hoạt động doanh nghiệp, hộ kinh doanh",
        "DL": "Du lịch",
        "DUOC": "Dược phẩm",
        "GN": "Giảm nghèo",
        "HT": "Hộ tịch",
        "LDTL": "Lao động, tiền lương",
        "LLTP": "Lý lịch tư pháp",
        "LTHH": "Lưu thông hàng hóa trong nước",
        "QLCL": "Quản lý chất lượng nông lâm sản và thủy sản",
        "TNN": "Tài nguyên nước",
        "TY": "Thú y",
        "VBCC": "Văn bằng, chứng chỉ",
        "VH": "Văn hóa",
        "VL": "Việc làm",
        "XD": "Hoạt động xây dựng",
    }
)


def check_field(field_code: str, competent_agency: AgencyCode) -> str:
    """The field exists in the catalogue and belongs to the agency's level-1 unit."""
    validate_field_code(field_code)
    prefix, _, field = field_code.partition("-")
    if prefix != competent_agency.level1 or field not in FIELDS:
        raise InvalidFieldCodeError(field_code)
    return field_code
