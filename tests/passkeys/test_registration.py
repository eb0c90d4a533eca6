"""StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials and
DeleteWebAuthnCredential through boto3 against the live server, with a software authenticator."""

from __future__ import annotations

import base64
import gc
import threading
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.passkeys.authenticator import EDDSA, NO_AAGUID, SoftwareAuthenticator, b64url
from tests.passkeys.conftest import ORIGIN, RP_ID, call_error
from userpools.models import AuditEvent, User, UserPoolDomain, WebAuthnChallenge, WebAuthnCredential
from userpools.services import passkeys

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _requests_finished(public, idp):
    """Let the live server's request threads end with the test (as tests/tokens does): a
    connection an error response left out of botocore's pool is closed only when collected,
    and its thread, closing its database connection after a later non-live test has taken
    the in-memory SQLite connection back, fails with "DatabaseWrapper objects created in a
    thread can only be used in that same thread"."""
    yield
    public.close()
    idp.close()
    gc.collect()
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=5)


def register(api, token: str, authenticator: SoftwareAuthenticator, **falsify) -> dict:
    """Start a registration, let ``authenticator`` answer it, complete it; the credential sent
    (checked to be stored, for the user who asked, with the key the authenticator holds)."""
    options = api.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    credential = authenticator.create(options, **falsify)
    api.complete_web_authn_registration(AccessToken=token, Credential=credential)
    stored = WebAuthnCredential.objects.select_related("user").get(credential_id=credential["id"])
    assert b64url(str(stored.user.sub).encode()) == options["user"]["id"]
    assert stored.relying_party_id == options["rp"]["id"] and bytes(stored.public_key)
    return credential


def refused(api, token: str, credential) -> str:
    """The error CompleteWebAuthnRegistration answers for ``credential``."""
    return call_error(api.complete_web_authn_registration, AccessToken=token, Credential=credential)


def complete_error(api, token: str, authenticator: SoftwareAuthenticator, **falsify) -> str:
    """Start a registration; the error completing it with a credential falsified by ``falsify``."""
    options = api.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    credential = authenticator.create(options, **falsify)
    return call_error(api.complete_web_authn_registration, AccessToken=token, Credential=credential)


def test_register_list_and_delete(public, signed_in, authenticator):
    pool_id, client, token = signed_in()
    alice = User.objects.get(pool_id=pool_id, username="alice")
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"] == {"id": RP_ID, "name": RP_ID}
    assert options["user"] == {"id": b64url(str(alice.sub).encode()), "name": "alice", "displayName": ""}
    assert len(options["challenge"]) == 22  # 16 bytes
    assert options["pubKeyCredParams"] == [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}]
    assert options["timeout"] == 60000 and options["excludeCredentials"] == []
    assert options["authenticatorSelection"] == {
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "preferred",
    }
    assert options["attestation"] == "none"

    credential = authenticator.create(options)
    assert public.complete_web_authn_registration(AccessToken=token, Credential=credential)["ResponseMetadata"]
    listed = public.list_web_authn_credentials(AccessToken=token)
    assert "NextToken" not in listed
    [described] = listed["Credentials"]
    assert described["CredentialId"] == credential["id"]
    assert described["FriendlyCredentialName"] == "iCloud Keychain"  # from the AAGUID
    assert described["RelyingPartyId"] == RP_ID
    assert described["AuthenticatorAttachment"] == "platform"
    assert described["AuthenticatorTransports"] == ["hybrid", "internal"]
    assert isinstance(described["CreatedAt"], datetime)
    assert abs(described["CreatedAt"] - timezone.now()) < timedelta(minutes=1)
    stored = WebAuthnCredential.objects.get(credential_id=credential["id"])
    assert stored.user == alice and stored.pool_id == pool_id and stored.sign_count == 0
    assert stored.aaguid == "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
    assert not WebAuthnChallenge.objects.filter(user=alice).exists()  # spent

    # A second registration excludes the passkey the user has.
    again = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert again["excludeCredentials"] == [
        {"id": credential["id"], "type": "public-key", "transports": ["hybrid", "internal"]}
    ]
    assert again["challenge"] != options["challenge"]

    public.delete_web_authn_credential(AccessToken=token, CredentialId=credential["id"])
    assert public.list_web_authn_credentials(AccessToken=token)["Credentials"] == []
    actions = list(
        AuditEvent.objects.filter(pool_id=pool_id, action__startswith="webauthn.")
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [("webauthn.register", f"user:{alice.sub}"), ("webauthn.delete", f"user:{alice.sub}")]


def test_unknown_authenticator_gets_a_generic_name(public, signed_in):
    _, _, token = signed_in()
    register(
        public,
        token,
        SoftwareAuthenticator(origin=ORIGIN, aaguid=NO_AAGUID, attachment="cross-platform", transports=("usb", "nfc")),
    )
    [described] = public.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert described["FriendlyCredentialName"] == "Passkey"
    assert described["AuthenticatorAttachment"] == "cross-platform"
    assert described["AuthenticatorTransports"] == ["usb", "nfc"]


def test_display_name_is_the_name_attribute(public, idp, signed_in):
    pool_id, _, token = signed_in()
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username="alice", UserAttributes=[{"Name": "name", "Value": "Alice Liddell"}]
    )
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["user"]["displayName"] == "Alice Liddell"


