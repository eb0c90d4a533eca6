"""Finding 8 (G0): the admin console's login was not throttled.

Anyone who reached ``/admin/login/`` could guess an operator's password as fast as the
server answered. Now (django-axes, configured in config/settings.py and
userpools/admin_login.py) a username from one client address is locked out after
``COGNATE_ADMIN_LOGIN_FAILURE_LIMIT`` wrong passwords: even the right password is refused
until the cool-off ends or an operator unlocks it (``manage.py axes_reset_username``). The
lock is per username and address, so an attacker elsewhere cannot lock an operator out.
Only the console's login is guarded: pool users sign in through the services, never
through Django's ``authenticate`` (tests/auth, tests/hostedui run unchanged).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-root"  # make_operator's


def _log_in(client: Client, password: str, *, username: str = "root", ip: str = "203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def _signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def _limit(settings) -> int:
    return getattr(settings, "AXES_FAILURE_LIMIT", 5)  # (5 also where nothing throttled, before the fix)


def _fail(settings, client: Client, **kwargs) -> None:
    for _ in range(_limit(settings)):
        assert not _signed_in(_log_in(client, "wrong-password", **kwargs))


def test_wrong_passwords_lock_the_admin_login_even_for_the_right_password(settings, make_operator):
    make_operator("root", is_superuser=True)
    assert _signed_in(_log_in(Client(), PASSWORD))  # the password is right

    client = Client()
    _fail(settings, client)
    response = _log_in(client, PASSWORD)
    assert not _signed_in(response)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(settings, make_operator):
    make_operator("root", is_superuser=True)
    make_operator("other", is_superuser=True)
    _fail(settings, Client())
    assert not _signed_in(_log_in(Client(), PASSWORD))
    # The operator at their own address still gets in, and so does another operator.
    assert _signed_in(_log_in(Client(), PASSWORD, ip="198.51.100.20"))
    assert _signed_in(_log_in(Client(), "pw-other", username="other"))


def test_an_operator_unlocks_with_the_management_command(settings, make_operator):
    make_operator("root", is_superuser=True)
    _fail(settings, Client())
    assert not _signed_in(_log_in(Client(), PASSWORD))
    call_command("axes_reset_username", "root")
    assert _signed_in(_log_in(Client(), PASSWORD))


def test_the_address_behind_a_proxy_is_the_one_the_proxy_saw(settings, make_operator):
    """Behind the proxy every request comes from the proxy's address; the lock follows the
    address the proxy appended to X-Forwarded-For (not one the client wrote there)."""
    settings.COGNATE_ADMIN_LOGIN_PROXY_COUNT = 1
    make_operator("root", is_superuser=True)
    for _ in range(_limit(settings)):
        # The attacker varies a spoofed first entry; the proxy appends the real address.
        assert not _signed_in(
            Client().post(
                "/admin/login/?next=/admin/",
                {"username": "root", "password": "wrong", "next": "/admin/"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"192.0.2.{_}, 203.0.113.7",
            )
        )
    locked = Client().post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7",
    )
    assert not _signed_in(locked)
    elsewhere = Client().post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert _signed_in(elsewhere)


def test_programmatic_authenticate_still_works(make_operator):
    """Django's test client and management code call authenticate() without a request."""
    make_operator("root", is_superuser=True)
    client = Client()
    assert client.login(username="root", password=PASSWORD)
