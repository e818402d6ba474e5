"""The pytest plugin of the test kit: the ``voiceotp_gateway`` fixture.

The package registers it with pytest (the ``pytest11`` entry point), so a site that installs
django-voiceotp and runs pytest-django has the fixture with nothing to configure. Importing this
module touches no Django settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import FakeGateway, in_process_gateway


@pytest.fixture
def voiceotp_gateway() -> Iterator[FakeGateway]:
    """The site on the in-process gateway for this test: read the codes it read out
    (``voiceotp_gateway.last_code("0361234567")``) and tell numbers how to behave."""
    with in_process_gateway() as gateway:
        yield gateway