# --- User verification ------------------------------------------------------------------------


def test_user_verification_required(public, signed_in, authenticator):
    _, _, token = signed_in(verification="required")
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    code = complete_error(public, token, authenticator, user_verified=False)
    assert code == "WebAuthnCredentialNotSupportedException"
    register(public, token, authenticator)
    assert len(public.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 1


def test_user_verification_preferred_accepts_presence_alone(public, signed_in, authenticator):
    _, _, token = signed_in(verification="preferred")
    register(public, token, authenticator, user_verified=False)
    assert len(public.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 1


# --- Origins and relying party ------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.net",
        "https://example.com.evil.net",
        "https://notexample.com",
        "http://example.com",  # not https
        "https://example.com/path",
        "null",
    ],
)
def test_origin_not_allowed(public, signed_in, authenticator, origin):
    _, _, token = signed_in()
    assert complete_error(public, token, authenticator, origin=origin) == "WebAuthnOriginNotAllowedException"
    assert WebAuthnCredential.objects.count() == 0


@pytest.mark.parametrize("origin", ["https://example.com", "https://login.example.com", "https://example.com:8443"])
def test_origins_within_the_relying_party(public, signed_in, authenticator, origin):
    pool_id, _, token = signed_in()
    credential = register(public, token, authenticator, origin=origin)
    [stored] = WebAuthnCredential.objects.all()
    assert (stored.credential_id, stored.user.username, stored.pool_id) == (credential["id"], "alice", pool_id)
    listed = public.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert [c["CredentialId"] for c in listed] == [credential["id"]]


def test_extra_origins_setting(public, signed_in, authenticator, settings):
    _, _, token = signed_in()
    app = "android:apk-key-hash:Dt0fjZ2Lp1H0JsG3m6qkvD0fQ6bGwMBpKMe2bOuSIjg"
    assert complete_error(public, token, authenticator, origin=app) == "WebAuthnOriginNotAllowedException"
    settings.COGNATE = {**settings.COGNATE, "WEBAUTHN_EXTRA_ORIGINS": [app]}
    register(public, token, authenticator, origin=app)


def test_localhost_over_http(public, signed_in, authenticator):
    _, _, token = signed_in(rp_id="localhost")
    register(public, token, authenticator, origin="http://localhost:3000")
    assert (
        complete_error(public, token, authenticator, origin="http://127.0.0.1:3000")
        == "WebAuthnOriginNotAllowedException"
    )


def test_wrong_relying_party(public, signed_in, authenticator):
    _, _, token = signed_in()
    code = complete_error(public, token, authenticator, rp_id="evil.example.net")
    assert code == "WebAuthnRelyingPartyMismatchException"
    # a parent domain the origin could claim is still not the pool's relying party
    assert complete_error(public, token, authenticator, rp_id="com") == "WebAuthnRelyingPartyMismatchException"


def test_relying_party_changed_during_registration(public, idp, signed_in, authenticator):
    pool_id, _, token = signed_in()
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "login.example.com"})
    credential = authenticator.create(options)
    code = refused(public, token, credential)
    assert code == "WebAuthnRelyingPartyMismatchException"


# --- The registration challenge -----------------------------------------------------------------


def test_replayed_credential(public, signed_in, authenticator):
    _, _, token = signed_in()
    credential = register(public, token, authenticator)
    code = refused(public, token, credential)
    assert code == "WebAuthnChallengeNotFoundException"


def test_complete_without_start(public, signed_in, authenticator):
    _, _, token = signed_in()
    options = {"rp": {"id": RP_ID}, "user": {"id": b64url(b"x")}, "challenge": b64url(b"0" * 16)}
    code = refused(public, token, authenticator.create(options))
    assert code == "WebAuthnChallengeNotFoundException"


