"""Passkeys (WebAuthn): a signed-in user's authenticators, and the WEB_AUTHN sign-in challenge.

py_webauthn (``webauthn``) parses the W3C JSON documents and checks attestation and
assertion signatures; the rules Cognito adds are kept here (API reference:
StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials,
DeleteWebAuthnCredential, WebAuthnConfigurationType; the shapes of the options documents
follow what Cognito sends, as AWS Amplify's tests record it):

* Passkeys need the ESSENTIALS or PLUS tier and either WEB_AUTHN among the pool's
  ``AllowedFirstAuthFactors`` or ``WebAuthnConfiguration.FactorConfiguration``
  MULTI_FACTOR_WITH_USER_VERIFICATION; otherwise WebAuthnNotEnabledException.
* The relying party ID is ``WebAuthnConfiguration.RelyingPartyId``, else the pool's
  custom domain, else its prefix domain (``{prefix}.{COGNATE_DOMAIN_SUFFIX}``); a pool
  with none of them answers WebAuthnConfigurationMissingException.
* An origin is allowed when its host is the relying party ID or a subdomain of it (the
  WebAuthn scope rule), over https (http for ``localhost`` names), on any port; or when
  it is one of ``COGNATE_WEBAUTHN_EXTRA_ORIGINS`` (a native app's
  ``android:apk-key-hash:`` origin, a development server).
* ``UserVerification`` ``required`` (and MULTI_FACTOR_WITH_USER_VERIFICATION) refuses an
  authenticator that did not verify the user; ``preferred``, the default, asks for it.
* StartWebAuthnRegistration issues a 16-byte challenge, valid for
  :data:`REGISTRATION_VALIDITY`, which replaces the user's earlier one: one registration
  is in progress at a time. CompleteWebAuthnRegistration spends it before reading the
  credential, so a refused credential cannot be retried against it.
* Keys: ES256 and RS256, as Cognito offers them. Attestation "none" is asked for; a
  credential with another attestation statement must verify, but need not chain to a
  trusted root. At most :data:`MAX_CREDENTIALS` passkeys a user (LimitExceededException).
* Sign-in failures are NotAuthorizedException whatever the cause (unknown credential,
  wrong origin or relying party, bad signature, a signature counter that went
  backwards): RespondToAuthChallenge's model lists none of the WebAuthn errors.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    decode_credential_public_key,
    options_to_json_dict,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    ClientDataType,
    CollectedClientData,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.errors import (
    InvalidParameter,
    InvalidUserPoolConfiguration,
    LimitExceeded,
    NotAuthorized,
    ResourceNotFound,
    WebAuthnChallengeNotFound,
    WebAuthnConfigurationMissing,
    WebAuthnCredentialNotSupported,
    WebAuthnNotEnabled,
    WebAuthnOriginNotAllowed,
    WebAuthnRelyingPartyMismatch,
)
from userpools.models import AppClient, User, UserPool, WebAuthnChallenge, WebAuthnCredential
from userpools.services.audit import audit_record
from userpools.services.domains import domain_fqdn, serving_domain
from userpools.services.pagination import Page, paginate

CHALLENGE_BYTES = 16  # 22 base64url characters, as Cognito's challenges
REGISTRATION_TIMEOUT_MS = 60_000
AUTHENTICATION_TIMEOUT_MS = 180_000
REGISTRATION_VALIDITY = timedelta(minutes=5)
ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
MAX_CREDENTIALS = 20
PAGE_SIZE = 20  # WebAuthnCredentialsQueryLimitType's maximum
MFA_WITH_VERIFICATION = "MULTI_FACTOR_WITH_USER_VERIFICATION"
SIGN_IN_FAILED = "Passkey sign-in failed."
# Names of common passkey providers by AAGUID (passkeydeveloper/passkey-authenticator-aaguids):
# ListWebAuthnCredentials' FriendlyCredentialName is generated, not chosen by the user.
PROVIDERS = {
    "fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "iCloud Keychain",
    "dd4ec289-e01d-41c9-bb89-70fa845d4bf2": "iCloud Keychain (Managed)",
    "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Google Password Manager",
    "adce0002-35bc-c60a-648b-0b25f1f05503": "Chrome on Mac",
    "08987058-cadc-4b81-b6e1-30de50dcbe96": "Windows Hello",
    "9ddd1817-af5a-4672-a2b9-3e3dd95000a9": "Windows Hello",
    "6028b017-b1d4-4c02-b4b3-afcdafc96bb2": "Windows Hello",
    "bada5566-a7aa-401f-bd96-45619a55120d": "1Password",
    "d548826e-79b4-db40-a3d8-11116f7e8349": "Bitwarden",
    "531126d6-e717-415c-9320-3d9aa6981239": "Dashlane",
}
DEFAULT_NAME = "Passkey"
# What parsing an untrusted credential document can raise besides py_webauthn's own errors
# (base64 and CBOR decoding, missing members).
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


# --- The pool's relying party ----------------------------------------------------------------


def passkeys_enabled(pool: UserPool) -> bool:
    """Whether ``pool`` offers passkeys: a tier above LITE, and WEB_AUTHN a first factor or
    passkeys configured as an MFA factor."""
    if pool.tier == UserPool.Tier.LITE:
        return False
    factors = pool.settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors") or []
    config = pool.mfa_settings.get("WebAuthnConfiguration") or {}
    return "WEB_AUTHN" in factors or config.get("FactorConfiguration") == MFA_WITH_VERIFICATION


def relying_party_id(pool: UserPool) -> str | None:
    """The configured RelyingPartyId, else the custom domain, else the prefix domain (one
    query when none is configured)."""
    configured = (pool.mfa_settings.get("WebAuthnConfiguration") or {}).get("RelyingPartyId")
    if configured:
        return configured
    domain = serving_domain(list(pool.domains.all()))  # a custom domain once verified
    return domain_fqdn(domain) if domain is not None else None


def _user_verification(pool: UserPool) -> str:
    config = pool.mfa_settings.get("WebAuthnConfiguration") or {}
    if config.get("UserVerification") == "required" or config.get("FactorConfiguration") == MFA_WITH_VERIFICATION:
        return "required"
    return "preferred"


def origin_allowed(origin: str, rp_id: str) -> bool:
    """Whether a ceremony at ``origin`` may answer for ``rp_id`` (see the module's rules)."""
    if origin in cognate_settings().WEBAUTHN_EXTRA_ORIGINS:
        return True
    try:
        parts = urlsplit(origin)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return False
    local = host == "localhost" or host.endswith(".localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return False
    return host == rp_id or host.endswith("." + rp_id)


def _rp_id_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()


def _user_handle(user: User) -> bytes:
    """The WebAuthn user handle: the user's ``sub``, as Cognito sends it."""
    return str(user.sub).encode()


def _descriptors(credentials: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(c.credential_id),
            transports=[AuthenticatorTransport(t) for t in c.transports if t in known],
        )
        for c in credentials
    ]


def _enabled_relying_party(pool: UserPool) -> str:
    if not passkeys_enabled(pool):
        raise WebAuthnNotEnabled("Passkeys (WEB_AUTHN) are not enabled for this user pool.")
    rp_id = relying_party_id(pool)
    if rp_id is None:
        raise WebAuthnConfigurationMissing(
            "The user pool has no relying party ID: set WebAuthnConfiguration.RelyingPartyId or add a domain."
        )
    return rp_id


# --- Registration ----------------------------------------------------------------------------


def _check_limit(user: User) -> None:
    if WebAuthnCredential.objects.filter(user=user).count() >= MAX_CREDENTIALS:
        raise LimitExceeded(f"A user can register at most {MAX_CREDENTIALS} passkeys.")


def registration_start(ctx: ServiceContext, user: User) -> dict[str, Any]:
    """StartWebAuthnRegistration: the CredentialCreationOptions document (a
    PublicKeyCredentialCreationOptionsJSON) for ``user``, whose access token the caller
    checked. Replaces the user's registration in progress. Raises
    WebAuthnNotEnabledException, WebAuthnConfigurationMissingException,
    LimitExceededException (already :data:`MAX_CREDENTIALS` passkeys)."""
    pool = user.pool
    rp_id = _enabled_relying_party(pool)
    _check_limit(user)
    existing = list(WebAuthnCredential.objects.filter(user=user, relying_party_id=rp_id).order_by("created_at", "id"))
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_id,
        user_id=_user_handle(user),
        user_name=user.username,
        challenge=challenge,
        timeout=REGISTRATION_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement(_user_verification(pool)),
        ),
        exclude_credentials=_descriptors(existing),
        supported_pub_key_algs=ALGORITHMS,
    )
    document = options_to_json_dict(options)
    # py_webauthn fills an empty display name with the username; Cognito leaves it empty.
    document["user"]["displayName"] = user.attributes.get("name", "")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one registration in progress a user
        WebAuthnChallenge.objects.filter(user=user).delete()
        WebAuthnChallenge.objects.create(
            user=user,
            challenge=bytes_to_base64url(challenge),
            relying_party_id=rp_id,
            expires_at=timezone.now() + REGISTRATION_VALIDITY,
        )
    return document


