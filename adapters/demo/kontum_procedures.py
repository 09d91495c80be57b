"""Kon Tum demo TTHC catalogue: national TTHC codes/names, plausible local terms."""

from __future__ import annotations

from decimal import Decimal

from adapters.demo.kontum_agencies import (
    DAK_HA,
    DAK_TO,
    KON_PLONG,
    NGOC_HOI,
    P_QUYET_THANG,
    P_THANG_LOI,
    PROVINCE,
    PROVINCE_CODE,
    SO_CONG_THUONG,
    SO_GIAO_DUC,
    SO_GIAO_THONG,
    SO_KE_HOACH_DAU_TU,
    SO_LAO_DONG,
    SO_NONG_NGHIEP,
    SO_TAI_NGUYEN,
    SO_THONG_TIN,
    SO_TU_PHAP,
    SO_VAN_HOA,
    SO_XAY_DUNG,
    SO_Y_TE,
    TP_KON_TUM,
    TT_DAK_TO,
    TT_PLEI_KAN,
    X_DAK_CAM,
    X_HA_MON,
)
from domain.deadline import TimeLimit, TimeUnit
from domain.procedure import (
    Component,
    DigitizationScope,
    Fee,
    OnlineLevel,
    ProcedureDefinition,
    ResultDocument,
)
from domain.values import AgencyCode

# --- small typed builders ---------------------------------------------------


def _hours(amount: int) -> TimeLimit:
    return TimeLimit(TimeUnit.WORKING_HOURS, Decimal(amount))


def _days(amount: int) -> TimeLimit:
    return TimeLimit(TimeUnit.WORKING_DAYS, Decimal(amount))


def _calendar_days(amount: int) -> TimeLimit:
    return TimeLimit(TimeUnit.CALENDAR_DAYS, Decimal(amount))


_NO_LIMIT = TimeLimit(TimeUnit.NONE)


def _doc(
    code: str, name: str, document_type: str, *, mandatory: bool = True
) -> Component:
    """A paper the agency digitizes at reception (in scope of TT 01/2023)."""
    return Component(code, name, document_type, DigitizationScope.IN_SCOPE, mandatory)


def _shown(code: str, name: str, document_type: str) -> Component:
    """An original only presented (xuất trình) and handed back."""
    return Component(code, name, document_type, DigitizationScope.SHOWN_ONLY)


def _copy(
    code: str, name: str, document_type: str, *, mandatory: bool = True
) -> Component:
    """A certified or plain copy (bản sao) kept in the dossier."""
    return Component(code, name, document_type, DigitizationScope.PHOTOCOPY, mandatory)


def _shared(code: str, name: str, document_type: str) -> Component:
    """Data the agency reads from the national population database instead."""
    return Component(code, name, document_type, DigitizationScope.SHARED_DATA)


def _fee(amount: int, name: str = "Lệ phí", code: str = "LP") -> Fee:
    return Fee(code, name, Decimal(amount))


def _result(sequence: int, name: str) -> ResultDocument:
    """Result code ``KQ.H34.nnnnnn``; one code per kind of result paper."""
    return ResultDocument(f"KQ.{PROVINCE}.{sequence:06d}", name)


def _field(code: str) -> str:
    return f"{PROVINCE}-{code}"


# --- shared dossier components (same document_type_code everywhere) --------

_CCCD = ("Căn cước công dân/Chứng minh nhân dân hoặc hộ chiếu (xuất trình)", "GT.CCCD")
_CU_TRU = ("Thông tin về nơi cư trú", "GT.CUTRU")
_UY_QUYEN = ("Văn bản ủy quyền (trường hợp nộp thay)", "GT.UQ")


def _identity(code: str = "TP1") -> Component:
    return _shown(code, *_CCCD)


def _residence(code: str) -> Component:
    return _shared(code, *_CU_TRU)


def _proxy(code: str) -> Component:
    return _doc(code, *_UY_QUYEN, mandatory=False)


# --- result documents (reused across procedures yielding the same paper) ----

