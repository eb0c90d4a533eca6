"""Token-authorized operations through boto3 against the live server, and the JWKS/discovery."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from tests.tokens.conftest import PASSWORD, call_error
from userpools.context import SYSTEM
from userpools.services import tokens, users


@pytest.fixture
def signed_in(setup, public_url):
    pool_id, client, user = setup
    return pool_id, client, user, tokens.tokens_issue(SYSTEM, user=user, client=client)


def test_jwt_verifies_with_published_jwks(signed_in, public_url):
    pool_id, client, user, issued = signed_in
    jwks = jwt.PyJWKClient(f"{public_url}/{pool_id}/.well-known/jwks.json")
    for token, use in [(issued.id_token, "id"), (issued.access_token, "access")]:
        key = jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=f"{public_url}/{pool_id}",
            audience=client.client_id if use == "id" else None,
            options={"verify_aud": use == "id"},
        )
        assert claims["token_use"] == use
    assert jwt.decode(issued.id_token, options={"verify_signature": False})["aud"] == client.client_id


def test_openid_configuration(signed_in, public_url):
    import urllib.request

    pool_id = signed_in[0]
    with urllib.request.urlopen(f"{public_url}/{pool_id}/.well-known/openid-configuration") as response:
        document = json.load(response)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert document["issuer"] == f"{public_url}/{pool_id}"
    assert document["jwks_uri"] == f"{public_url}/{pool_id}/.well-known/jwks.json"
    assert document["token_endpoint"] == f"{public_url}/{pool_id}/oauth2/token"
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{public_url}/us-east-1_nosuchpool/.well-known/jwks.json")
    assert exc.value.code == 404


def test_get_user(signed_in, public):
    pool_id, client, user, issued = signed_in
    answer = public.get_user(AccessToken=issued.access_token)
    assert answer["Username"] == "alice"
    attributes = {a["Name"]: a["Value"] for a in answer["UserAttributes"]}
    assert attributes == {"sub": str(user.sub), "email": "alice@example.com", "email_verified": "true"}


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["username"] = "mallory"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "tampered", "id-token", "unsigned"])
def test_bad_access_tokens(signed_in, public, token):
    issued = signed_in[3]
    token = {
        "tampered": _tampered(issued.access_token),
        "id-token": issued.id_token,
        "unsigned": jwt.encode(
            jwt.decode(issued.access_token, options={"verify_signature": False}), None, algorithm="none"
        ),
    }.get(token, token)
    assert call_error(public.get_user, AccessToken=token) == "NotAuthorizedException"


def test_expired_access_token(setup, public, monkeypatch):
    pool_id, client, user = setup
    past = timezone.now() - timedelta(minutes=61)
    monkeypatch.setattr(tokens.common, "now", lambda: past)
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    monkeypatch.undo()
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"


def test_global_sign_out(signed_in, public):
    issued = signed_in[3]
    public.global_sign_out(AccessToken=issued.access_token)
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"


def test_admin_user_global_sign_out(signed_in, public, idp):
    pool_id, client, user, issued = signed_in
    idp.admin_user_global_sign_out(UserPoolId=pool_id, Username="alice")
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"
    assert call_error(idp.admin_user_global_sign_out, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"


def test_revoke_token(signed_in, public):
    pool_id, client, user, issued = signed_in
    public.revoke_token(Token=issued.refresh_token, ClientId=client.client_id)
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"
    with pytest.raises(Exception) as exc:
        tokens.tokens_refresh(SYSTEM, client=client, refresh_token=issued.refresh_token)
    assert exc.value.code == "NotAuthorizedException"
    assert (
        call_error(public.revoke_token, Token=issued.access_token, ClientId=client.client_id)
        == "UnsupportedTokenTypeException"
    )


def test_revoke_token_needs_the_secret(make_pool_model, make_client_model, make_user, public):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, GenerateSecret=True)
    issued = tokens.tokens_issue(SYSTEM, user=make_user(pool_id), client=client)
    assert (
        call_error(public.revoke_token, Token=issued.refresh_token, ClientId=client.client_id)
        == "UnauthorizedException"
    )
    secret = client.secrets.first().secret
    public.revoke_token(Token=issued.refresh_token, ClientId=client.client_id, ClientSecret=secret)


def test_change_password(signed_in, public):
    pool_id, client, user, issued = signed_in
    public.change_password(AccessToken=issued.access_token, PreviousPassword=PASSWORD, ProposedPassword="N3w-passw0rd!")
    assert users.user_get(pool_id, "alice").check_password("N3w-passw0rd!")
    assert (
        call_error(
            public.change_password,
            AccessToken=issued.access_token,
            PreviousPassword="wrong-Passw0rd!",
            ProposedPassword="An0ther-passw0rd!",
        )
        == "NotAuthorizedException"
    )


def test_update_and_delete_attributes(signed_in, public):
    pool_id, client, user, issued = signed_in
    public.update_user_attributes(AccessToken=issued.access_token, UserAttributes=[{"Name": "name", "Value": "Al"}])
    assert users.user_get(pool_id, "alice").attributes["name"] == "Al"
    public.delete_user_attributes(AccessToken=issued.access_token, UserAttributeNames=["name"])
    assert "name" not in users.user_get(pool_id, "alice").attributes


def test_delete_user(signed_in, public):
    pool_id, client, user, issued = signed_in
    public.delete_user(AccessToken=issued.access_token)
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"


def test_rotated_keys_keep_old_tokens(signed_in, public, public_url):
    pool_id, client, user, old = signed_in
    tokens.signing_keys_rotate(SYSTEM, pool_id=pool_id)
    new = tokens.tokens_issue(SYSTEM, user=user, client=client)
    assert jwt.get_unverified_header(new.access_token)["kid"] != jwt.get_unverified_header(old.access_token)["kid"]
    jwks = jwt.PyJWKClient(f"{public_url}/{pool_id}/.well-known/jwks.json", cache_jwk_set=False)
    for issued in (old, new):
        assert jwks.get_signing_key_from_jwt(issued.access_token)
        assert public.get_user(AccessToken=issued.access_token)["Username"] == "alice"


@pytest.mark.django_db
def test_get_user_queries(setup, client, django_assert_num_queries):
    pool_id, app, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=app)
    body = json.dumps({"AccessToken": issued.access_token})
    headers = {"HTTP_X_AMZ_TARGET": "AWSCognitoIdentityProviderService.GetUser"}

    def get_user():
        return client.post("/", data=body, content_type="application/x-amz-json-1.1", **headers)

    assert get_user().status_code == 200  # loads the key into the process cache
    # the user with its sign-in's revocation (the app client, for its ReadAttributes, and
    # its pool, the user's, come from the process's client cache)
    with django_assert_num_queries(1):
        response = get_user()
    assert response.status_code == 200, response.content


def test_verify_attribute_with_a_code(signed_in, public, monkeypatch):
    from userpools.services import codes

    pool_id, client, user, issued = signed_in
    sent: list[str] = []
    original = codes.code_issue

    def capture(user, purpose):
        sent.append(original(user, purpose))
        return sent[-1]

    monkeypatch.setattr(codes, "code_issue", capture)
    public.update_user_attributes(
        AccessToken=issued.access_token, UserAttributes=[{"Name": "email", "Value": "new@example.com"}]
    )
    public.get_user_attribute_verification_code(AccessToken=issued.access_token, AttributeName="email")
    assert (
        call_error(
            public.verify_user_attribute,
            AccessToken=issued.access_token,
            AttributeName="email",
            Code="000000" if sent[-1] != "000000" else "111111",
        )
        == "CodeMismatchException"
    )
    public.verify_user_attribute(AccessToken=issued.access_token, AttributeName="email", Code=sent[-1])
    attributes = users.user_get(pool_id, "alice").attributes
    assert attributes["email"] == "new@example.com" and attributes["email_verified"] == "true"


def test_scope_without_admin_is_refused(setup, public):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client, scopes=["openid"])
    assert call_error(public.get_user, AccessToken=issued.access_token) == "NotAuthorizedException"
