"""The admin's pages of the app answer any query string with a page or a bad-filter redirect, never a
500: every list of the app shares one guard for its dates (``admin/changelist.py``)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/django_voiceotp/otpchallenge/",
    "/admin/django_voiceotp/voicecall/",
    "/admin/django_voiceotp/prefixblock/",
    "/admin/django_voiceotp/otpchallenge/gateway/",
]
KEYS = [
    "created_at__year", "created_at__month", "created_at__day", "blocked_at__year", "blocked_at__month",
    "blocked_at__day", "status", "call_status", "purpose", "send_code", "active", "q", "o", "p", "e",
    "hours", "since", "until", "all", "_changelist_filters",
]  # fmt: skip
VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["0", "1", "9999", "10000", "99999999999999999999", "-1", "2026-02-30", "", "x", "\x00"]),
    st.text(max_size=40),
)
QUERIES = st.dictionaries(st.sampled_from(KEYS) | st.text(min_size=1, max_size=12), VALUES, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), query=QUERIES)
@example(page="/admin/django_voiceotp/prefixblock/", query={"blocked_at__year": "99999999999999999999"})
@example(page="/admin/django_voiceotp/otpchallenge/", query={"created_at__iso_year": "10000"})
@example(page="/admin/django_voiceotp/otpchallenge/", query={"purpose__regex": "("})
@example(
    page="/admin/django_voiceotp/voicecall/", query={"created_at__year": "9999", "created_at__month": "12"}
)
def test_no_query_string_gives_a_500(admin_client, page, query):
    answer = admin_client.get(f"{page}?{urlencode(query)}")
    assert answer.status_code < 500, (page, query)
