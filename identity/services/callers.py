"""Callers of the signed API: who they are (SigV4) and what they may do (IAM-style policy).

One verifier and one evaluator serve operator access keys (``AKIA...``, policy on the
key) and identity-pool temporary credentials (``ASIA...``, minted by the built-in broker
of GetCredentialsForIdentity: the secret, a matching ``X-Amz-Security-Token``, an expiry,
and the role's policy evaluated with the identity's condition keys).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from identity import policy as iam
from identity import sigv4
from identity.models import AccessKey, TemporaryCredential
from userpools import ids
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.crypto import decrypt
from userpools.errors import AccessDenied, ErrorCode, InvalidParameter, ResourceNotFound, ServiceError
from userpools.models import User
from userpools.services.audit import audit_record
from userpools.services.memo import On, ProcessCache

LAST_USED_RESOLUTION = timedelta(minutes=1)


TEMPORARY_KEY_PREFIX = "ASIA"  # AWS's prefix for temporary (STS) access key ids
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True)
class Caller:
    """Who signed a request. Operators: ``operator_id``/``operator`` and the key's policy.
    Identity-pool credentials: ``operator_id`` is None, ``identity_id``/``role_arn`` say
    who acts as what, ``policies`` is the role's, and ``context`` holds the condition keys
    its policy may read (``cognito-identity.amazonaws.com:sub|aud|amr``, ``aws:PrincipalTag/...``)."""

    access_key_id: str
    operator_id: int | None
    operator: str  # the principal's name in messages: operator username or assumed-role ARN
    policies: tuple[dict, ...]
    identity_id: str | None = None
    role_arn: str | None = None
    context: Mapping[str, str | list[str]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def actor(self) -> str:
        if self.identity_id is not None:
            return f"identity:{self.identity_id}"
        return f"key:{self.access_key_id}"

    @property
    def is_identity(self) -> bool:
        return self.identity_id is not None


@dataclass(frozen=True)
class _KeyRecord:
    pk: int
    access_key_id: str
    secret_token: str  # the Fernet token as stored; decrypted only to verify
    is_active: bool
    policy: dict
    last_used_at: datetime | None
    operator_id: int
    operator: str
    operator_active: bool


_KEY_FIELDS = (
    "pk",
    "access_key_id",
    "secret_token",
    "is_active",
    "policy",
    "last_used_at",
    "operator_id",
    "operator__username",
    "operator__is_active",
)
# Each process keeps the key records it read from the database for KEY_PROCESS_SECONDS, so
# a signed request makes no query for its key: a change (deactivation, new policy, operator
# disabled) clears the changing process's copies when it commits (userpools.services.memo)
# and the other processes' within that many seconds, when they read the row again (AWS, too, says changes to IAM
# credentials take a moment to propagate). There is no longer-lived shared tier: the row
# itself is the only copy other processes read, so no process can put back a record that
# a change has just superseded (a cache filled from a read made before the change, or from
# a process's older copy, would keep a deactivated key working for the cache's lifetime),
# and a busy key costs each process one indexed query every KEY_PROCESS_SECONDS.
KEY_PROCESS_SECONDS = 2.0


def _operator_key_ids(user: User) -> list[str]:
    """The keys whose records a saved or deleted user row changes: an operator's (only
    operators hold keys; a pool user's save costs no query)."""
    if user.pool_id is not None:
        return []
    return list(AccessKey.objects.filter(operator_id=user.pk).values_list("access_key_id", flat=True))


_records: ProcessCache[str, _KeyRecord] = ProcessCache(
    "access-keys",
    KEY_PROCESS_SECONDS,
    invalidated_by=(
        On("identity.AccessKey", keys=lambda key: [key.access_key_id]),
        On(settings.AUTH_USER_MODEL, keys=_operator_key_ids),
    ),
)
# Decrypted secrets, keyed by the stored token: a deleted or changed key's secret leaves memory.
_secrets: ProcessCache[str, str] = ProcessCache(
    "access-key-secrets", KEY_PROCESS_SECONDS, invalidated_by=("identity.AccessKey",)
)


class _NoSuchKey(Exception):
    """An unknown key id: not kept in process memory, so a key made elsewhere works at once."""


def access_key_records_forget_on_commit(*access_key_ids: str) -> None:
    """Forget this process's records of these keys once the transaction commits (other
    processes' expire within KEY_PROCESS_SECONDS): for changes that send no signal."""
    _records.clear_on_commit(*access_key_ids)


