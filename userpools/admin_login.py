"""The admin console's site and login: the operators' second factor (django-otp) and the
login throttle (django-axes; both configured in config/settings.py).

The site lives here rather than in the userpools/admin/ package: Django imports the
site's class (``CognateAdminConfig.default_site``, userpools/apps.py) when ``admin.site``
is first used, before any app's admin module is imported; importing that package would
register this app's ModelAdmins on a site instance that is then thrown away, and before
the admins of django-oauth-toolkit and django-otp they replace.

Only the console's login form goes through Django's ``authenticate`` with a request: pool
users sign in through the services (userpools/signin/), which keep their own
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
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class OperatorLoginThrottle(AxesStandaloneBackend):
    """django-axes' lockout check, first in ``AUTHENTICATION_BACKENDS``.

    An ``authenticate()`` without a request is no login over HTTP (Django's test client,
    code of our own): there is no address to count against, so axes has nothing to check
    and the next backend decides (axes itself would raise instead).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
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


# --- The site and its second factor ------------------------------------------------------


def admin_requires_otp() -> bool:
    """Whether the console asks operators for a TOTP code (``COGNATE_ADMIN_REQUIRE_OTP``),
    read per request so that a settings override takes effect at once."""
    return bool(getattr(settings, "COGNATE_ADMIN_REQUIRE_OTP", False))


class OperatorOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """django-otp's admin login form with two conveniences: an operator with one
    authenticator is not asked to pick it (django-otp asks, so that a code is never tried
    against every device, which only matters with several), and an operator with none is
    told how to enrol instead of being shown an empty device list."""

    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            raise ValidationError(
                "No authenticator is enrolled for this operator: run "
                "`manage.py operator_totp <username>` (see README, Operators and MFA).",
                code="otp_not_enrolled",
            )
        super().clean_otp(user)

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            # Inside clean_otp's transaction: lock the device as django-otp does for the chosen one.
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class CognateAdminSite(OTPAdminSite):
    """The console's site. With ``COGNATE_ADMIN_REQUIRE_OTP`` on it is django-otp's
    OTPAdminSite: only an operator verified by one of their authenticators in this session
    (a TOTPDevice, see ``manage.py operator_totp``) gets in, and the login page asks for
    the code. Off, it behaves as Django's plain AdminSite.

    It is ``admin.site``'s class through the admin app's ``default_site``
    (``CognateAdminConfig`` in userpools/apps.py, listed in INSTALLED_APPS), so its name
    and ``admin:`` URLs are Django's defaults.
    """

    name = "admin"  # OTPAdminSite's is "otpadmin"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property
    def login_form(self):
        return OperatorOTPAuthenticationForm if admin_requires_otp() else None

    @property
    def login_template(self):
        return OTPAdminSite.login_template if admin_requires_otp() else None

    def has_permission(self, request) -> bool:
        if admin_requires_otp():
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)