KQ_GIAY_KHAI_SINH = _result(1, "Giấy khai sinh (bản chính)")
KQ_TRICH_LUC_KHAI_TU = _result(2, "Trích lục khai tử (bản chính)")
KQ_GIAY_CHUNG_NHAN_KET_HON = _result(3, "Giấy chứng nhận kết hôn")
KQ_XAC_NHAN_HON_NHAN = _result(4, "Giấy xác nhận tình trạng hôn nhân")
KQ_BAN_SAO_TRICH_LUC = _result(5, "Bản sao trích lục hộ tịch")
KQ_TRICH_LUC_CAI_CHINH = _result(6, "Trích lục thay đổi, cải chính, bổ sung hộ tịch")
KQ_TRICH_LUC_NHAN_CHA_ME_CON = _result(7, "Trích lục đăng ký nhận cha, mẹ, con")
KQ_BAN_SAO_CHUNG_THUC = _result(8, "Bản sao được chứng thực từ bản chính")
KQ_CHUNG_THUC_CHU_KY = _result(9, "Giấy tờ, văn bản đã được chứng thực chữ ký")
KQ_HOP_DONG_CHUNG_THUC = _result(10, "Hợp đồng, giao dịch đã được chứng thực")
KQ_PHIEU_LLTP_1 = _result(11, "Phiếu lý lịch tư pháp số 1")
KQ_PHIEU_LLTP_2 = _result(12, "Phiếu lý lịch tư pháp số 2")
KQ_GCN_DKDN = _result(13, "Giấy chứng nhận đăng ký doanh nghiệp")
KQ_GCN_HKD = _result(14, "Giấy chứng nhận đăng ký hộ kinh doanh")
KQ_GIAY_PHEP_XAY_DUNG = _result(15, "Giấy phép xây dựng")
KQ_CCHN_XAY_DUNG = _result(16, "Chứng chỉ hành nghề hoạt động xây dựng")
KQ_GIAY_PHEP_LAI_XE = _result(17, "Giấy phép lái xe")
KQ_GP_KINH_DOANH_VAN_TAI = _result(18, "Giấy phép kinh doanh vận tải bằng xe ô tô")
KQ_CCHN_DUOC = _result(19, "Chứng chỉ hành nghề dược")
KQ_GCN_KINH_DOANH_DUOC = _result(20, "Giấy chứng nhận đủ điều kiện kinh doanh dược")
KQ_BAN_SAO_VAN_BANG = _result(21, "Bản sao văn bằng, chứng chỉ từ sổ gốc")
KQ_QD_CHINH_SUA_VAN_BANG = _result(22, "Quyết định chỉnh sửa văn bằng, chứng chỉ")
KQ_GIAY_PHEP_LAO_DONG = _result(23, "Giấy phép lao động")
KQ_QD_TRO_CAP_THAT_NGHIEP = _result(24, "Quyết định về việc hưởng trợ cấp thất nghiệp")
KQ_GP_KHAI_THAC_NUOC = _result(25, "Giấy phép khai thác nước dưới đất")
KQ_GCN_BAN_LE_XANG_DAU = _result(
    26, "Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu"
)
KQ_CCHN_THU_Y = _result(27, "Chứng chỉ hành nghề thú y")
KQ_GCN_ATTP = _result(28, "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm")
KQ_GP_KARAOKE = _result(29, "Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke")
KQ_THE_HUONG_DAN_VIEN = _result(30, "Thẻ hướng dẫn viên du lịch nội địa")
KQ_GP_BAN_TIN = _result(31, "Giấy phép xuất bản bản tin")
KQ_VB_LE_HOI = _result(32, "Văn bản chấp thuận đăng ký tổ chức lễ hội")
KQ_QD_TRO_CAP_XA_HOI = _result(33, "Quyết định trợ cấp xã hội hàng tháng")
KQ_GIAY_XAC_NHAN_KHUYET_TAT = _result(34, "Giấy xác nhận khuyết tật")
KQ_GCN_HO_NGHEO = _result(35, "Giấy chứng nhận hộ nghèo, hộ cận nghèo")
KQ_QD_MAI_TANG = _result(36, "Quyết định hỗ trợ chi phí mai táng")


def _procedure(
    code: str,
    name: str,
    field: str,
    agency: str,
    time_limit: TimeLimit,
    components: tuple[Component, ...],
    results: tuple[ResultDocument, ...],
    fees: tuple[Fee, ...] = (),
    online: OnlineLevel = OnlineLevel.PARTIAL,
) -> ProcedureDefinition:
    return ProcedureDefinition(
        code=code,
        name=name,
        field_code=_field(field),
        competent_agency=AgencyCode(agency),
        time_limit=time_limit,
        components=components,
        results=results,
        fees=fees,
        online_level=online,
    )


# --- provincial departments (sở) and the province itself -------------------