def _pending_spend(user: User) -> WebAuthnChallenge:
    """Take (delete, committed) the user's registration in progress: a credential gets one
    try at it. Raises WebAuthnChallengeNotFoundException when there is none, it expired,
    or a concurrent request took it first."""
    with transaction.atomic():
        pending = WebAuthnChallenge.objects.filter(user=user).order_by("-created_at", "-id").first()
        if pending is None or not WebAuthnChallenge.objects.filter(pk=pending.pk).delete()[0]:
            raise WebAuthnChallengeNotFound("No passkey registration is in progress; call StartWebAuthnRegistration.")
    if pending.expires_at <= timezone.now():
        raise WebAuthnChallengeNotFound("The passkey registration challenge has expired.")
    return pending


def _client_data(raw: bytes, expected_type: str) -> CollectedClientData:
    try:
        client_data = parse_client_data_json(raw)
    except _MALFORMED:
        raise InvalidParameter("response.clientDataJSON is not the client data of a WebAuthn ceremony.") from None
    if client_data.type != expected_type:
        raise InvalidParameter(f"response.clientDataJSON is for {client_data.type!r}, not {expected_type!r}.")
    return client_data


def registration_complete(ctx: ServiceContext, user: User, credential: dict[str, Any] | str) -> WebAuthnCredential:
    """CompleteWebAuthnRegistration: verify ``credential`` (a RegistrationResponseJSON)
    against the user's registration in progress and store the passkey.

    Raises WebAuthnNotEnabledException; WebAuthnChallengeNotFoundException (nothing in
    progress, expired, or the credential answers another challenge);
    WebAuthnOriginNotAllowedException; WebAuthnRelyingPartyMismatchException (signed for
    another relying party, or the pool's changed since the start);
    WebAuthnCredentialNotSupportedException (an algorithm other than ES256 and RS256, an
    unreadable key, or no user verification where it is required); InvalidParameterException
    (not a credential, an attestation that does not verify, a passkey already registered);
    LimitExceededException.
    """
    pool = user.pool
    if not passkeys_enabled(pool):
        raise WebAuthnNotEnabled("Passkeys (WEB_AUTHN) are not enabled for this user pool.")
    # Before the challenge is spent: SDKs retry LimitExceededException, and the retry
    # should meet the same answer.
    _check_limit(user)
    pending = _pending_spend(user)
    try:
        parsed = parse_registration_credential_json(credential)
    except _MALFORMED:
        raise InvalidParameter("Credential is not a RegistrationResponseJSON public-key credential.") from None
    client_data = _client_data(parsed.response.client_data_json, ClientDataType.WEBAUTHN_CREATE)
    if client_data.challenge != base64url_to_bytes(pending.challenge):
        raise WebAuthnChallengeNotFound("The credential answers a challenge this user pool did not issue.")
    rp_id = relying_party_id(pool)
    if rp_id != pending.relying_party_id:
        raise WebAuthnRelyingPartyMismatch("The user pool's relying party ID changed during the registration.")
    if not origin_allowed(client_data.origin, rp_id):
        raise WebAuthnOriginNotAllowed(f"Origin {client_data.origin!r} is not allowed for relying party {rp_id}.")
    try:
        auth_data = parse_attestation_object(parsed.response.attestation_object).auth_data
    except _MALFORMED:
        raise InvalidParameter("response.attestationObject is not a WebAuthn attestation object.") from None
    if auth_data.rp_id_hash != _rp_id_hash(rp_id):
        raise WebAuthnRelyingPartyMismatch(f"The credential was created for another relying party than {rp_id}.")
    required = _user_verification(pool) == "required"
    if required and not auth_data.flags.uv:
        raise WebAuthnCredentialNotSupported("This user pool requires passkeys that verify the user.")
    attested = auth_data.attested_credential_data
    if attested is None:
        raise InvalidParameter("The attestation carries no credential.")
    try:
        algorithm = decode_credential_public_key(attested.credential_public_key).alg
    except _MALFORMED:
        raise WebAuthnCredentialNotSupported("The credential's public key cannot be read.") from None
    if algorithm not in ALGORITHMS:
        raise WebAuthnCredentialNotSupported("Passkeys must use ES256 or RS256 keys.")
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=client_data.challenge,
            expected_rp_id=rp_id,
            expected_origin=client_data.origin,
            require_user_verification=required,
            supported_pub_key_algs=ALGORITHMS,
        )
    except _MALFORMED:
        raise InvalidParameter("The passkey's attestation could not be verified.") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if len(credential_id) > WebAuthnCredential._meta.get_field("credential_id").max_length:
        raise WebAuthnCredentialNotSupported("The credential ID is longer than Cognate stores.")
    attachment = parsed.authenticator_attachment.value if parsed.authenticator_attachment else ""
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()  # serializes a user's registrations
            _check_limit(user)
            record = WebAuthnCredential.objects.create(
                pool=pool,
                user=user,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                relying_party_id=rp_id,
                friendly_name=PROVIDERS.get(verified.aaguid, DEFAULT_NAME),
                transports=[t.value for t in parsed.response.transports or []],
                authenticator_attachment=attachment,
                aaguid=verified.aaguid,
            )
            audit_record(
                ctx,
                "webauthn.register",
                pool_id=pool.id,
                target=user.username,
                credential_id=credential_id,
                relying_party_id=rp_id,
            )
    except IntegrityError:
        raise InvalidParameter("This passkey is already registered.") from None
    return record


