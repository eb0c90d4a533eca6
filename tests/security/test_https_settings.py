"""Finding 8 (G0): Secure cookies and HSTS when Cognate is served over HTTPS.

Behind a TLS proxy (``BEHIND_TLS_PROXY``) or with an ``https://`` ``COGNATE_PUBLIC_URL``,
the admin console's session and CSRF cookies and the hosted pages' session cookie went out
without ``Secure`` (a browser would send them over a plain-http request to the same host,
where anyone on the path reads them), and no ``Strict-Transport-Security`` told browsers
to stay on HTTPS. Over plain http (``make run``, the tests) nothing changes.

config/settings.py reads the environment when it is imported, so the settings are taken
from a fresh interpreter with the environment of each case, then applied to this process
to check real responses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostedui.conftest import HostedBrowser, make_oauth_client, make_pool_user, oauth_app  # noqa: F401
from tests.tokens.conftest import make_user  # noqa: F401 - oauth_app's users

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
]
# What the environment may hold that changes these (the test run's own values must not leak in).
CONTROLS = ["COGNATE_PUBLIC_URL", "BEHIND_TLS_PROXY", "DEBUG", "COGNATE_SECURE_COOKIES", *NAMES]


def settings_under(**environment: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CONTROLS}
    env.update(SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="config.settings", **environment)
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def apply(settings, values: dict) -> None:
    for name, value in values.items():
        setattr(settings, name, tuple(value) if isinstance(value, list) else value)


HTTPS_PUBLIC_URL = {"COGNATE_PUBLIC_URL": "https://id.example.com"}
TLS_PROXY = {"BEHIND_TLS_PROXY": "true", "COGNATE_PUBLIC_URL": "https://id.example.com"}


@pytest.mark.parametrize(
    "environment",
    [HTTPS_PUBLIC_URL, TLS_PROXY, {"BEHIND_TLS_PROXY": "true"}],
    ids=["https-public-url", "tls-proxy", "tls-proxy-only"],
)
def test_serving_https_makes_cookies_secure_and_turns_hsts_on(environment):
    values = settings_under(**environment)
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 180 * 86400


def test_plain_http_changes_nothing():
    """A guard (it passed before too): make run and the tests serve plain http."""
    values = settings_under(COGNATE_PUBLIC_URL="http://127.0.0.1:8000")
    assert values["SESSION_COOKIE_SECURE"] is False and values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0 and values["SECURE_SSL_REDIRECT"] is False


def test_hsts_and_redirect_are_configurable():
    values = settings_under(
        **TLS_PROXY, SECURE_HSTS_SECONDS="600", SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_SSL_REDIRECT="true"
    )
    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and values["SECURE_SSL_REDIRECT"] is True


@pytest.mark.django_db
def test_admin_login_over_a_tls_proxy_answers_with_hsts_and_secure_cookies(client, settings):
    apply(settings, settings_under(**TLS_PROXY))
    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=")
    assert response.cookies["csrftoken"]["secure"] is True

    plain = client.get("/admin/login/")  # not through the proxy's TLS: no HSTS (browsers ignore it there)
    assert "Strict-Transport-Security" not in plain


@pytest.mark.django_db
def test_hosted_session_cookie_is_secure_with_an_https_public_url(settings, oauth_app):  # noqa: F811
    """The proxy may not say X-Forwarded-Proto (BEHIND_TLS_PROXY off): the public URL's
    scheme is enough for the hosted pages' own cookie too."""
    apply(settings, settings_under(**HTTPS_PUBLIC_URL))
    response = HostedBrowser(oauth_app).sign_in()
    assert response.status_code == 302
    assert response.cookies["cognito"]["secure"] is True
