"""Every code the gateway documents, with its English and Vietnamese meaning and what it means to us.

The gateway answers with integers (:mod:`.parsing` reads them out of whatever wraps them).
 The rules never look at those integers: they look at the
:class:`~..base.Kind` this table gives them, so that a new code or a reclassified one is a one-line change
here. The English and Vietnamese texts are the gateway operator's own words (``gateway-api.txt``), split
into a short title and the longer explanation, because operators search the admin for exactly those words.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import replace

from ..base import Kind, Meaning, undocumented
from .answer_hints import BALANCE_HINTS, CHECK_HINTS, SEND_HINTS, UNDOCUMENTED


class Endpoint(str, enum.Enum):
    SEND = "postSMS"
    CHECK = "checkVoice"
    BALANCE = "checkBalance"


def _table(
    rows: list[tuple[int, Kind, str, str, str, str]], hints: Mapping[int, tuple[str, str]]
) -> dict[int, Meaning]:
    return {
        value: Meaning(
            str(value), kind, title_en, title_vi, detail_en, detail_vi, True, *hints.get(value, ("", ""))
        )
        for value, kind, title_en, title_vi, detail_en, detail_vi in rows
    }


def _borrowed(table: Mapping[int, Meaning], value: int, hints: Mapping[int, tuple[str, str]]) -> Meaning:
    """A code another endpoint documents, as this endpoint's: the document's checkVoice and
    checkBalance tables list only their outcomes, but the gateway's account and request errors
    (-1, -2, -5, -6, 11) come from every endpoint."""
    hint_en, hint_vi = hints.get(value, ("", ""))
    return replace(
        table[value],
        detail_en="a code of postSMS's table, which this endpoint's own table does not list",
        detail_vi="mã trong bảng của postSMS, không có trong bảng của endpoint này",
        hint_en=hint_en,
        hint_vi=hint_vi,
    )


SEND_CODES: Mapping[int, Meaning] = _table(
    [
        (-1, Kind.ACCOUNT, "User not found", "Sai thông tin user", "", ""),
        (-2, Kind.ACCOUNT, "IP not allow", "IP chưa được phép", "", ""),
        (
            -4,
            Kind.BAD_NUMBER,
            "Incorrect Phone format",
            "Số điện thoại không đúng định dạng",
            "",
            "",
        ),
        (-5, Kind.GATEWAY_FAULT, "System Error", "Lỗi hệ thống", "", ""),
        (-6, Kind.GATEWAY_FAULT, "System Error", "Lỗi hệ thống", "", ""),
        (-8, Kind.MONEY, "Account not enough", "Tài khoản không đủ", "", ""),
        (
            1,
            Kind.TAKEN,
            "Successfully received the message",
            "Thành công",
            "",
            "Tiếp nhận tin nhắn thành công",
        ),
        (
            5,
            Kind.ACCOUNT,
            "Brandname Not declared",
            "Chưa khai báo brandname/dịch vụ",
            "",
            "Tài khoản chưa có dịch vụ",
        ),
        (
            6,
            Kind.REPEAT,
            "Repeat content",
            "Lặp nội dung",
            "The message sends the same content to 1 phone number",
            "Tin nhắn gửi cùng nội dung đến 1 SDT trong thời gian quy định",
        ),
        (
            7,
            Kind.RECIPIENT_REFUSED,
            "The subscriber refuses to receive the message",
            "Thuê bao từ chối nhận tin",
            "The subscriber refuses to receive SMS of all services or a certain service",
            "Thuê bao từ chối nhận tin nhắn của tất cả dịch vụ hoặc 1 dịch vụ nào đó",
        ),
        (
            9,
            Kind.ACCOUNT,
            "Not declared the Account template yet",
            "Chưa khai báo template",
            "Sign up for a message or a form that has not been approved",
            "Tài khoản chưa được đăng ký mẫu gửi tin nhắn hoặc tin mẫu chưa được duyệt",
        ),
        (
            10,
            Kind.BAD_NUMBER,
            "Subscriber format is incorrect",
            "Định dạng thuê bao không đúng",
            "Wrong number format Phone (missing or balance, wrong area code)",
            "Sai định dạng số điện thoại (thiếu hoặc dư số, sai mã vùng)",
        ),
        (
            11,
            Kind.ACCOUNT,
            "Has invalid parameters",
            "Có tham số không hợp lệ",
            "Has special characters / parameters number when transmitting data via API",
            "Có ký tự đặc biệt/tham số khi truyền dữ liệu qua API",
        ),
        (
            14,
            Kind.MONEY,
            "The account is not enough (money)",
            "Tài khoản không đủ (tiền)",
            "The account balance is not enough to send the message",
            "Số dư tài khoản không đủ gửi tin nhắn",
        ),
        (
            15,
            Kind.ACCOUNT,
            "Account Expiry",
            "Tài khoản hết hạn",
            "Account is past due Current and not renewed",
            "Tài khoản quá hạn so với ngày hiện tại và chưa được gia hạn",
        ),
        (
            16,
            Kind.ACCOUNT,
            "Service Expiry",
            "Hết hạn dịch vụ",
            "Service is expired and has not been renewed",
            "Dịch vụ quá hạn sử dụng và chưa được gia hạn",
        ),
        (
            20,
            Kind.ACCOUNT,
            "Gateway does not support Unicode",
            "Gateway chưa hỗ trợ Unicode",
            "Accounts yet be registered to use Unicode",
            "Tài khoản chưa được đăng ký sử dụng Unicode",
        ),
        (
            22,
            Kind.ACCOUNT,
            "Account not activated",
            "Tài khoản chưa kích hoạt",
            "Account created but not activated yet",
            "Tài khoản đã tạo nhưng chưa được kích hoạt",
        ),
        (
            23,
            Kind.ACCOUNT,
            "Incorrect message syntax",
            "Sai cú pháp tin nhắn",
            "When Mo message is wrong Incorrect commandcode declared",
            "Là khi nhắn Mo lên bị sai cú pháp không đúng commandcode đã khai báo",
        ),
        (
            27,
            Kind.PENDING,
            "Send message: gate returns error code",
            "Gửi tin: gate trả mã lỗi",
            "Gateways connect to network flickering or disconnected (PENDING)",
            "Cổng kết nối đến nhà mạng chập chờn hoặc mất kết nối (Trạng thái chưa xác định Không hoàn tiền)",
        ),
        (
            31,
            Kind.BAD_NUMBER,
            "Text message failed: extension 11 has changed to",
            "Gửi tin thất bại: đầu số 11 số đã chuyển đổi",
            "",
            "",
        ),
    ],
    SEND_HINTS,
)

WRONG_LOGIN = (
    0,
    Kind.ACCOUNT,
    "Not successful or wrong user/pass/key",
    "Không thành công hoặc sai user/pass/key",
    "",
    "",
)

CHECK_CODES: Mapping[int, Meaning] = {
    **_table(
        [
            (1, Kind.TAKEN, "SUCCESS", "Người nhận bắt máy", "", ""),
            (27, Kind.PENDING, "PENDDING", "Hệ thống vẫn đang check. Vui lòng check lại", "", ""),
            (
                23,
                Kind.FAILED,
                "FAILED",
                "Các t.h trạng thái bao gồm : BUSY,NO ANSWER,",
                "Busy or no answer",
                "",
            ),
            (
                *WRONG_LOGIN[:4],
                "checkBalance's code for a wrong login, which checkVoice's own table does not list",
                "mã sai đăng nhập của checkBalance, không có trong bảng của checkVoice",
            ),
        ],
        CHECK_HINTS,
    ),
    **{value: _borrowed(SEND_CODES, value, CHECK_HINTS) for value in (-1, -2, -5, -6, 11)},
}

BALANCE_CODES: Mapping[int, Meaning] = {
    **_table([(1, Kind.TAKEN, "Success", "Thành công", "", ""), WRONG_LOGIN], BALANCE_HINTS),
    **{value: _borrowed(SEND_CODES, value, BALANCE_HINTS) for value in (-1, -2, -5, -6)},
}
OUTCOME_KINDS = frozenset({Kind.TAKEN, Kind.FAILED, Kind.PENDING})
"""checkVoice's kinds that are an outcome of the call; any other is an error of the check."""

TABLES: Mapping[Endpoint, Mapping[int, Meaning]] = {
    Endpoint.SEND: SEND_CODES,
    Endpoint.CHECK: CHECK_CODES,
    Endpoint.BALANCE: BALANCE_CODES,
}


def lookup(endpoint: Endpoint, value: int) -> Meaning:
    """The documented row for ``value``, or an undocumented one kept as it came.

    An undocumented code is a gateway fault: we cannot know it was charged, delivered or refused, so
    the rules treat it like -5/-6 and keep the code for the operator to read.
    """
    return TABLES[endpoint].get(value) or replace(
        undocumented(str(value)), hint_en=UNDOCUMENTED[0], hint_vi=UNDOCUMENTED[1]
    )


def documented(endpoint: Endpoint, value: int) -> bool:
    return value in TABLES[endpoint]


def send_code(value: int) -> Meaning:
    return lookup(Endpoint.SEND, value)


def check_code(value: int) -> Meaning:
    return lookup(Endpoint.CHECK, value)


def balance_code(value: int) -> Meaning:
    return lookup(Endpoint.BALANCE, value)
