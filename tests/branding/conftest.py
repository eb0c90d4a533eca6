"""Fixtures for the hosted pages' look: boto3 against the live server (the cognito-idp
compatibility fixtures of tests/userpools), tiny real images, and an OAuth app client
whose hosted pages can be fetched with Django's test client."""

from __future__ import annotations

import base64
import struct
import zlib
from urllib.parse import urlencode

import pytest

from tests.hostedui.conftest import PKCE_UNUSED
from tests.userpools.conftest import call_error, pool_id, raw_idp  # noqa: F401
from userpools.context import SYSTEM
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

CALLBACK = "https://app.example.com/callback"


def png(width: int = 2, height: int = 1, color: bytes = b"\x0b\x57\xd0") -> bytes:
    """A real (tiny) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + color * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + b"\x00" * 40
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def oauth_client_request(pool: str, name: str = "web", **extra) -> dict:
    return {
        "UserPoolId": pool,
        "ClientName": name,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid"],
        "CallbackURLs": [CALLBACK],
        "SupportedIdentityProviders": ["COGNITO"],
        **extra,
    }


@pytest.fixture
def hosted_app(db):
    """(pool, client) made through the services: an OAuth client for the hosted pages."""
    pool = user_pool_create(SYSTEM, {"PoolName": "branded"})
    client = user_pool_client_create(SYSTEM, oauth_client_request(pool.id))
    return pool, client


def page_url(pool: str, client_id: str, page: str = "login", **params) -> str:
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK, **PKCE_UNUSED, **params}
    return f"/{pool}/{page}?{urlencode(query)}"
