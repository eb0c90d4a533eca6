"""Signing in with a passkey: USER_AUTH's WEB_AUTHN first factor through boto3, with the
software authenticator registered through the wire API first."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.auth.conftest import assert_signed_in
from tests.passkeys.conftest import PASSWORD
from tests.passkeys.test_registration import _requests_finished, register  # noqa: F401 - autouse fixture
from userpools.models import WebAuthnCredential

pytestmark = pytest.mark.django_db(transaction=True)


def start(api, client, username, **params):
    return api.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username, **params}
    )


def answer(api, client, session, username, credential):
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="WEB_AUTHN",
        Session=session,
        ChallengeResponses={"USERNAME": username, "CREDENTIAL": json.dumps(credential)},
    )


def test_passkey_sign_in(public, signed_in, authenticator):
    pool_id, client, token = signed_in()
    register(public, token, authenticator)
    selection = start(public, client, "alice")
    assert "WEB_AUTHN" in selection["AvailableChallenges"]
    challenge = start(public, client, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == "example.com" and len(options["allowCredentials"]) == 1
    result = answer(public, client, challenge["Session"], "alice", authenticator.get(options))
    user = WebAuthnCredential.objects.get().user
    assert_signed_in(result, user, client["ClientId"])
    assert WebAuthnCredential.objects.get().sign_count == 1


@pytest.mark.parametrize(
    "falsify", [{"bad_signature": True}, {"origin": "https://evil.example.net"}, {"rp_id": "evil.example.net"}]
)
def test_a_bad_assertion_is_refused_and_spends_the_session(public, signed_in, authenticator, falsify):
    _, client, token = signed_in()
    register(public, token, authenticator)
    challenge = start(public, client, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    options = challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    with pytest.raises(ClientError) as exc:
        answer(public, client, challenge["Session"], "alice", authenticator.get(options, **falsify))
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as exc:  # the session is gone, a good assertion too late
        answer(public, client, challenge["Session"], "alice", authenticator.get(options))
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_an_assertion_for_another_challenge_is_refused(public, signed_in, authenticator):
    _, client, token = signed_in()
    register(public, token, authenticator)
    first = start(public, client, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    second = start(public, client, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    replayed = authenticator.get(first["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    with pytest.raises(ClientError) as exc:
        answer(public, client, second["Session"], "alice", replayed)
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_a_user_without_passkeys_is_not_offered_web_authn(public, signed_in):
    _, client, _ = signed_in()
    assert start(public, client, "alice")["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    result = start(public, client, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert "AuthenticationResult" in result


def test_auth_factors_list_the_passkey(public, idp, signed_in, authenticator):
    pool_id, _, token = signed_in()
    register(public, token, authenticator)
    assert (
        "WEB_AUTHN"
        in idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="alice")["ConfiguredUserAuthFactors"]
    )