def _key_record(access_key_id: str) -> _KeyRecord | None:
    """The key as the hot path needs it: from this process's memory, else one lean query."""
    try:
        return _records.get(access_key_id, _key_record_load)
    except _NoSuchKey:
        return None


def _key_secret(key: _KeyRecord) -> str:
    """The key's secret, decrypted once per stored token while this process keeps its record
    (decrypting cost a sixth of a signed request's CPU). Keyed by the token, so a new
    secret is decrypted afresh; the process can decrypt every secret anyway."""
    return _secrets.get(key.secret_token, decrypt)


def _key_record_load(access_key_id: str) -> _KeyRecord:
    rows = (
        AccessKey.objects.filter(access_key_id=access_key_id)
        .order_by()
        # The raw column: the secret stays encrypted in the record (decrypted by _key_secret).
        .annotate(secret_token=Cast("secret_access_key", TextField()))
        .values_list(*_KEY_FIELDS)[:1]
    )
    row = next(iter(rows), None)
    if row is None:
        raise _NoSuchKey(access_key_id)
    return _KeyRecord(*row)


def caller_authenticate(request: sigv4.SignedRequest, *, service: str | None = None) -> Caller:
    """Check a SigV4 signature made with an operator access key.

    ``service`` is the signing name the credential scope must carry (``cognito-idp`` ...),
    as AWS requires; the scope's region is not checked, since a pool id's region prefix
    is all the SDKs derive their region from.

    Raises ServiceError with MissingAuthenticationTokenException, IncompleteSignatureException,
    UnrecognizedClientException, InvalidSignatureException (wrong signature or clock skew)
    or AccessDeniedException (key inactive, operator disabled).
    """
    try:
        credential = sigv4.require_authorization(request)
    except sigv4.SigV4Error as exc:
        raise ServiceError(exc.message, code=ErrorCode(exc.code)) from None
    if service is not None and credential.service != service:
        raise ServiceError(
            f"Credential should be scoped to correct service: '{service}'.", code=ErrorCode.INVALID_SIGNATURE
        )
    if credential.access_key_id.startswith(TEMPORARY_KEY_PREFIX):
        return _temporary_authenticate(request, credential)
    key = _key_record(credential.access_key_id)
    if key is None:
        raise ServiceError("The security token included in the request is invalid.", code=ErrorCode.UNRECOGNIZED_CLIENT)
    try:
        sigv4.verify(
            request,
            _key_secret(key),
            max_skew=timedelta(seconds=cognate_settings().MAX_CLOCK_SKEW_SECONDS),
        )
    except sigv4.SigV4Error as exc:
        raise ServiceError(exc.message, code=ErrorCode(exc.code)) from None
    if not key.is_active:
        raise AccessDenied(f"The access key {key.access_key_id} is inactive.")
    if not key.operator_active:
        raise AccessDenied(f"The operator owning access key {key.access_key_id} is disabled.")
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        AccessKey.objects.filter(pk=key.pk).update(last_used_at=now)
        # Stamped, not refreshed: the entry keeps the age of the read it came from.
        _records.update(key.access_key_id, replace(key, last_used_at=now))
    return Caller(
        access_key_id=key.access_key_id, operator_id=key.operator_id, operator=key.operator, policies=(key.policy,)
    )