def test_unknown_challenge(public, signed_in, authenticator):
    _, _, token = signed_in()
    code = complete_error(public, token, authenticator, challenge=b64url(b"not the challenge"))
    assert code == "WebAuthnChallengeNotFoundException"
    assert not WebAuthnChallenge.objects.exists()  # a refused credential spends the challenge


def test_expired_challenge(public, signed_in, authenticator):
    _, _, token = signed_in()
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    WebAuthnChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    code = refused(public, token, authenticator.create(options))
    assert code == "WebAuthnChallengeNotFoundException"


def test_a_new_start_replaces_the_challenge(public, signed_in, authenticator):
    _, _, token = signed_in()
    first = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    second = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    stale = authenticator.create(first)
    code = refused(public, token, stale)
    assert code == "WebAuthnChallengeNotFoundException"
    # the refused attempt spent the second challenge too: one try per registration
    code = refused(public, token, authenticator.create(second))
    assert code == "WebAuthnChallengeNotFoundException"
    register(public, token, authenticator)


def test_refused_credential_cannot_be_retried(public, signed_in, authenticator):
    _, _, token = signed_in()
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    wrong = authenticator.create(options, origin="https://evil.example.net")
    assert refused(public, token, wrong) == "WebAuthnOriginNotAllowedException"
    code = refused(public, token, authenticator.create(options))
    assert code == "WebAuthnChallengeNotFoundException"


# --- Credentials refused --------------------------------------------------------------------------


def test_already_registered(public, signed_in, authenticator):
    pool_id, client, token = signed_in()
    credential = register(public, token, authenticator)
    same_id = base64.urlsafe_b64decode(credential["id"] + "=" * (-len(credential["id"]) % 4))
    assert complete_error(public, token, authenticator, credential_id=same_id) == "InvalidParameterException"
    # nor can another user claim it
    _, _, bob = signed_in("bob", pool=(pool_id, client))
    assert complete_error(public, bob, authenticator, credential_id=same_id) == "InvalidParameterException"
    assert WebAuthnCredential.objects.count() == 1


def test_unsupported_algorithm(public, signed_in, authenticator):
    _, _, token = signed_in()
    assert complete_error(public, token, authenticator, algorithm=EDDSA) == "WebAuthnCredentialNotSupportedException"


def test_packed_self_attestation(public, signed_in, authenticator):
    _, _, token = signed_in()
    register(public, token, authenticator, fmt="packed")
    code = complete_error(public, token, authenticator, fmt="packed", bad_attestation_signature=True)
    assert code == "InvalidParameterException"
    assert len(public.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 1


@pytest.mark.parametrize(
    "credential",
    [
        "a-passkey-honest",
        {"id": "x"},
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": "bm90IGpzb24", "attestationObject": "AAAA"},
        },
    ],
)
def test_not_a_credential(public, signed_in, credential):
    _, _, token = signed_in()
    public.start_web_authn_registration(AccessToken=token)
    code = refused(public, token, credential)
    assert code == "InvalidParameterException"


def test_wrong_ceremony(public, signed_in, authenticator):
    _, _, token = signed_in()
    assert complete_error(public, token, authenticator, ceremony="webauthn.get") == "InvalidParameterException"


def test_credential_id_too_long_to_store(public, signed_in, authenticator):
    _, _, token = signed_in()
    code = complete_error(public, token, authenticator, credential_id=b"\x01" * 1000)  # 1334 base64url characters
    assert code == "WebAuthnCredentialNotSupportedException"


def test_too_many_passkeys(public, signed_in, authenticator, monkeypatch):
    monkeypatch.setattr(passkeys, "MAX_CREDENTIALS", 2)
    pool_id, _, token = signed_in()
    register(public, token, authenticator)
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    # Meanwhile another registration reaches the limit: completing checks it again.
    WebAuthnCredential.objects.create(
        pool_id=pool_id,
        user=User.objects.get(username="alice"),
        credential_id="b3RoZXI",
        public_key=b"",
        relying_party_id=RP_ID,
    )
    code = refused(public, token, authenticator.create(options))
    assert code == "LimitExceededException"
    assert WebAuthnChallenge.objects.exists()  # not spent: an SDK retries LimitExceededException
    assert call_error(public.start_web_authn_registration, AccessToken=token) == "LimitExceededException"


# --- The pool's configuration ---------------------------------------------------------------------


def test_lite_tier_is_not_enabled(public, signed_in):
    _, _, token = signed_in(policy=None, UserPoolTier="LITE")
    assert call_error(public.start_web_authn_registration, AccessToken=token) == "WebAuthnNotEnabledException"