# --- The user's passkeys -----------------------------------------------------------------------


def credentials_list(
    *,
    user: User,
    max_results: int | None = None,
    next_token: str | None = None,
) -> Page[WebAuthnCredential]:
    """ListWebAuthnCredentials: the user's passkeys (every relying party's), oldest first,
    ``max_results`` a page (0 or absent: :data:`PAGE_SIZE`). Raises InvalidParameterException
    for a NextToken this listing did not issue."""
    return paginate(
        WebAuthnCredential.objects.filter(user=user),
        order=("created_at", "id"),
        limit=max_results or PAGE_SIZE,
        token=next_token,
    )


def credential_delete(ctx: ServiceContext, user: User, credential_id: str) -> None:
    """DeleteWebAuthnCredential: forget one of ``user``'s passkeys. Raises
    ResourceNotFoundException for an id that is not one of theirs."""
    with transaction.atomic():
        deleted, _ = WebAuthnCredential.objects.filter(user=user, credential_id=credential_id).delete()
        if not deleted:
            raise ResourceNotFound("The user has no passkey with this credential ID.")
        audit_record(
            ctx, "webauthn.delete", pool_id=user.pool_id or "", target=user.username, credential_id=credential_id
        )


# --- Sign-in (the WEB_AUTHN challenge) ---------------------------------------------------------


