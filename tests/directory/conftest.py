"""Fixtures for the user-directory suite: pools and users (captured e-mail and SMS: tests/conftest.py)."""

from __future__ import annotations

import re

import pytest

from tests.userpools.conftest import pool_id, raw_idp  # noqa: F401 - fixtures


@pytest.fixture
def make_user(idp):
    """make_user(pool_id, username, **attributes) -> AdminCreateUser's User (no invitation sent)."""

    def make(in_pool: str, username: str, password: str | None = "Temp-pass-1", **attributes):
        kwargs = {
            "UserPoolId": in_pool,
            "Username": username,
            "MessageAction": "SUPPRESS",
            "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
        }
        if password is not None:
            kwargs["TemporaryPassword"] = password
        return idp.admin_create_user(**kwargs)["User"]

    return make


def attrs(listing: list[dict]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in listing}


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)
