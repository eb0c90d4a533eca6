"""Identifiers shaped like Cognito's (docs/architecture.md, decision 4)."""

from __future__ import annotations

import secrets
import string

from userpools.conf import cognate_settings

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_user_pool_id(region: str | None = None) -> str:
    """``{region}_{9 alphanumerics}``: SDKs take the region from before the ``_``."""
    return f"{region or cognate_settings().REGION}_{_random(_ALNUM, 9)}"


def new_client_id() -> str:
    """26 lowercase alphanumerics, like Cognito's app client ids."""
    return _random(_LOWER_ALNUM, 26)


def new_client_secret() -> str:
    """51 lowercase alphanumerics: botocore refuses secrets shorter than 24 characters."""
    return _random(_LOWER_ALNUM, 51)


def new_client_secret_id(client_id: str) -> str:
    return f"{client_id}--{_random(_LOWER_ALNUM, 13)}"


def new_access_key_id() -> str:
    return "AKIA" + _random(string.ascii_uppercase + "234567", 16)


def new_secret_access_key() -> str:
    return _random(_ALNUM + "+/", 40)


def user_pool_arn(pool_id: str) -> str:
    conf = cognate_settings()
    region = pool_id.split("_", 1)[0]
    return f"arn:aws:cognito-idp:{region}:{conf.ACCOUNT_ID}:userpool/{pool_id}"
