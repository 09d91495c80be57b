"""Kon Tum (H34) units; QĐ 945/QĐ-UBND was unavailable, so sub-codes are invented."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import AgencyCode, AgencyLevel

PROVINCE = "H34"


@dataclass(frozen=True)
class AgencySeed:
    """One state unit of the demo tree, with its internal departments (phòng)."""

    code: str
    name: str
    level: AgencyLevel
    departments: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        AgencyCode(self.code)  # raises InvalidAgencyCodeError on a bad code

    @property
    def agency_code(self) -> AgencyCode:
        return AgencyCode(self.code)


def unit_code(department: str = "00", commune: str = "00") -> str:
    """``000.ZZ.YY.H34`` for a level-2 unit ``YY`` or a level-3 unit ``ZZ`` under it."""
    return f"000.{commune}.{department}.{PROVINCE}"


PROVINCE_CODE = unit_code()

# Level-2 codes (Y1Y2): departments 01-15, district-level units 20-29.
SO_NOI_VU = unit_code("01")
SO_TU_PHAP = unit_code("02")
SO_KE_HOACH_DAU_TU = unit_code("03")
SO_TAI_CHINH = unit_code("04")
SO_CONG_THUONG = unit_code("05")
SO_NONG_NGHIEP = unit_code("06")
SO_GIAO_THONG = unit_code("07")
SO_XAY_DUNG = unit_code("08")
SO_TAI_NGUYEN = unit_code("09")
SO_THONG_TIN = unit_code("10")
SO_LAO_DONG = unit_code("11")
SO_VAN_HOA = unit_code("12")
SO_KHOA_HOC = unit_code("13")
SO_GIAO_DUC = unit_code("14")
SO_Y_TE = unit_code("15")

TP_KON_TUM = unit_code("20")
DAK_GLEI = unit_code("21")
NGOC_HOI = unit_code("22")
DAK_TO = unit_code("23")
KON_PLONG = unit_code("24")
KON_RAY = unit_code("25")
DAK_HA = unit_code("26")
SA_THAY = unit_code("27")
TU_MO_RONG = unit_code("28")
IA_HDRAI = unit_code("29")

# Level-3 codes (Z1Z2) of the communes that appear in the procedure catalogue.
P_QUYET_THANG = unit_code("20", "01")
P_THANG_LOI = unit_code("20", "02")
X_DAK_CAM = unit_code("20", "04")
TT_PLEI_KAN = unit_code("22", "01")
TT_DAK_TO = unit_code("23", "01")
X_HA_MON = unit_code("26", "02")

_VP = ("VP", "Văn phòng")


def _department(yy: str, name: str, *departments: tuple[str, str]) -> AgencySeed:
    return AgencySeed(
        code=unit_code(yy),
        name=f"{name} tỉnh Kon Tum",
        level=AgencyLevel.DEPARTMENT,
        departments=(_VP, *departments),
    )


_DEPARTMENTS: tuple[AgencySeed, ...] = (
    _department(
        "01",
        "Sở Nội vụ",
        ("PCCVC", "Phòng Công chức, viên chức"),
        ("PXDCQ", "Phòng Xây dựng chính quyền và Công tác thanh niên"),
        ("BTDKT", "Ban Thi đua - Khen thưởng"),
    ),
    _department(
        "02",
        "Sở Tư pháp",
        ("PHC", "Phòng Hành chính tư pháp"),
        ("PBTTP", "Phòng Bổ trợ tư pháp"),
        ("PVB", "Phòng Xây dựng, kiểm tra và theo dõi thi hành pháp luật"),
    ),
    _department(
        "03",
        "Sở Kế hoạch và Đầu tư",
        ("PDKKD", "Phòng Đăng ký kinh doanh"),
        ("PDN", "Phòng Doanh nghiệp, kinh tế tập thể và tư nhân"),
        ("PTH", "Phòng Tổng hợp, quy hoạch"),
    ),
    _department(
        "04",
        "Sở Tài chính",
        ("PQLNS", "Phòng Quản lý ngân sách"),
        ("PGCS", "Phòng Quản lý giá và công sản"),
        ("PTCDT", "Phòng Tài chính đầu tư"),
    ),
    _department(
        "05",
        "Sở Công Thương",
        ("PQLTM", "Phòng Quản lý thương mại"),
        ("PQLCN", "Phòng Quản lý công nghiệp"),
        ("PQLNL", "Phòng Quản lý năng lượng"),
    ),
    _department(
        "06",
        "Sở Nông nghiệp và Phát triển nông thôn",
        ("CCCNTY", "Chi cục Chăn nuôi và Thú y"),
        ("CCQLCL", "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản"),
        ("PKHTC", "Phòng Kế hoạch - Tài chính"),
    ),
    _department(
        "07",
        "Sở Giao thông vận tải",
        ("PQLVT", "Phòng Quản lý vận tải, phương tiện và người lái"),
        ("PQLKCHT", "Phòng Quản lý kết cấu hạ tầng giao thông"),
    ),
    _department(
        "08",
        "Sở Xây dựng",
        ("PQLXD", "Phòng Quản lý hoạt động xây dựng"),
        ("PQHKT", "Phòng Quy hoạch - Kiến trúc"),
        ("PQLN", "Phòng Quản lý nhà và thị trường bất động sản"),
    ),
    _department(
        "09",
        "Sở Tài nguyên và Môi trường",
        ("PQLDD", "Phòng Quản lý đất đai"),
        ("PTNN", "Phòng Tài nguyên nước, Khoáng sản và Khí tượng thủy văn"),
        ("CCBVMT", "Chi cục Bảo vệ môi trường"),
    ),
    _department(
        "10",
        "Sở Thông tin và Truyền thông",
        ("PTTBC", "Phòng Thông tin - Báo chí - Xuất bản"),
        ("PCNTT", "Phòng Công nghệ thông tin - Bưu chính viễn thông"),
    ),
    _department(
        "11",
        "Sở Lao động - Thương binh và Xã hội",
        ("PLDVL", "Phòng Lao động - Việc làm - Giáo dục nghề nghiệp"),
        ("PNCC", "Phòng Người có công"),
        ("PBTXH", "Phòng Bảo trợ xã hội - Trẻ em - Bình đẳng giới"),
    ),
    _department(
        "12",
        "Sở Văn hóa, Thể thao và Du lịch",
        ("PQLVH", "Phòng Quản lý văn hóa và Gia đình"),
        ("PQLDL", "Phòng Quản lý du lịch"),
        ("PQLTDTT", "Phòng Quản lý thể dục thể thao"),
    ),
    _department(
        "13",
        "Sở Khoa học và Công nghệ",
        ("PQLKH", "Phòng Quản lý khoa học"),
        ("CCTDC", "Chi cục Tiêu chuẩn Đo lường Chất lượng"),
    ),
    _department(
        "14",
        "Sở Giáo dục và Đào tạo",
        ("PGDTRH", "Phòng Giáo dục Trung học - Giáo dục thường xuyên"),
        ("PKTQLCL", "Phòng Khảo thí và Quản lý chất lượng giáo dục"),
        ("PGDMN", "Phòng Giáo dục Mầm non - Tiểu học"),
    ),
    _department(
        "15",
        "Sở Y tế",
        ("PNVY", "Phòng Nghiệp vụ Y"),
        ("PNVD", "Phòng Nghiệp vụ Dược"),
        ("PTCCB", "Phòng Tổ chức cán bộ"),
    ),
)

_DISTRICT_OFFICES: tuple[tuple[str, str], ...] = (
    ("VP", "Văn phòng HĐND và UBND"),
    ("PTP", "Phòng Tư pháp"),
    ("PTNMT", "Phòng Tài nguyên và Môi trường"),
    ("PTCKH", "Phòng Tài chính - Kế hoạch"),
    ("PLDTBXH", "Phòng Lao động - Thương binh và Xã hội"),
)
_CITY_OFFICES = (
    *_DISTRICT_OFFICES,
    ("PQLDT", "Phòng Quản lý đô thị"),
    ("PKT", "Phòng Kinh tế"),
)
_RURAL_OFFICES = (*_DISTRICT_OFFICES, ("PKTHT", "Phòng Kinh tế - Hạ tầng"))

_COMMUNE_OFFICES: tuple[tuple[str, str], ...] = (
    ("TP-HT", "Công chức Tư pháp - Hộ tịch"),
    ("VP", "Văn phòng - Thống kê"),
    ("DC-XD", "Công chức Địa chính - Xây dựng"),
    ("VH-XH", "Công chức Văn hóa - Xã hội"),
)

# (Y1Y2, district name, [(Z1Z2, commune name), ...]) as of 2022.
_DISTRICTS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "20",
        "thành phố Kon Tum",
        (
            ("01", "phường Quyết Thắng"),
            ("02", "phường Thắng Lợi"),
            ("03", "phường Trường Chinh"),
            ("04", "xã Đắk Cấm"),
        ),
    ),
    (
        "21",
        "huyện Đắk Glei",
        (
            ("01", "thị trấn Đắk Glei"),
            ("02", "xã Đắk Pék"),
            ("03", "xã Mường Hoong"),
        ),
    ),
    (
        "22",
        "huyện Ngọc Hồi",
        (
            ("01", "thị trấn Plei Kần"),
            ("02", "xã Bờ Y"),
            ("03", "xã Đắk Xú"),
        ),
    ),
    (
        "23",
        "huyện Đắk Tô",
        (
            ("01", "thị trấn Đắk Tô"),
            ("02", "xã Diên Bình"),
            ("03", "xã Tân Cảnh"),
        ),
    ),
    (
        "24",
        "huyện Kon Plông",
        (
            ("01", "xã Hiếu"),
            ("02", "xã Pờ Ê"),
            ("03", "xã Măng Cành"),
        ),
    ),
    (
        "25",
        "huyện Kon Rẫy",
        (
            ("01", "thị trấn Đắk Rve"),
            ("02", "xã Đắk Ruồng"),
            ("03", "xã Tân Lập"),
        ),
    ),
    (
        "26",
        "huyện Đắk Hà",
        (
            ("01", "thị trấn Đắk Hà"),
            ("02", "xã Hà Mòn"),
            ("03", "xã Đắk Mar"),
        ),
    ),
    (
        "27",
        "huyện Sa Thầy",
        (
            ("01", "thị trấn Sa Thầy"),
            ("02", "xã Sa Sơn"),
            ("03", "xã Rờ Kơi"),
        ),
    ),
    (
        "28",
        "huyện Tu Mơ Rông",
        (
            ("01", "xã Đắk Hà"),
            ("02", "xã Đắk Tờ Kan"),
            ("03", "xã Tu Mơ Rông"),
        ),
    ),
    (
        "29",
        "huyện Ia H'Drai",
        (
            ("01", "xã Ia Tơi"),
            ("02", "xã Ia Dom"),
            ("03", "xã Ia Dal"),
        ),
    ),
)


def _district_with_communes(
    yy: str, name: str, communes: tuple[tuple[str, str], ...]
) -> tuple[AgencySeed, ...]:
    offices = _CITY_OFFICES if yy == "20" else _RURAL_OFFICES
    district = AgencySeed(unit_code(yy), f"UBND {name}", AgencyLevel.DISTRICT, offices)
    return (
        district,
        *(
            AgencySeed(
                unit_code(yy, zz),
                f"UBND {commune}",
                AgencyLevel.COMMUNE,
                _COMMUNE_OFFICES,
            )
            for zz, commune in communes
        ),
    )


_PROVINCE = AgencySeed(
    code=PROVINCE_CODE,
    name="UBND tỉnh Kon Tum",
    level=AgencyLevel.PROVINCE,
    departments=(
        ("TTPVHCC", "Trung tâm Phục vụ hành chính công"),
        ("VP", "Văn phòng UBND tỉnh"),
    ),
)

AGENCIES: tuple[AgencySeed, ...] = (
    _PROVINCE,
    *_DEPARTMENTS,
    *(
        seed
        for yy, name, communes in _DISTRICTS
        for seed in _district_with_communes(yy, name, communes)
    ),
)
"""Every unit of the demo tree, parents before children."""

DESK_UNITS: tuple[str, ...] = (
    PROVINCE_CODE,  # Trung tâm Phục vụ hành chính công tỉnh
    *(unit_code(yy) for yy, _, _ in _DISTRICTS),
    P_QUYET_THANG,
    P_THANG_LOI,
    X_DAK_CAM,
    TT_PLEI_KAN,
    TT_DAK_TO,
    X_HA_MON,
)
"""Units that run a one-stop desk (Bộ phận Một cửa)."""
