"""Throttling the admin console's login (django-axes; configured in config/settings.py).

Only the console's login form goes through Django's ``authenticate`` with a request: pool
users sign in through the services (userpools/services/auth.py), which keep their own
lockout. django-axes counts failed console logins per username and client address in the
database (so every web process sees the same count) and refuses, even with the right
password, a username that reached ``COGNATE_ADMIN_LOGIN_FAILURE_LIMIT`` failures from one
address until the cool-off ends or an operator unlocks it (``manage.py axes_reset_username
<name>``, ``axes_reset_ip``, ``axes_reset``, or by deleting the access attempt in the
console).
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


class OperatorLoginThrottle(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS``.

    An ``authenticate()`` without a request is no login over HTTP (Django's test client,
    code of our own): there is no address to count against, so axes has nothing to check
    and the next backend decides (axes itself would raise instead).
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs):  # fmt: skip
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The address a failed login counts against (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``COGNATE_ADMIN_LOGIN_PROXY_COUNT`` proxies every request arrives from the
    nearest proxy, and X-Forwarded-For ends with the addresses they appended: the one that
    many entries from the right is the client as the outermost trusted proxy saw it. Entries
    further left were written by the client and are not trusted (an attacker rotating them
    must not escape the lock).
    """
    count = getattr(settings, "COGNATE_ADMIN_LOGIN_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")
