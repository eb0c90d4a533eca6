"""The WEB_AUTHN challenge's building blocks, called directly with a software authenticator:
``authentication_options`` (CREDENTIAL_REQUEST_OPTIONS and the state kept server-side),
``authentication_verify`` (the CREDENTIAL answer) and ``user_has_passkeys``."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from tests.passkeys.authenticator import SoftwareAuthenticator, b64url
from tests.passkeys.conftest import ORIGIN, RP_ID
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import ErrorCode, ServiceError
from userpools.models import User, WebAuthnCredential
from userpools.services import passkeys
from userpools.services.pools import user_pool_set_mfa_config

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="test")


def enroll(user: User, authenticator: SoftwareAuthenticator, **falsify) -> WebAuthnCredential:
    options = passkeys.registration_start(CTX, user)
    return passkeys.registration_complete(CTX, user, authenticator.create(options, **falsify))


@pytest.fixture
def alice(service_pool, service_user, authenticator):
    """(client, user, their passkey) in a pool offering WEB_AUTHN for example.com."""
    client = service_pool()
    user = service_user(client)
    return client, user, enroll(user, authenticator)


def answer(authenticator, user, client, **falsify):
    """Options for ``user``, the authenticator's answer (JSON, as CREDENTIAL carries it), the state."""
    options, state = passkeys.authentication_options(user, client)
    return json.dumps(authenticator.get(passkeys.authentication_options_json(options), **falsify)), state


def verify_error(client, user, state, credential) -> ErrorCode:
    with pytest.raises(ServiceError) as exc:
        passkeys.authentication_verify(CTX, user, client, state, credential)
    return exc.value.code


def test_options(alice):
    client, user, passkey = alice
    options, state = passkeys.authentication_options(user, client)
    assert list(options) == [
        "hints",
        "attestation",
        "attestationFormats",
        "challenge",
        "timeout",
        "rpId",
        "allowCredentials",
        "userVerification",
    ]
    assert options["hints"] == [] and options["attestation"] == "none" and options["attestationFormats"] == []
    assert len(options["challenge"]) == 22 and options["timeout"] == 180000 and options["rpId"] == RP_ID
    assert options["allowCredentials"] == [
        {"id": passkey.credential_id, "type": "public-key", "transports": ["hybrid", "internal"]}
    ]
    assert options["userVerification"] == "preferred"
    assert state == {"challenge": options["challenge"], "rp_id": RP_ID, "user_verification": "preferred"}
    assert json.loads(passkeys.authentication_options_json(options)) == options
    other, _ = passkeys.authentication_options(user, client)
    assert other["challenge"] != options["challenge"]


def test_sign_in(alice, authenticator):
    client, user, passkey = alice
    credential, state = answer(authenticator, user, client)
    verified = passkeys.authentication_verify(CTX, user, client, state, credential)
    assert verified.pk == passkey.pk and verified.user_verified
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert abs(passkey.last_used_at - timezone.now()).total_seconds() < 60
    # and again, the counter moving on
    credential, state = answer(authenticator, user, client)
    passkeys.authentication_verify(CTX, user, client, state, credential)
    passkey.refresh_from_db()
    assert passkey.sign_count == 2


def test_bad_signature(alice, authenticator):
    client, user, passkey = alice
    credential, state = answer(authenticator, user, client, bad_signature=True)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED
    passkey.refresh_from_db()
    assert passkey.sign_count == 0 and passkey.last_used_at is None


@pytest.mark.parametrize("origin", ["https://evil.example.net", "http://example.com", "https://example.com.evil.net"])
def test_wrong_origin(alice, authenticator, origin):
    client, user, _ = alice
    credential, state = answer(authenticator, user, client, origin=origin)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_subdomain_origin_and_extra_origins(alice, authenticator, settings):
    client, user, _ = alice
    credential, state = answer(authenticator, user, client, origin="https://app.example.com")
    passkeys.authentication_verify(CTX, user, client, state, credential)
    app = "android:apk-key-hash:Dt0fjZ2Lp1H0JsG3m6qkvD0fQ6bGwMBpKMe2bOuSIjg"
    credential, state = answer(authenticator, user, client, origin=app)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED
    settings.COGNATE = {**settings.COGNATE, "WEBAUTHN_EXTRA_ORIGINS": [app]}
    credential, state = answer(authenticator, user, client, origin=app)
    passkeys.authentication_verify(CTX, user, client, state, credential)


def test_wrong_relying_party(alice, authenticator):
    client, user, _ = alice
    credential, state = answer(authenticator, user, client, rp_id="evil.example.net")
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_replayed_assertion(alice, authenticator):
    """The same answer twice: the caller spends the state, and even with the state kept the
    signature counter has not moved on."""
    client, user, _ = alice
    credential, state = answer(authenticator, user, client)
    passkeys.authentication_verify(CTX, user, client, state, credential)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_answer_to_another_challenge(alice, authenticator):
    client, user, _ = alice
    credential, _ = answer(authenticator, user, client)
    _, state = passkeys.authentication_options(user, client)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_counter_going_backwards(alice, authenticator):
    client, user, passkey = alice
    credential, state = answer(authenticator, user, client, sign_count=5)
    passkeys.authentication_verify(CTX, user, client, state, credential)
    credential, state = answer(authenticator, user, client, sign_count=3)  # a cloned authenticator
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED
    passkey.refresh_from_db()
    assert passkey.sign_count == 5


