"""Fixtures the security suite borrows from the suites of what it attacks: users
(tests/selfservice), sign-in clients (tests/auth), remembered devices (tests/devices); pools
and clients are tests/pools.py's, registered in tests/conftest.py."""

from tests.auth.conftest import signin  # noqa: F401 - fixtures
from tests.devices.conftest import device_pool  # noqa: F401
from tests.selfservice.conftest import idp, make_user, public  # noqa: F401
