"""oauthlib and django-oauth-toolkit log authorization codes, tokens and client secrets at
DEBUG (oauthlib's grant types log the code they issue and the request they validate).
Whatever LOG_LEVEL an operator sets, their loggers stop at INFO (config/settings.py, LOGGING)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import logging
import django
django.setup()
names = [
    "oauthlib.oauth2.rfc6749.grant_types.authorization_code",
    "oauthlib.oauth2.rfc6749.endpoints.token",
    "oauthlib.openid.connect.core.endpoints.userinfo",
    "oauth2_provider.oauth2_validators",
]
print(logging.getLogger().isEnabledFor(logging.DEBUG), [logging.getLogger(n).isEnabledFor(logging.DEBUG) for n in names])
"""


def test_a_debug_log_level_does_not_reach_oauthlibs_secrets():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "test-only-not-a-secret",
        "LOG_LEVEL": "DEBUG",
        "COGNATE_TESTING": "1",
    }
    out = (
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert out == "True [False, False, False, False]"
