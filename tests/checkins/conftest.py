import pytest

from agencies.tenancy import agency_scope
from alliance.checkins import services


@pytest.fixture
def instrument(agency_a):
    """Agency A's default check-in instrument."""
    with agency_scope(agency_a):
        return services.instrument_install_default(agency=agency_a)
