"""SECRET_HASH checks, at the service layer (the wire tests exercise them per operation)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from userpools.context import ServiceContext
from userpools.errors import NotAuthorized, ResourceNotFound
from userpools.services.clientauth import client_for_request, secret_hash
from userpools.services.clients import client_secret_add, user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db
CTX = ServiceContext(actor="test")


def _reference(secret: str, username: str, client_id: str) -> str:
    # The Developer Guide's pseudocode: Base64(HMAC_SHA256("Client Secret Key", "Username" + "Client Id")).
    return base64.b64encode(
        hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    ).decode()


def test_secret_hash_matches_the_documented_formula():
    assert secret_hash(client_id="abc", client_secret="s3cr3t", username="Zoë") == _reference("s3cr3t", "Zoë", "abc")


@pytest.fixture
def pool():
    return user_pool_create(CTX, {"PoolName": "p"})


def test_unknown_client(pool):
    with pytest.raises(ResourceNotFound):
        client_for_request("x" * 26, None, "amy")


def test_public_client_needs_no_hash(pool):
    client = user_pool_client_create(CTX, {"UserPoolId": pool.id, "ClientName": "public"})
    assert client_for_request(client.client_id, None, "amy") == client
    assert client_for_request(client.client_id, "ignored", "amy") == client


def test_confidential_client_accepts_either_secret(pool):
    client = user_pool_client_create(CTX, {"UserPoolId": pool.id, "ClientName": "c", "GenerateSecret": True})
    first = client.secrets.get().secret
    second = client_secret_add(CTX, pool_id=pool.id, client_id=client.client_id).secret
    for secret in (first, second):
        found = client_for_request(client.client_id, _reference(secret, "amy", client.client_id), "amy")
        assert found == client and found.pool == pool
    for bad in (None, "", _reference(first, "bea", client.client_id), "not base64 \ud800"):
        with pytest.raises(NotAuthorized):
            client_for_request(client.client_id, bad, "amy")
