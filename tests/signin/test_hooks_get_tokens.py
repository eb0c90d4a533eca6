"""GetTokensFromRefreshToken runs the token_generation hook as every refresh does
(TokenGeneration_RefreshTokens, flow "GetTokensFromRefreshToken"), through the wire API; a
refusing hook issues (and rotates) nothing. Real registered hooks (tests/signin/recording.py)."""

from __future__ import annotations

import json

import pytest

from tests.signin.recording import recording
from userpools.context import SYSTEM
from userpools.errors import NotAuthorized
from userpools.models import RefreshToken, User
from userpools.services import tokens, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create
from userpools.signin import hooks

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[None, {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}], ids=["plain", "rotating"])
def issued(request):
    pool = user_pool_create(SYSTEM, {"PoolName": "refresh"})
    settings = {"UserPoolId": pool.id, "ClientName": "app", "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]}
    if request.param:
        settings["RefreshTokenRotation"] = request.param
    client = user_pool_client_create(SYSTEM, settings)
    alice = users.user_create(
        SYSTEM, pool=pool, username="alice", password="Passw0rd!", attributes={}, status=User.Status.CONFIRMED
    )
    return client, tokens.tokens_issue(SYSTEM, user=alice, client=client)


def _get_tokens(client, app, refresh_token: str) -> tuple[int, dict]:
    response = client.post(
        "/",
        data=json.dumps({"ClientId": app.client_id, "RefreshToken": refresh_token}),
        content_type="application/x-amz-json-1.1",
        HTTP_X_AMZ_TARGET="AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
    )
    return response.status_code, json.loads(response.content)


def test_get_tokens_from_refresh_token_runs_the_token_hook(client, issued):
    app, tokenset = issued
    with recording() as calls:
        status, body = _get_tokens(client, app, tokenset.refresh_token)
    assert status == 200, body
    assert [(c.stage, c.trigger_source, c.flow, c.username, c.client_id) for c in calls] == [
        ("token_generation", "TokenGeneration_RefreshTokens", "GetTokensFromRefreshToken", "alice", app.client_id)
    ]


def test_a_refusing_token_hook_issues_and_rotates_nothing(client, issued):
    app, tokenset = issued
    rows = list(RefreshToken.objects.values_list("pk", "revoked_at", "rotated_at").order_by("pk"))

    def refuse(context):
        raise NotAuthorized("refused by the hook")

    with hooks.registered(hooks.TOKEN_GENERATION, refuse):
        status, body = _get_tokens(client, app, tokenset.refresh_token)
    assert status == 400 and body["__type"] == "NotAuthorizedException" and body["message"] == "refused by the hook"
    assert list(RefreshToken.objects.values_list("pk", "revoked_at", "rotated_at").order_by("pk")) == rows
    status, body = _get_tokens(client, app, tokenset.refresh_token)  # the token still works afterwards
    assert status == 200, body