def user_has_passkeys(user: User) -> bool:
    """Whether ``user`` can sign in with a passkey now: the pool offers passkeys and the
    user registered one for the pool's current relying party."""
    pool = user.pool
    if not passkeys_enabled(pool):
        return False
    rp_id = relying_party_id(pool)
    return rp_id is not None and WebAuthnCredential.objects.filter(user=user, relying_party_id=rp_id).exists()


def authentication_options(user: User | None, client: AppClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The WEB_AUTHN challenge: (the CREDENTIAL_REQUEST_OPTIONS document, a
    PublicKeyCredentialRequestOptionsJSON that the caller sends JSON-encoded; the state to
    keep server-side for :func:`authentication_verify`).

    ``allowCredentials`` lists the user's passkeys for the pool's relying party; an unknown
    user (``None``) gets an empty list, and verification then always fails. Raises
    InvalidUserPoolConfigurationException when the pool has no relying party ID.
    """
    pool = client.pool
    rp_id = relying_party_id(pool)
    if rp_id is None:
        raise InvalidUserPoolConfiguration("The user pool has no relying party ID for passkeys.")
    credentials = (
        []
        if user is None
        else list(WebAuthnCredential.objects.filter(user=user, relying_party_id=rp_id).order_by("created_at", "id"))
    )
    verification = _user_verification(pool)
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=AUTHENTICATION_TIMEOUT_MS,
        allow_credentials=_descriptors(credentials),
        user_verification=UserVerificationRequirement(verification),
    )
    # Cognito's document carries WebAuthn Level 3's hints and attestation members too.
    document = {"hints": [], "attestation": "none", "attestationFormats": [], **options_to_json_dict(options)}
    state = {"challenge": bytes_to_base64url(challenge), "rp_id": rp_id, "user_verification": verification}
    return document, state


def authentication_verify(
    ctx: ServiceContext, user: User | None, client: AppClient, state: Mapping[str, Any], credential_json: str
) -> WebAuthnCredential:
    """Verify the WEB_AUTHN challenge's CREDENTIAL (an AuthenticationResponseJSON, as a JSON
    string) against ``state`` from :func:`authentication_options`; record the new signature
    counter and ``last_used_at``.

    Returns the passkey, with a transient ``user_verified`` attribute (whether the
    authenticator verified the user: MULTI_FACTOR_WITH_USER_VERIFICATION's condition).
    Raises InvalidParameterException for a CREDENTIAL that is not a credential, and
    NotAuthorizedException for every failed verification. The caller spends ``state``: a
    challenge must answer once.
    """
    try:
        parsed = parse_authentication_credential_json(credential_json)
    except _MALFORMED:
        raise InvalidParameter("CREDENTIAL is not an AuthenticationResponseJSON public-key credential.") from None
    if user is None:
        raise NotAuthorized(SIGN_IN_FAILED)
    rp_id = state["rp_id"]
    required = state.get("user_verification") == "required"
    with transaction.atomic():
        record = (
            WebAuthnCredential.objects.select_for_update()
            .filter(user=user, credential_id=parsed.id, relying_party_id=rp_id)
            .first()
        )
        if record is None:
            raise NotAuthorized(SIGN_IN_FAILED)
        try:
            client_data = parse_client_data_json(parsed.response.client_data_json)
        except _MALFORMED:
            raise NotAuthorized(SIGN_IN_FAILED) from None
        if not origin_allowed(client_data.origin, rp_id):
            raise NotAuthorized(SIGN_IN_FAILED)
        handle = parsed.response.user_handle
        if handle is not None and handle != _user_handle(user):
            raise NotAuthorized(SIGN_IN_FAILED)
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=base64url_to_bytes(state["challenge"]),
                expected_rp_id=rp_id,
                expected_origin=client_data.origin,
                credential_public_key=bytes(record.public_key),
                credential_current_sign_count=record.sign_count,
                require_user_verification=required,
            )
        except _MALFORMED:
            raise NotAuthorized(SIGN_IN_FAILED) from None
        record.sign_count = verified.new_sign_count
        record.last_used_at = timezone.now()
        record.save(update_fields=["sign_count", "last_used_at"])
    record.user_verified = verified.user_verified  # type: ignore[attr-defined]
    return record


def authentication_options_json(options: Mapping[str, Any]) -> str:
    """CREDENTIAL_REQUEST_OPTIONS as the challenge parameter carries it (a JSON string)."""
    return json.dumps(options, separators=(",", ":"))