_DEPARTMENT_LEVEL: tuple[ProcedureDefinition, ...] = (
    _procedure(
        "3.000333",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang "
        "cư trú tại Việt Nam, người Việt Nam đang cư trú ở nước ngoài",
        "LLTP",
        SO_TU_PHAP,
        _days(10),
        (
            _doc("TP1", "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "GT.TKLLTP"),
            _identity("TP2"),
            _residence("TP3"),
            _proxy("TP4"),
        ),
        (KQ_PHIEU_LLTP_1, KQ_PHIEU_LLTP_2),
        (_fee(200_000, "Phí cung cấp thông tin lý lịch tư pháp", "PHI"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.000635",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "HT",
        SO_TU_PHAP,
        _hours(4),
        (
            _doc("TP1", "Tờ khai cấp bản sao trích lục hộ tịch", "GT.TKTLHT"),
            _identity("TP2"),
            _proxy("TP3"),
        ),
        (KQ_BAN_SAO_TRICH_LUC,),
        (_fee(8_000, "Phí cấp bản sao trích lục hộ tịch", "PHI"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.001610",
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "DKKD",
        SO_KE_HOACH_DAU_TU,
        _days(3),
        (
            _doc("TP1", "Giấy đề nghị đăng ký doanh nghiệp", "GT.GDNDKDN"),
            _copy("TP2", "Bản sao giấy tờ pháp lý của chủ doanh nghiệp", "GT.CCCD"),
            _proxy("TP3"),
        ),
        (KQ_GCN_DKDN,),
        (
            _fee(50_000, "Lệ phí đăng ký doanh nghiệp"),
            _fee(100_000, "Phí công bố nội dung đăng ký doanh nghiệp", "PHI"),
        ),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.001583",
        "Đăng ký thành lập công ty TNHH một thành viên",
        "DKKD",
        SO_KE_HOACH_DAU_TU,
        _days(3),
        (
            _doc("TP1", "Giấy đề nghị đăng ký doanh nghiệp", "GT.GDNDKDN"),
            _doc("TP2", "Điều lệ công ty", "GT.DLCT"),
            _copy(
                "TP3",
                "Bản sao giấy tờ pháp lý của người đại diện theo pháp luật",
                "GT.CCCD",
            ),
            _copy(
                "TP4",
                "Bản sao giấy tờ pháp lý của chủ sở hữu là tổ chức",
                "GT.GCNDKDN",
                mandatory=False,
            ),
            _proxy("TP5"),
        ),
        (KQ_GCN_DKDN,),
        (
            _fee(50_000, "Lệ phí đăng ký doanh nghiệp"),
            _fee(100_000, "Phí công bố nội dung đăng ký doanh nghiệp", "PHI"),
        ),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.001199",
        "Đăng ký thành lập công ty TNHH hai thành viên trở lên",
        "DKKD",
        SO_KE_HOACH_DAU_TU,
        _days(3),
        (
            _doc("TP1", "Giấy đề nghị đăng ký doanh nghiệp", "GT.GDNDKDN"),
            _doc("TP2", "Điều lệ công ty", "GT.DLCT"),
            _doc("TP3", "Danh sách thành viên", "GT.DSTV"),
            _copy("TP4", "Bản sao giấy tờ pháp lý của các thành viên", "GT.CCCD"),
        ),
        (KQ_GCN_DKDN,),
        (
            _fee(50_000, "Lệ phí đăng ký doanh nghiệp"),
            _fee(100_000, "Phí công bố nội dung đăng ký doanh nghiệp", "PHI"),
        ),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.013236",
        "Cấp giấy phép xây dựng mới công trình cấp đặc biệt, cấp I, cấp II "
        "(Công trình không theo tuyến/Theo tuyến trong đô thị/Tín ngưỡng, tôn "
        "giáo/Tượng đài, tranh hoành tráng/Theo giai đoạn cho công trình không "
        "theo tuyến/Theo giai đoạn cho công trình theo tuyến trong đô thị/Dự án)",
        "XD",
        SO_XAY_DUNG,
        _days(20),
        (
            _doc("TP1", "Đơn đề nghị cấp giấy phép xây dựng", "GT.DNGPXD"),
            _copy(
                "TP2",
                "Giấy tờ chứng minh quyền sử dụng đất",
                "GT.GCNQSDD",
            ),
            _doc("TP3", "Bản vẽ thiết kế xây dựng", "GT.BVTK"),
            _copy(
                "TP4",
                "Quyết định phê duyệt dự án và văn bản thẩm định thiết kế",
                "GT.QDPDDA",
            ),
        ),
        (KQ_GIAY_PHEP_XAY_DUNG,),
        (_fee(150_000, "Lệ phí cấp giấy phép xây dựng công trình"),),
    ),
    _procedure(
        "1.013237",
        "Cấp mới chứng chỉ hành nghề hoạt động xây dựng",
        "XD",
        SO_XAY_DUNG,
        _days(20),
        (
            _doc("TP1", "Đơn đề nghị cấp chứng chỉ hành nghề", "GT.DNCCHN"),
            _doc("TP2", "Ảnh màu cỡ 4x6 cm", "GT.ANH"),
            _copy("TP3", "Văn bằng được đào tạo", "GT.VANBANG"),
            _doc("TP4", "Bản kê khai kinh nghiệm hoạt động xây dựng", "GT.KKKN"),
        ),
        (KQ_CCHN_XAY_DUNG,),
        (_fee(300_000, "Lệ phí cấp chứng chỉ hành nghề hoạt động xây dựng"),),
    ),
    _procedure(
        "3.000347",
        "Đổi giấy phép lái xe",
        "DB",
        SO_GIAO_THONG,
        _days(5),
        (
            _doc("TP1", "Đơn đề nghị đổi, cấp lại giấy phép lái xe", "GT.DNGPLX"),
            _doc("TP2", "Giấy khám sức khỏe của người lái xe", "GT.GKSK"),
            _copy("TP3", "Giấy phép lái xe đang sử dụng", "GT.GPLX"),
            _identity("TP4"),
        ),
        (KQ_GIAY_PHEP_LAI_XE,),
        (_fee(135_000, "Lệ phí cấp, đổi giấy phép lái xe"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.000703",
        "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô, bằng xe bốn bánh có gắn "
        "động cơ",
        "DB",
        SO_GIAO_THONG,
        _days(5),
        (
            _doc("TP1", "Giấy đề nghị cấp Giấy phép kinh doanh vận tải", "GT.DNGPVT"),
            _copy(
                "TP2",
                "Văn bằng, chứng chỉ của người điều hành vận tải",
                "GT.VANBANG",
            ),
            _doc(
                "TP3",
                "Phương án kinh doanh vận tải bằng xe ô tô",
                "GT.PAKDVT",
            ),
        ),
        (KQ_GP_KINH_DOANH_VAN_TAI,),
        (_fee(200_000, "Lệ phí cấp giấy phép kinh doanh vận tải"),),
    ),
    _procedure(
        "1.014092",
        "Cấp Chứng chỉ hành nghề dược (bao gồm cả trường hợp cấp Chứng chỉ hành "
        "nghề dược cho người bị thu hồi Chứng chỉ hành nghề dược theo quy định tại "
        "các khoản 1, 2, 4, 5, 6, 7, 8, 9, 10, 11 Điều 28 của Luật Dược) theo hình "
        "thức xét hồ sơ",
        "DUOC",
        SO_Y_TE,
        _days(20),
        (
            _doc("TP1", "Đơn đề nghị cấp Chứng chỉ hành nghề dược", "GT.DNCCHND"),
            _doc("TP2", "Ảnh chân dung cỡ 4x6 cm", "GT.ANH"),
            _copy("TP3", "Văn bằng chuyên môn", "GT.VANBANG"),
            _doc("TP4", "Giấy xác nhận thời gian thực hành chuyên môn", "GT.XNTH"),
            _identity("TP5"),
        ),
        (KQ_CCHN_DUOC,),
        (_fee(500_000, "Phí thẩm định cấp Chứng chỉ hành nghề dược", "PHI"),),
    ),
    _procedure(
        "1.014076",
        "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược thuộc thẩm quyền của Sở "
        "Y tế (Cơ sở bán buôn thuốc, nguyên liệu làm thuốc; Cơ sở bán lẻ thuốc bao "
        "gồm nhà thuốc, quầy thuốc, tủ thuốc trạm y tế xã, cơ sở chuyên bán lẻ dược "
        "liệu, thuốc dược liệu, thuốc cổ truyền)",
        "DUOC",
        SO_Y_TE,
        _calendar_days(30),
        (
            _doc(
                "TP1",
                "Đơn đề nghị cấp Giấy chứng nhận đủ điều kiện kinh doanh dược",
                "GT.DNGCNDD",
            ),
            _doc("TP2", "Tài liệu kỹ thuật về địa điểm, kho bảo quản", "GT.TLKT"),
            _copy("TP3", "Chứng chỉ hành nghề dược", "GT.CCHND"),
            _copy(
                "TP4",
                "Giấy chứng nhận đăng ký doanh nghiệp/hộ kinh doanh",
                "GT.GCNDKDN",
            ),
        ),
        (KQ_GCN_KINH_DOANH_DUOC,),
        (_fee(1_000_000, "Phí thẩm định điều kiện kinh doanh dược", "PHI"),),
    ),
    _procedure(
        "3.000465",
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc",
        "VBCC",
        SO_GIAO_DUC,
        _hours(8),
        (
            _doc("TP1", "Đơn đề nghị cấp bản sao văn bằng, chứng chỉ", "GT.DNBSVB"),
            _identity("TP2"),
            _proxy("TP3"),
        ),
        (KQ_BAN_SAO_VAN_BANG,),
        (),
        OnlineLevel.FULL,
    ),
    _procedure(
        "3.000466",
        "Chỉnh sửa nội dung văn bằng, chứng chỉ",
        "VBCC",
        SO_GIAO_DUC,
        _days(5),
        (
            _doc("TP1", "Đơn đề nghị chỉnh sửa văn bằng, chứng chỉ", "GT.DNCSVB"),
            _shown("TP2", "Văn bằng, chứng chỉ đề nghị chỉnh sửa", "GT.VANBANG"),
            _copy(
                "TP3",
                "Trích lục hoặc quyết định thay đổi, cải chính hộ tịch",
                "GT.TLCC",
            ),
            _copy("TP4", "Giấy khai sinh", "GT.GKS"),
        ),
        (KQ_QD_CHINH_SUA_VAN_BANG,),
    ),
    _procedure(
        "1.014199",
        "Cấp giấy phép lao động đối với người lao động nước ngoài làm việc tại "
        "Việt Nam",
        "VL",
        SO_LAO_DONG,
        _days(10),
        (
            _doc("TP1", "Văn bản đề nghị cấp giấy phép lao động", "GT.DNGPLD"),
            _doc("TP2", "Giấy chứng nhận sức khỏe", "GT.GKSK"),
            _doc("TP3", "Phiếu lý lịch tư pháp", "GT.LLTP"),
            _copy("TP4", "Hộ chiếu còn giá trị", "GT.HOCHIEU"),
            _doc("TP5", "Ảnh màu cỡ 4x6 cm", "GT.ANH"),
        ),
        (KQ_GIAY_PHEP_LAO_DONG,),
        (_fee(600_000, "Lệ phí cấp giấy phép lao động"),),
    ),
    _procedure(
        "1.014748",
        "Hưởng trợ cấp thất nghiệp (Cấp tỉnh)",
        "VL",
        SO_LAO_DONG,
        _days(20),
        (
            _doc("TP1", "Đề nghị hưởng trợ cấp thất nghiệp", "GT.DNTCTN"),
            _copy(
                "TP2",
                "Quyết định thôi việc hoặc hợp đồng lao động đã hết hạn",
                "GT.QDTV",
            ),
            _doc("TP3", "Sổ bảo hiểm xã hội", "GT.SOBHXH"),
            _identity("TP4"),
        ),
        (KQ_QD_TRO_CAP_THAT_NGHIEP,),
    ),
    _procedure(
        "2.001955",
        "Đăng ký nội quy lao động của doanh nghiệp",
        "LDTL",
        SO_LAO_DONG,
        _days(7),
        (
            _doc("TP1", "Văn bản đề nghị đăng ký nội quy lao động", "GT.DNNQLD"),
            _doc("TP2", "Nội quy lao động", "GT.NQLD"),
            _doc(
                "TP3",
                "Biên bản góp ý của tổ chức đại diện người lao động",
                "GT.BBGY",
                mandatory=False,
            ),
        ),
        (),
        (),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.004223",
        "Cấp giấy phép khai thác nước dưới đất đối với công trình có quy mô dưới "
        "5.000 m3/ngày đêm",
        "TNN",
        SO_TAI_NGUYEN,
        _days(30),
        (
            _doc("TP1", "Đơn đề nghị cấp giấy phép", "GT.DNGPTNN"),
            _doc("TP2", "Báo cáo kết quả thăm dò đánh giá trữ lượng", "GT.BCTD"),
            _doc("TP3", "Kết quả phân tích chất lượng nguồn nước", "GT.KQPTN"),
            _copy("TP4", "Giấy tờ chứng minh quyền sử dụng đất", "GT.GCNQSDD"),
        ),
        (KQ_GP_KHAI_THAC_NUOC,),
        (_fee(600_000, "Phí thẩm định đề án khai thác nước dưới đất", "PHI"),),
    ),
    _procedure(
        "1.004211",
        "Gia hạn, điều chỉnh giấy phép khai thác nước dưới đất đối với công trình "
        "có quy mô dưới 5.000 m3/ngày đêm",
        "TNN",
        SO_TAI_NGUYEN,
        _days(25),
        (
            _doc("TP1", "Đơn đề nghị gia hạn, điều chỉnh giấy phép", "GT.DNGPTNN"),
            _doc("TP2", "Báo cáo hiện trạng khai thác nước dưới đất", "GT.BCHT"),
            _copy("TP3", "Giấy phép khai thác nước dưới đất đã được cấp", "GT.GPKTN"),
        ),
        (KQ_GP_KHAI_THAC_NUOC,),
        (_fee(300_000, "Phí thẩm định gia hạn, điều chỉnh giấy phép", "PHI"),),
    ),
    _procedure(
        "2.000648",
        "Cấp Giấy chứng nhận cửa hàng đủ điều kiện bán lẻ xăng dầu",
        "LTHH",
        SO_CONG_THUONG,
        _days(15),
        (
            _doc("TP1", "Đơn đề nghị cấp Giấy chứng nhận", "GT.DNGCNXD"),
            _copy(
                "TP2",
                "Giấy chứng nhận đăng ký doanh nghiệp",
                "GT.GCNDKDN",
            ),
            _copy(
                "TP3",
                "Giấy chứng nhận thẩm duyệt thiết kế về phòng cháy chữa cháy",
                "GT.PCCC",
            ),
            _copy(
                "TP4",
                "Chứng nhận huấn luyện nghiệp vụ của nhân viên cửa hàng",
                "GT.CNHL",
            ),
        ),
        (KQ_GCN_BAN_LE_XANG_DAU,),
        (_fee(600_000, "Phí thẩm định điều kiện kinh doanh xăng dầu", "PHI"),),
    ),
    _procedure(
        "1.004756",
        "Cấp Chứng chỉ hành nghề thú y",
        "TY",
        SO_NONG_NGHIEP,
        _days(5),
        (
            _doc("TP1", "Đơn đăng ký cấp Chứng chỉ hành nghề thú y", "GT.DNCCHNTY"),
            _copy("TP2", "Văn bằng, chứng chỉ chuyên môn", "GT.VANBANG"),
            _doc("TP3", "Giấy chứng nhận sức khỏe", "GT.GKSK"),
            _doc("TP4", "Ảnh 4x6 cm", "GT.ANH"),
        ),
        (KQ_CCHN_THU_Y,),
        (_fee(50_000, "Lệ phí cấp Chứng chỉ hành nghề thú y"),),
    ),
    _procedure(
        "2.001827",
        "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở "
        "sản xuất, kinh doanh thực phẩm nông, lâm, thủy sản",
        "QLCL",
        SO_NONG_NGHIEP,
        _days(15),
        (
            _doc("TP1", "Đơn đề nghị cấp Giấy chứng nhận", "GT.DNGCNATTP"),
            _doc(
                "TP2",
                "Bản thuyết minh về cơ sở vật chất, trang thiết bị",
                "GT.BTM",
            ),
            _copy(
                "TP3",
                "Giấy chứng nhận đăng ký doanh nghiệp/hộ kinh doanh",
                "GT.GCNDKDN",
                mandatory=False,
            ),
        ),
        (KQ_GCN_ATTP,),
        (_fee(700_000, "Phí thẩm định cấp Giấy chứng nhận", "PHI"),),
    ),
    _procedure(
        "1.001029",
        "Cấp giấy phép đủ điều kiện kinh doanh dịch vụ karaoke",
        "VH",
        SO_VAN_HOA,
        _days(5),
        (
            _doc("TP1", "Đơn đề nghị cấp giấy phép", "GT.DNGPKARA"),
            _copy(
                "TP2",
                "Giấy chứng nhận đăng ký doanh nghiệp/hộ kinh doanh",
                "GT.GCNDKDN",
            ),
        ),
        (KQ_GP_KARAOKE,),
        (_fee(4_000_000, "Phí thẩm định cấp giấy phép (01-03 phòng)", "PHI"),),
    ),
    _procedure(
        "1.004623",
        "Cấp thẻ hướng dẫn viên du lịch nội địa",
        "DL",
        SO_VAN_HOA,
        _days(10),
        (
            _doc("TP1", "Đơn đề nghị cấp thẻ hướng dẫn viên du lịch", "GT.DNTHDV"),
            _doc("TP2", "Sơ yếu lý lịch có xác nhận", "GT.SYLL"),
            _copy("TP3", "Văn bằng hoặc chứng chỉ nghiệp vụ", "GT.VANBANG"),
            _doc("TP4", "Giấy chứng nhận sức khỏe", "GT.GKSK"),
            _doc("TP5", "Ảnh chân dung 3x4 cm", "GT.ANH"),
        ),
        (KQ_THE_HUONG_DAN_VIEN,),
        (_fee(650_000, "Phí thẩm định cấp thẻ hướng dẫn viên du lịch", "PHI"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.009374",
        "Cấp giấy phép xuất bản bản tin (địa phương)",
        "BC",
        SO_THONG_TIN,
        _calendar_days(15),
        (
            _doc("TP1", "Tờ khai đề nghị cấp giấy phép xuất bản bản tin", "GT.TKBT"),
            _copy("TP2", "Văn bằng của người chịu trách nhiệm xuất bản", "GT.VANBANG"),
            _doc("TP3", "Mẫu trình bày tên gọi của bản tin", "GT.MAUBT"),
        ),
        (KQ_GP_BAN_TIN,),
    ),
    _procedure(
        "1.003676",
        "Đăng ký tổ chức lễ hội (thẩm quyền của UBND cấp tỉnh)",
        "VH",
        PROVINCE_CODE,
        _days(20),
        (
            _doc("TP1", "Văn bản đăng ký tổ chức lễ hội", "GT.DKLH"),
            _doc("TP2", "Kế hoạch tổ chức lễ hội", "GT.KHLH"),
            _doc("TP3", "Thuyết minh tóm tắt về lễ hội", "GT.TMLH", mandatory=False),
        ),
        (KQ_VB_LE_HOI,),
    ),
)

# --- district-level units (UBND huyện / thành phố) --------------------------

_DISTRICT_LEVEL: tuple[ProcedureDefinition, ...] = (
    _procedure(
        "1.001612",
        "Đăng ký thành lập hộ kinh doanh",
        "DKKD",
        TP_KON_TUM,
        _days(3),
        (
            _doc("TP1", "Giấy đề nghị đăng ký hộ kinh doanh", "GT.GDNHKD"),
            _copy("TP2", "Giấy tờ pháp lý của chủ hộ kinh doanh", "GT.CCCD"),
            _copy(
                "TP3",
                "Biên bản họp thành viên hộ gia đình",
                "GT.BBHGD",
                mandatory=False,
            ),
        ),
        (KQ_GCN_HKD,),
        (_fee(100_000, "Lệ phí đăng ký hộ kinh doanh"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.000720",
        "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "DKKD",
        DAK_HA,
        _days(3),
        (
            _doc(
                "TP1",
                "Thông báo thay đổi nội dung đăng ký hộ kinh doanh",
                "GT.TBHKD",
            ),
            _shown("TP2", "Giấy chứng nhận đăng ký hộ kinh doanh đã cấp", "GT.GCNHKD"),
            _copy("TP3", "Giấy tờ pháp lý của chủ hộ kinh doanh", "GT.CCCD"),
        ),
        (KQ_GCN_HKD,),
        (_fee(50_000, "Lệ phí đăng ký thay đổi hộ kinh doanh"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.000806",
        "Đăng ký kết hôn có yếu tố nước ngoài",
        "HT",
        TP_KON_TUM,
        _days(15),
        (
            _doc("TP1", "Tờ khai đăng ký kết hôn", "GT.TKKH"),
            _doc(
                "TP2",
                "Giấy xác nhận không mắc bệnh tâm thần",
                "GT.GKSK",
            ),
            _copy("TP3", "Hộ chiếu của bên là người nước ngoài", "GT.HOCHIEU"),
            _doc(
                "TP4",
                "Giấy tờ chứng minh tình trạng hôn nhân của người nước ngoài",
                "GT.XNHN",
            ),
            _identity("TP5"),
        ),
        (KQ_GIAY_CHUNG_NHAN_KET_HON,),
        (_fee(1_000_000, "Lệ phí đăng ký kết hôn có yếu tố nước ngoài"),),
    ),
    _procedure(
        "2.000528",
        "Đăng ký khai sinh có yếu tố nước ngoài",
        "HT",
        TP_KON_TUM,
        _hours(8),
        (
            _doc("TP1", "Tờ khai đăng ký khai sinh", "GT.TKKS"),
            _doc("TP2", "Giấy chứng sinh", "GT.GCS"),
            _doc(
                "TP3",
                "Văn bản thỏa thuận chọn quốc tịch cho con",
                "GT.TTQT",
                mandatory=False,
            ),
            _identity("TP4"),
        ),
        (KQ_GIAY_KHAI_SINH,),
        (_fee(75_000, "Lệ phí đăng ký khai sinh có yếu tố nước ngoài"),),
    ),
    _procedure(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có "
        "thẩm quyền của Việt Nam; cơ quan, tổ chức có thẩm quyền của nước ngoài; "
        "cơ quan, tổ chức có thẩm quyền của Việt Nam liên kết với cơ quan, tổ chức "
        "có thẩm quyền của nước ngoài cấp hoặc chứng nhận",
        "CT",
        DAK_TO,
        _hours(4),
        (
            _shown("TP1", "Bản chính giấy tờ, văn bản cần chứng thực", "GT.BANCHINH"),
            _copy("TP2", "Bản sao cần chứng thực", "GT.BANSAO"),
        ),
        (KQ_BAN_SAO_CHUNG_THUC,),
        (_fee(2_000, "Phí chứng thực bản sao (mỗi trang)", "PHI"),),
        OnlineLevel.NONE,
    ),
    _procedure(
        "1.013225",
        "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV (Công trình "
        "không theo tuyến/Theo tuyến trong đô thị/Tín ngưỡng, tôn giáo/Tượng đài, "
        "tranh hoành tráng/Theo giai đoạn cho công trình không theo tuyến/Theo giai "
        "đoạn cho công trình theo tuyến trong đô thị/Dự án) và nhà ở riêng lẻ",
        "XD",
        KON_PLONG,
        _days(15),
        (
            _doc("TP1", "Đơn đề nghị cấp giấy phép xây dựng", "GT.DNGPXD"),
            _copy("TP2", "Giấy tờ chứng minh quyền sử dụng đất", "GT.GCNQSDD"),
            _doc("TP3", "Bản vẽ thiết kế xây dựng", "GT.BVTK"),
            _doc(
                "TP4",
                "Bản kê khai kinh nghiệm của tổ chức, cá nhân thiết kế",
                "GT.KKKN",
                mandatory=False,
            ),
        ),
        (KQ_GIAY_PHEP_XAY_DUNG,),
        (_fee(75_000, "Lệ phí cấp giấy phép xây dựng nhà ở riêng lẻ"),),
    ),
    _procedure(
        "1.001776",
        "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng, hỗ trợ kinh "
        "phí chăm sóc, nuôi dưỡng hàng tháng",
        "BTXH",
        NGOC_HOI,
        _days(20),
        (
            _doc("TP1", "Tờ khai đề nghị trợ giúp xã hội", "GT.TKTGXH"),
            _copy("TP2", "Giấy xác nhận khuyết tật", "GT.GXNKT"),
            _copy("TP3", "Giấy khai sinh (đối với trẻ em)", "GT.GKS"),
            _residence("TP4"),
        ),
        (KQ_QD_TRO_CAP_XA_HOI,),
    ),
)

# --- commune-level units (UBND xã / phường / thị trấn) ----------------------

_COMMUNE_LEVEL: tuple[ProcedureDefinition, ...] = (
    _procedure(
        "1.001193",
        "Đăng ký khai sinh",
        "HT",
        P_QUYET_THANG,
        _hours(4),
        (
            _doc("TP1", "Tờ khai đăng ký khai sinh", "GT.TKKS"),
            _doc("TP2", "Giấy chứng sinh", "GT.GCS"),
            _identity("TP3"),
            _residence("TP4"),
            _copy(
                "TP5",
                "Giấy chứng nhận kết hôn của cha, mẹ",
                "GT.GCNKH",
                mandatory=False,
            ),
        ),
        (KQ_GIAY_KHAI_SINH,),
        (),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.000656",
        "Đăng ký khai tử",
        "HT",
        P_QUYET_THANG,
        _hours(8),
        (
            _doc("TP1", "Tờ khai đăng ký khai tử", "GT.TKKT"),
            _doc("TP2", "Giấy báo tử hoặc giấy tờ thay giấy báo tử", "GT.GBT"),
            _identity("TP3"),
        ),
        (KQ_TRICH_LUC_KHAI_TU,),
        (),
        OnlineLevel.FULL,
    ),
    _procedure(
        "1.000894",
        "Đăng ký kết hôn",
        "HT",
        P_QUYET_THANG,
        _hours(8),
        (
            _doc("TP1", "Tờ khai đăng ký kết hôn", "GT.TKKH"),
            _identity("TP2"),
            _doc(
                "TP3",
                "Giấy xác nhận tình trạng hôn nhân (nếu cư trú nơi khác)",
                "GT.XNHN",
                mandatory=False,
            ),
        ),
        (KQ_GIAY_CHUNG_NHAN_KET_HON,),
    ),
    _procedure(
        "1.004873",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        "HT",
        P_QUYET_THANG,
        _days(3),
        (
            _doc("TP1", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", "GT.TKXNHN"),
            _identity("TP2"),
            _copy(
                "TP3",
                "Bản án, quyết định ly hôn đã có hiệu lực",
                "GT.QDLH",
                mandatory=False,
            ),
        ),
        (KQ_XAC_NHAN_HON_NHAN,),
        (_fee(15_000, "Lệ phí cấp Giấy xác nhận tình trạng hôn nhân"),),
        OnlineLevel.FULL,
    ),
    _procedure(
        "2.000884",
        "Chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng cho cả trường hợp "
        "chứng thực điểm chỉ và trường hợp người yêu cầu chứng thực không thể ký, "
        "không thể điểm chỉ được)",
        "CT",
        P_QUYET_THANG,
        _hours(4),
        (
            _identity("TP1"),
            _shown("TP2", "Giấy tờ, văn bản cần chứng thực chữ ký", "GT.GTCK"),
        ),
        (KQ_CHUNG_THUC_CHU_KY,),
        (_fee(10_000, "Phí chứng thực chữ ký", "PHI"),),
        OnlineLevel.NONE,
    ),
    _procedure(
        "2.001035",
        "Chứng thực giao dịch liên quan đến tài sản là động sản, quyền sử dụng "
        "đất, nhà ở",
        "CT",
        P_QUYET_THANG,
        _days(2),
        (
            _doc("TP1", "Dự thảo hợp đồng, giao dịch", "GT.HDGD"),
            _identity("TP2"),
            _copy("TP3", "Giấy chứng nhận quyền sử dụng đất", "GT.GCNQSDD"),
        ),
        (KQ_HOP_DONG_CHUNG_THUC,),
        (_fee(50_000, "Phí chứng thực hợp đồng, giao dịch", "PHI"),),
        OnlineLevel.NONE,
    ),
    _procedure(
        "1.004859",
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc",
        "HT",
        P_THANG_LOI,
        _days(3),
        (
            _doc(
                "TP1",
                "Tờ khai thay đổi, cải chính, bổ sung thông tin hộ tịch",
                "GT.TKCC",
            ),
            _copy("TP2", "Giấy khai sinh", "GT.GKS"),
            _copy("TP3", "Giấy tờ làm căn cứ cải chính", "GT.CCCC", mandatory=False),
            _identity("TP4"),
        ),
        (KQ_TRICH_LUC_CAI_CHINH,),
        (_fee(15_000, "Lệ phí thay đổi, cải chính hộ tịch"),),
    ),
    _procedure(
        "1.004884",
        "Đăng ký lại khai sinh",
        "HT",
        TT_DAK_TO,
        _days(5),
        (
            _doc("TP1", "Tờ khai đăng ký lại khai sinh", "GT.TKKS"),
            _copy("TP2", "Bản sao Giấy khai sinh trước đây", "GT.GKS", mandatory=False),
            _identity("TP3"),
        ),
        (KQ_GIAY_KHAI_SINH,),
    ),
    _procedure(
        "1.001022",
        "Đăng ký nhận cha, mẹ, con",
        "HT",
        P_THANG_LOI,
        _days(3),
        (
            _doc("TP1", "Tờ khai đăng ký nhận cha, mẹ, con", "GT.TKNCMC"),
            _doc("TP2", "Chứng cứ chứng minh quan hệ cha, mẹ, con", "GT.CCCMC"),
            _identity("TP3"),
        ),
        (KQ_TRICH_LUC_NHAN_CHA_ME_CON,),
        (_fee(15_000, "Lệ phí đăng ký nhận cha, mẹ, con"),),
    ),
    _procedure(
        "1.001699",
        "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
        "BTXH",
        X_HA_MON,
        _calendar_days(30),
        (
            _doc("TP1", "Đơn đề nghị xác định mức độ khuyết tật", "GT.DNXDKT"),
            _copy(
                "TP2",
                "Giấy tờ liên quan đến khuyết tật (bệnh án, giấy ra viện)",
                "GT.BENHAN",
                mandatory=False,
            ),
            _identity("TP3"),
        ),
        (KQ_GIAY_XAC_NHAN_KHUYET_TAT,),
    ),
    _procedure(
        "1.011607",
        "Công nhận hộ nghèo, hộ cận nghèo thường xuyên hằng năm",
        "GN",
        X_HA_MON,
        _days(7),
        (
            _doc("TP1", "Giấy đề nghị rà soát hộ nghèo, hộ cận nghèo", "GT.DNRSHN"),
            _residence("TP2"),
        ),
        (KQ_GCN_HO_NGHEO,),
        (),
        OnlineLevel.NONE,
    ),
    _procedure(
        "1.001731",
        "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
        "BTXH",
        X_DAK_CAM,
        _days(3),
        (
            _doc("TP1", "Tờ khai đề nghị hỗ trợ chi phí mai táng", "GT.TKMT"),
            _copy("TP2", "Giấy báo tử hoặc trích lục khai tử", "GT.GBT"),
            _identity("TP3"),
        ),
        (KQ_QD_MAI_TANG,),
        (),
        OnlineLevel.NONE,
    ),
    _procedure(
        "1.003622",
        "Thông báo tổ chức lễ hội cấp xã",
        "VH",
        TT_PLEI_KAN,
        _NO_LIMIT,
        (
            _doc("TP1", "Văn bản thông báo tổ chức lễ hội", "GT.TBLH"),
            _doc("TP2", "Chương trình, kế hoạch tổ chức lễ hội", "GT.KHLH"),
        ),
        (),
    ),
)

PROCEDURES: tuple[ProcedureDefinition, ...] = (
    *_DEPARTMENT_LEVEL,
    *_DISTRICT_LEVEL,
    *_COMMUNE_LEVEL,
)
"""The demo catalogue: each TTHC code once, with one competent agency."""


def procedures_for(agency_code: str) -> tuple[ProcedureDefinition, ...]:
    """Procedures whose competent agency is exactly ``agency_code``."""
    wanted = AgencyCode(agency_code)
    return tuple(p for p in PROCEDURES if p.competent_agency == wanted)
