"""The STS broker: Cognate calls AssumeRoleWithWebIdentity at COGNATE_STS_ENDPOINT with
the identity's OpenID token. The stand-in STS here trusts Cognate's identity issuer the way
an IAM OIDC provider does: it fetches the issuer's JWKS, checks the token's audience (the
identity pool) and ``amr``, and answers STS's XML."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from botocore.exceptions import ClientError

from identity.models import IdentityPool, TemporaryCredential
from tests.conftest import error_code

DENIED_ROLE = "arn:aws:iam::000000000000:role/denied"
RESPONSE = """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>{sub}</SubjectFromWebIdentityToken>
    <Audience>{aud}</Audience>
    <Credentials>
      <AccessKeyId>ASIASTSSTANDIN00001</AccessKeyId>
      <SecretAccessKey>sts-secret-{tags}</SecretAccessKey>
      <SessionToken>sts-session-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""
ERROR = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
</ErrorResponse>"""


class StandInSts:
    def __init__(self, jwks_url: str, issuer: str) -> None:
        self.calls: list[dict[str, str]] = []
        self.jwks = jwt.PyJWKClient(jwks_url)
        sts = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                sts.calls.append(form)
                status, body = sts.answer(form, issuer)
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.audience: str | None = None

    def answer(self, form: dict[str, str], issuer: str) -> tuple[int, str]:
        if (
            form.get("Action") != "AssumeRoleWithWebIdentity"
            or form.get("RoleSessionName") != "CognitoIdentityCredentials"
        ):
            return 400, ERROR.format(code="InvalidAction", message="bad action")
        token = form["WebIdentityToken"]
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=self.audience, issuer=issuer)
        except jwt.PyJWTError as exc:
            return 400, ERROR.format(code="InvalidIdentityToken", message=type(exc).__name__)
        if form["RoleArn"] == DENIED_ROLE or "authenticated" not in claims["amr"]:
            return 403, ERROR.format(
                code="AccessDenied", message="Not authorized to perform sts:AssumeRoleWithWebIdentity"
            )
        tags = ",".join(
            f"{k}={v[0]}" for k, v in claims.get("https://aws.amazon.com/tags", {}).get("principal_tags", {}).items()
        )
        return 200, RESPONSE.format(sub=claims["sub"], aud=claims["aud"], tags=tags)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sts(live_server, settings):
    stand_in = StandInSts(f"{live_server.url}/identity/.well-known/jwks.json", f"{live_server.url}/identity")
    settings.COGNATE_STS_ENDPOINT = stand_in.url
    yield stand_in
    stand_in.close()


@pytest.fixture
def sts_pool(identity_pool, signed_identity, sts):
    """An STS-brokered pool with a developer provider, AWS roles Cognate does not hold."""
    pool = identity_pool(DeveloperProviderName="login.example")
    IdentityPool.objects.filter(id=pool["IdentityPoolId"]).update(broker=IdentityPool.Broker.STS)
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=pool["IdentityPoolId"],
        Roles={
            "authenticated": "arn:aws:iam::000000000000:role/app-user",
            "unauthenticated": "arn:aws:iam::000000000000:role/app-guest",
        },
    )
    sts.audience = pool["IdentityPoolId"]
    return pool["IdentityPoolId"]


def test_sts_issues_the_credentials(sts_pool, sts, signed_identity, cognito_identity):
    answer = signed_identity.get_open_id_token_for_developer_identity(
        IdentityPoolId=sts_pool, Logins={"login.example": "user-1"}, PrincipalTags={"team": "blue"}
    )
    result = cognito_identity.get_credentials_for_identity(
        IdentityId=answer["IdentityId"], Logins={"cognito-identity.amazonaws.com": answer["Token"]}
    )
    creds = result["Credentials"]
    assert creds["AccessKeyId"] == "ASIASTSSTANDIN00001" and creds["SessionToken"] == "sts-session-token"
    assert creds["SecretKey"] == "sts-secret-team=blue"  # the tags travelled in the web identity token
    assert creds["Expiration"].year == 2099
    (call,) = sts.calls
    assert call["RoleArn"] == "arn:aws:iam::000000000000:role/app-user"
    assert not TemporaryCredential.objects.exists()  # STS's credentials, not Cognate's


def test_sts_refusing_the_role_is_a_pool_configuration_error(sts_pool, cognito_identity):
    guest = cognito_identity.get_id(IdentityPoolId=sts_pool)["IdentityId"]
    with pytest.raises(ClientError) as excinfo:  # the stand-in's trust policy wants "authenticated"
        cognito_identity.get_credentials_for_identity(IdentityId=guest)
    assert error_code(excinfo) == "InvalidIdentityPoolConfigurationException"


def test_unreachable_sts_is_an_external_service_error(sts_pool, cognito_identity, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.COGNATE_STS_ENDPOINT = f"http://127.0.0.1:{port}/"
    guest = cognito_identity.get_id(IdentityPoolId=sts_pool)["IdentityId"]
    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_credentials_for_identity(IdentityId=guest)
    assert error_code(excinfo) == "ExternalServiceException"
