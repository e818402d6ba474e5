"""Every code the gateway documents, with its English and Vietnamese meaning and what it means to us.

The gateway answers with bare integers. The rest of the app never looks at those integers: it looks at
the :class:`Kind` this table gives them, so that a new code or a reclassified one is a one-line change
here. The English and Vietnamese texts are the gateway operator's own words (``gateway-api.txt``), split
into a short title and the longer explanation, because operators search the admin for exactly those words.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Kind(str, enum.Enum):
    """What a gateway code means for the app, whatever the number."""

    TAKEN = "taken"
    """The gateway took the call (send) or the person answered (check)."""
    PENDING = "pending"
    """Not known yet: the call may still come (send 27) or is still ringing (check 27)."""
    FAILED = "failed"
    """checkVoice 23: busy or no answer. The person never heard the code."""
    REPEAT = "repeat"
    """Send 6: the same content went to this number within the gateway's repeat window."""
    RECIPIENT_REFUSED = "recipient_refused"
    """Send 7: the subscriber refuses such messages."""
    BAD_NUMBER = "bad_number"
    """The gateway cannot call this number (-4, 10, 31)."""
    ACCOUNT = "account"
    """Our account or configuration is wrong: credentials, IP, sender, template, expiry."""
    MONEY = "money"
    """The account has no money left (-8, 14)."""
    GATEWAY_FAULT = "gateway_fault"
    """The gateway's own error (-5, -6), or a code its documentation does not list."""


class Endpoint(str, enum.Enum):
    SEND = "postSMS"
    CHECK = "checkVoice"
    BALANCE = "checkBalance"


@dataclass(frozen=True)
class GatewayCode:
    """One row of one of the gateway's code tables."""

    endpoint: Endpoint
    value: int
    kind: Kind
    title_en: str
    title_vi: str
    detail_en: str = ""
    detail_vi: str = ""
    documented: bool = True

    @property
    def meaning_en(self) -> str:
        return f"{self.title_en}: {self.detail_en}" if self.detail_en else self.title_en

    @property
    def meaning_vi(self) -> str:
        return f"{self.title_vi}: {self.detail_vi}" if self.detail_vi else self.title_vi

    def __str__(self) -> str:
        return f"{self.endpoint.value} {self.value} ({self.title_en})"


def _table(endpoint: Endpoint, rows: list[tuple[int, Kind, str, str, str, str]]) -> dict[int, GatewayCode]:
    return {
        value: GatewayCode(endpoint, value, kind, title_en, title_vi, detail_en, detail_vi)
        for value, kind, title_en, title_vi, detail_en, detail_vi in rows
    }


SEND_CODES: Mapping[int, GatewayCode] = _table(
    Endpoint.SEND,
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
)

CHECK_CODES: Mapping[int, GatewayCode] = _table(
    Endpoint.CHECK,
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
    ],
)

BALANCE_CODES: Mapping[int, GatewayCode] = _table(
    Endpoint.BALANCE,
    [
        (1, Kind.TAKEN, "Success", "Thành công", "", ""),
        (
            0,
            Kind.ACCOUNT,
            "Not successful or wrong user/pass/key",
            "Không thành công hoặc sai user/pass/key",
            "",
            "",
        ),
    ],
)

_TABLES: Mapping[Endpoint, Mapping[int, GatewayCode]] = {
    Endpoint.SEND: SEND_CODES,
    Endpoint.CHECK: CHECK_CODES,
    Endpoint.BALANCE: BALANCE_CODES,
}


def lookup(endpoint: Endpoint, value: int) -> GatewayCode:
    """The documented row for ``value``, or an undocumented one kept as it came.

    An undocumented code is a gateway fault: we cannot know it was charged, delivered or refused, so
    the app treats it like -5/-6 and keeps the number for the operator to read.
    """
    try:
        return _TABLES[endpoint][value]
    except KeyError:
        return GatewayCode(
            endpoint,
            value,
            Kind.GATEWAY_FAULT,
            "Undocumented code",
            "Mã không có trong tài liệu",
            documented=False,
        )


def send_code(value: int) -> GatewayCode:
    return lookup(Endpoint.SEND, value)


def check_code(value: int) -> GatewayCode:
    return lookup(Endpoint.CHECK, value)


def balance_code(value: int) -> GatewayCode:
    return lookup(Endpoint.BALANCE, value)
