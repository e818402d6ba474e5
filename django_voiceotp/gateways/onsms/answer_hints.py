"""What an operator can do about each of the gateway's answer codes, in English and Vietnamese.

The code tables (:mod:`.answer_codes`) hold the gateway operator's own words; these are ours, the
"what to do" the admin, the ``voiceotp_gateway`` command and the docs show beside them.
"""

from __future__ import annotations

from collections.abc import Mapping

CREDENTIALS = (
    "Check USERNAME, PASSWORD and KEY in VOICEOTP['GATEWAY']['OPTIONS'] (as the operator issued them).",
    "Kiểm tra USERNAME, PASSWORD và KEY trong VOICEOTP['GATEWAY']['OPTIONS'] (đúng như nhà cung cấp đã cấp).",
)
IP = (
    "Ask the operator to allow this server's public IP address.",
    "Đề nghị nhà cung cấp cho phép địa chỉ IP công khai của máy chủ này.",
)
SYSTEM = (
    "The gateway's own fault: wait, and watch the admin's gateway page; report it if it lasts.",
    "Lỗi của cổng: chờ và theo dõi trang cổng trong trang quản trị; báo nhà cung cấp nếu kéo dài.",
)
TOP_UP = (
    "Top up the account (voiceotp_balance monitors it).",
    "Nạp thêm tiền vào tài khoản (voiceotp_balance theo dõi số dư).",
)
SENDER = (
    "Check SENDER: it must be the brandname the operator declared for the account. The operator's "
    "document spells it both DAUSO1 (letter O, the default) and DAUS01 (digit zero): ask which.",
    "Kiểm tra SENDER: phải đúng brandname nhà cung cấp đã khai báo cho tài khoản. Tài liệu viết cả "
    "DAUSO1 (chữ O, mặc định) và DAUS01 (số không): hỏi nhà cung cấp là cái nào.",
)

SEND_HINTS: Mapping[int, tuple[str, str]] = {
    -8: TOP_UP,
    -6: SYSTEM,
    -5: SYSTEM,
    -4: ("The person typed a number the gateway cannot call.", "Người dùng nhập số mà cổng không gọi được."),
    -2: IP,
    -1: CREDENTIALS,
    5: SENDER,
    6: (
        "Should not happen: the app never repeats a code within REPEAT_WINDOW; raise it if the "
        "gateway's window is longer.",
        "Không nên xảy ra: ứng dụng không gửi lại một mã trong REPEAT_WINDOW; hãy tăng nó nếu "
        "khoảng thời gian của cổng dài hơn.",
    ),
    7: (
        "The subscriber blocks such calls; nothing to fix.",
        "Thuê bao chặn các cuộc gọi này; không cần sửa gì.",
    ),
    9: ("Ask the operator to approve the template.", "Đề nghị nhà cung cấp duyệt mẫu tin."),
    10: ("The number is malformed for the gateway.", "Số điện thoại sai định dạng đối với cổng."),
    11: (
        "Check SENDER and that CODE_LENGTH is 4 to 6.",
        "Kiểm tra SENDER và CODE_LENGTH (từ 4 đến 6).",
    ),
    14: TOP_UP,
    15: ("Renew the account.", "Gia hạn tài khoản."),
    16: ("Renew the service.", "Gia hạn dịch vụ."),
    20: ("Should not happen (codes are ASCII digits).", "Không nên xảy ra (mã chỉ gồm chữ số ASCII)."),
    22: ("Ask the operator to activate the account.", "Đề nghị nhà cung cấp kích hoạt tài khoản."),
    23: ("Ask the operator to check the command code.", "Đề nghị nhà cung cấp kiểm tra commandcode."),
    27: (
        "The operator's link to the carrier flickers: the call may still come, and it cannot be asked "
        "about (no request_id). If these persist, tell the operator; the person can ask for a new call "
        "once the resend cooldown has passed.",
        "Kết nối của cổng đến nhà mạng chập chờn: cuộc gọi có thể vẫn đến, và không thể hỏi trạng thái "
        "(không có request_id). Nếu kéo dài, báo nhà cung cấp; người dùng có thể yêu cầu gọi lại sau "
        "thời gian chờ.",
    ),
    31: (
        "Should not happen: 11-digit numbers are converted before sending.",
        "Không nên xảy ra: số 11 chữ số được chuyển đổi trước khi gửi.",
    ),
}

CHECK_HINTS: Mapping[int, tuple[str, str]] = {
    -1: CREDENTIALS,
    0: CREDENTIALS,
    -2: IP,
    -5: SYSTEM,
    -6: SYSTEM,
    11: (
        "checkVoice refused the request's parameters: report it to the operator with the call's "
        "answers (the admin's call page).",
        "checkVoice từ chối tham số của yêu cầu: báo nhà cung cấp kèm các câu trả lời của cuộc gọi "
        "(trang cuộc gọi trong trang quản trị).",
    ),
}

BALANCE_HINTS: Mapping[int, tuple[str, str]] = {
    0: CREDENTIALS,
    -1: CREDENTIALS,
    -2: IP,
    -5: SYSTEM,
    -6: SYSTEM,
}

UNDOCUMENTED = (
    "A code the operator's document does not list: report it to the operator, with the raw answer.",
    "Mã không có trong tài liệu của nhà cung cấp: báo nhà cung cấp, kèm câu trả lời gốc.",
)