def test_counter_that_stays_zero(alice, authenticator):
    """Synced passkeys (iCloud Keychain, Google Password Manager) always report 0."""
    client, user, passkey = alice
    assert passkey.sign_count == 0
    for _ in range(2):
        credential, state = answer(authenticator, user, client, sign_count=0)
        assert passkeys.authentication_verify(CTX, user, client, state, credential).pk == passkey.pk
        passkey.refresh_from_db()
        assert passkey.sign_count == 0 and passkey.last_used_at is not None
    # A counter that starts counting later is taken up, and must then go forward.
    credential, state = answer(authenticator, user, client, sign_count=7)
    passkeys.authentication_verify(CTX, user, client, state, credential)
    passkey.refresh_from_db()
    assert passkey.sign_count == 7
    credential, state = answer(authenticator, user, client, sign_count=0)
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_unknown_and_other_users_credentials(alice, authenticator, service_user):
    client, user, _ = alice
    bob = service_user(client, "bob")
    bobs_key = SoftwareAuthenticator(origin=ORIGIN)
    enroll(bob, bobs_key)
    # bob's passkey presented for alice
    options, state = passkeys.authentication_options(user, client)
    credential = bobs_key.get(options, credential_id=next(iter(bobs_key.keys)))
    assert verify_error(client, user, state, json.dumps(credential)) == ErrorCode.NOT_AUTHORIZED
    # a credential the pool never registered
    stranger = SoftwareAuthenticator(origin=ORIGIN)
    stranger.create({"rp": {"id": RP_ID}, "user": {"id": b64url(b"x")}, "challenge": options["challenge"]})
    credential = stranger.get(options, credential_id=next(iter(stranger.keys)))
    assert verify_error(client, user, state, json.dumps(credential)) == ErrorCode.NOT_AUTHORIZED


def test_user_handle_of_someone_else(alice, authenticator):
    client, user, _ = alice
    credential, state = answer(authenticator, user, client, user_handle=b"someone-else")
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_user_verification_required(service_pool, service_user, authenticator):
    client = service_pool(verification="required")
    user = service_user(client)
    enroll(user, authenticator)
    options, state = passkeys.authentication_options(user, client)
    assert options["userVerification"] == "required" and state["user_verification"] == "required"
    credential = json.dumps(authenticator.get(options, user_verified=False))
    assert verify_error(client, user, state, credential) == ErrorCode.NOT_AUTHORIZED


def test_user_verification_preferred(alice, authenticator):
    client, user, _ = alice
    credential, state = answer(authenticator, user, client, user_verified=False)
    assert passkeys.authentication_verify(CTX, user, client, state, credential).user_verified is False


def test_not_a_credential(alice):
    client, user, _ = alice
    _, state = passkeys.authentication_options(user, client)
    for credential in ("not json", "[]", json.dumps({"id": "x"})):
        assert verify_error(client, user, state, credential) == ErrorCode.INVALID_PARAMETER


def test_unknown_user(alice, authenticator):
    """PreventUserExistenceErrors: options for nobody, which no answer passes."""
    client, user, _ = alice
    options, state = passkeys.authentication_options(None, client)
    assert options["allowCredentials"] == [] and options["rpId"] == RP_ID
    credential = authenticator.get(options, credential_id=next(iter(authenticator.keys)))
    assert verify_error(client, None, state, json.dumps(credential)) == ErrorCode.NOT_AUTHORIZED


def test_user_has_passkeys(alice, service_user):
    client, user, _ = alice
    assert passkeys.user_has_passkeys(user)
    assert not passkeys.user_has_passkeys(service_user(client, "bob"))


def test_relying_party_changed(alice, authenticator):
    """Passkeys of the pool's former relying party are no longer offered nor accepted."""
    client, user, _ = alice
    credential, state = answer(authenticator, user, client)
    user_pool_set_mfa_config(
        SYSTEM, {"UserPoolId": client.pool_id, "WebAuthnConfiguration": {"RelyingPartyId": "example.org"}}
    )
    client.pool.refresh_from_db()
    user.pool.refresh_from_db()
    assert not passkeys.user_has_passkeys(user)
    options, new_state = passkeys.authentication_options(user, client)
    assert options["rpId"] == "example.org" and options["allowCredentials"] == []
    # an answer for the former relying party, checked against the new state
    credential = json.dumps(authenticator.get(options, credential_id=next(iter(authenticator.keys)), rp_id=RP_ID))
    assert verify_error(client, user, new_state, credential) == ErrorCode.NOT_AUTHORIZED


def test_not_enabled_means_no_passkeys(service_pool, service_user, authenticator):
    client = service_pool()
    user = service_user(client)
    enroll(user, authenticator)
    client.pool.settings["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] = ["PASSWORD"]
    client.pool.save()
    user.pool.refresh_from_db()
    assert not passkeys.user_has_passkeys(user)


def test_options_without_relying_party(service_pool, service_user):
    client = service_pool(rp_id=None)
    with pytest.raises(ServiceError) as exc:
        passkeys.authentication_options(service_user(client), client)
    assert exc.value.code == ErrorCode.INVALID_USER_POOL_CONFIGURATION
    assert not passkeys.user_has_passkeys(User.objects.select_related("pool").get(username="alice"))


@pytest.mark.parametrize(
    ("origin", "rp_id", "allowed"),
    [
        ("https://example.com", "example.com", True),
        ("https://a.b.example.com:444", "example.com", True),
        ("https://example.com", "login.example.com", False),  # a parent is not within a subdomain's scope
        ("https://xexample.com", "example.com", False),
        ("http://example.com", "example.com", False),
        ("http://localhost:8000", "localhost", True),
        ("http://shop.auth.localhost:8000", "shop.auth.localhost", True),
        ("http://127.0.0.1:8000", "127.0.0.1", False),
        ("https://example.com:notaport", "example.com", False),
        ("https://user@example.com", "example.com", False),
        ("ftp://example.com", "example.com", False),
        ("", "example.com", False),
    ],
)
def test_origin_rule(origin, rp_id, allowed):
    assert passkeys.origin_allowed(origin, rp_id) is allowed