def test_without_the_web_authn_factor(public, signed_in, authenticator):
    _, _, token = signed_in(policy={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]}})
    assert call_error(public.start_web_authn_registration, AccessToken=token) == "WebAuthnNotEnabledException"
    options = {"rp": {"id": RP_ID}, "user": {"id": b64url(b"x")}, "challenge": b64url(b"0" * 16)}
    code = refused(public, token, authenticator.create(options))
    assert code == "WebAuthnNotEnabledException"


def test_passkeys_as_mfa_enable_registration(public, idp, signed_in, authenticator):
    pool_id, _, token = signed_in(policy={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]}})
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        WebAuthnConfiguration={"RelyingPartyId": RP_ID, "FactorConfiguration": "MULTI_FACTOR_WITH_USER_VERIFICATION"},
    )
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_configuration_missing(public, signed_in):
    _, _, token = signed_in(rp_id=None)
    assert call_error(public.start_web_authn_registration, AccessToken=token) == "WebAuthnConfigurationMissingException"


def test_relying_party_from_the_domains(public, idp, signed_in, authenticator, settings):
    settings.COGNATE = {**settings.COGNATE, "DOMAIN_SUFFIX": "auth.example.org"}
    pool_id, _, token = signed_in(rp_id=None)
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "shop.auth.example.org"
    register(public, token, SoftwareAuthenticator(origin="https://shop.auth.example.org"))
    # A custom domain takes precedence over the prefix domain, once verified (it does not route
    # before: tests/security/test_custom_domains.py verifies over DNS).
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/x"
    idp.create_user_pool_domain(
        UserPoolId=pool_id, Domain="login.shop.example", CustomDomainConfig={"CertificateArn": certificate}
    )
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "shop.auth.example.org"
    UserPoolDomain.objects.filter(domain="login.shop.example").update(verified_at=timezone.now())
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "login.shop.example"
    assert options["excludeCredentials"] == []  # the passkey is the prefix domain's
    # An explicit RelyingPartyId takes precedence over both.
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": "shop.example"})
    options = public.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "shop.example"
    register(public, token, SoftwareAuthenticator(origin="https://login.shop.example"))
    assert [c["RelyingPartyId"] for c in public.list_web_authn_credentials(AccessToken=token)["Credentials"]] == [
        "shop.auth.example.org",
        "shop.example",
    ]


def test_access_token_is_required(public, signed_in):
    _, _, token = signed_in()
    assert call_error(public.start_web_authn_registration, AccessToken=token + "x") == "NotAuthorizedException"
    assert call_error(public.list_web_authn_credentials, AccessToken="not.a.token") == "NotAuthorizedException"


# --- Listing and deleting -------------------------------------------------------------------------


def test_list_pagination(public, signed_in, authenticator):
    _, _, token = signed_in()
    ids = [register(public, token, authenticator)["id"] for _ in range(3)]
    first = public.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    assert [c["CredentialId"] for c in first["Credentials"]] == ids[:2] and first["NextToken"]
    rest = public.list_web_authn_credentials(AccessToken=token, MaxResults=2, NextToken=first["NextToken"])
    assert [c["CredentialId"] for c in rest["Credentials"]] == ids[2:] and "NextToken" not in rest
    everything = public.list_web_authn_credentials(AccessToken=token, MaxResults=0)
    assert [c["CredentialId"] for c in everything["Credentials"]] == ids
    code = call_error(public.list_web_authn_credentials, AccessToken=token, NextToken="bm90IGEgdG9rZW4")
    assert code == "InvalidParameterException"


def test_other_users_passkeys(public, signed_in, authenticator):
    pool_id, client, alice = signed_in()
    _, _, bob = signed_in("bob", pool=(pool_id, client))
    alices = register(public, alice, authenticator)
    bobs = register(public, bob, SoftwareAuthenticator(origin=ORIGIN))
    assert [c["CredentialId"] for c in public.list_web_authn_credentials(AccessToken=bob)["Credentials"]] == [
        bobs["id"]
    ]
    code = call_error(public.delete_web_authn_credential, AccessToken=bob, CredentialId=alices["id"])
    assert code == "ResourceNotFoundException"
    code = call_error(public.delete_web_authn_credential, AccessToken=bob, CredentialId="bm8tc3VjaC1jcmVkZW50aWFs")
    assert code == "ResourceNotFoundException"
    assert WebAuthnCredential.objects.filter(credential_id=alices["id"]).exists()