def _temporary_authenticate(request: sigv4.SignedRequest, credential: sigv4.Credential) -> Caller:
    """Built-in broker credentials: not cached, so that expiry and revocation (deleting the
    row, disabling the identity, deleting the role) take effect on the next request."""
    row = (
        TemporaryCredential.objects.filter(access_key_id=credential.access_key_id)
        .select_related("role", "identity")
        .only(
            "access_key_id",
            "secret_access_key",
            "session_token_hash",
            "identity__id",
            "identity__pool_id",
            "identity__disabled",
            "role__policy",
            "role__name",
            "role_arn",
            "principal_tags",
            "claims",
            "expires_at",
        )
        .first()
    )
    token = credential.session_token
    if row is None or not token:
        raise ServiceError(INVALID_TOKEN, code=ErrorCode.UNRECOGNIZED_CLIENT)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    if not hmac.compare_digest(token_hash.encode(), row.session_token_hash.encode()):
        raise ServiceError(INVALID_TOKEN, code=ErrorCode.UNRECOGNIZED_CLIENT)
    try:
        sigv4.verify(
            request, row.secret_access_key, max_skew=timedelta(seconds=cognate_settings().MAX_CLOCK_SKEW_SECONDS)
        )
    except sigv4.SigV4Error as exc:
        raise ServiceError(exc.message, code=ErrorCode(exc.code)) from None
    if row.expires_at <= timezone.now():
        raise ServiceError(EXPIRED_TOKEN, code=ErrorCode.EXPIRED_TOKEN)
    if row.identity.disabled:
        raise AccessDenied(f"Identity {row.identity.id} is disabled.")
    context: dict[str, str | list[str]] = dict(row.claims or {})
    context.update({f"aws:PrincipalTag/{k}": str(v) for k, v in (row.principal_tags or {}).items()})
    context["aws:PrincipalArn"] = row.role_arn
    role_name = row.role.name if row.role else row.role_arn.rsplit("/", 1)[-1]
    principal = f"arn:aws:sts::{cognate_settings().ACCOUNT_ID}:assumed-role/{role_name}/CognitoIdentityCredentials"
    policies = (row.role.policy,) if row.role and row.role.policy else ()
    return Caller(
        access_key_id=row.access_key_id,
        operator_id=None,
        operator=principal,
        policies=policies,
        identity_id=row.identity.id,
        role_arn=row.role_arn,
        context=context,
    )


def caller_authorize(
    caller: Caller, *, action: str, resource: str, context: Mapping[str, str | list[str]] | None = None
) -> None:
    """Raise AccessDeniedException unless the caller's policies allow ``action`` on ``resource``.

    ``context`` adds request condition keys (``aws:SourceIp`` ...) to the caller's own.
    A malformed stored policy allows nothing.
    """
    keys: dict[str, str | list[str]] = {"aws:username": caller.operator} if not caller.is_identity else {}
    keys.update(caller.context)
    keys.update(context or {})
    try:
        decision = iam.evaluate(caller.policies, action=action, resource=resource, context=keys)
    except iam.PolicyError:
        decision = iam.Decision.IMPLICIT_DENY
    if decision is iam.Decision.ALLOW:
        return
    prefix = f"User: {caller.operator} is not authorized to perform: {action} on resource: {resource}"
    if decision is iam.Decision.EXPLICIT_DENY:
        raise AccessDenied(f"{prefix} with an explicit deny in an identity-based policy")
    raise AccessDenied(f"{prefix} because no identity-based policy allows the {action} action")


def _valid_policy(policy: dict | str) -> dict:
    try:
        return iam.validate_policy(policy)
    except iam.PolicyError as exc:
        raise InvalidParameter(f"Invalid policy document: {exc}") from None


@dataclass(frozen=True)
class NewAccessKey:
    key: AccessKey
    secret_access_key: str


@transaction.atomic
def access_key_create(
    ctx: ServiceContext, *, operator: User, description: str = "", policy: dict | str | None = None
) -> NewAccessKey:
    """Create an access key for an operator; the secret is returned once and stored encrypted."""
    if not operator.is_operator:
        raise InvalidParameter("Access keys belong to operators (users in no pool).")
    document = _valid_policy(policy) if policy is not None else None
    secret = ids.new_secret_access_key()
    key = AccessKey(
        access_key_id=ids.new_access_key_id(), secret_access_key=secret, operator=operator, description=description
    )
    if document is not None:
        key.policy = document
    key.save()
    audit_record(ctx, "access_key.create", target=key.access_key_id, operator=operator.username)
    return NewAccessKey(key, secret)


@transaction.atomic
def access_key_set_active(ctx: ServiceContext, *, access_key_id: str, active: bool) -> None:
    updated = AccessKey.objects.filter(access_key_id=access_key_id).update(is_active=active)
    access_key_records_forget_on_commit(access_key_id)
    if not updated:
        raise ResourceNotFound(f"Access key {access_key_id} does not exist.")
    audit_record(ctx, "access_key.activate" if active else "access_key.deactivate", target=access_key_id)


@transaction.atomic
def access_key_set_policy(ctx: ServiceContext, *, access_key_id: str, policy: dict | str) -> None:
    document = _valid_policy(policy)
    updated = AccessKey.objects.filter(access_key_id=access_key_id).update(policy=document)
    access_key_records_forget_on_commit(access_key_id)
    if not updated:
        raise ResourceNotFound(f"Access key {access_key_id} does not exist.")
    audit_record(ctx, "access_key.set_policy", target=access_key_id)
