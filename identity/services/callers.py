"""Callers of the signed API: who they are (SigV4) and what they may do (IAM-style policy).

One verifier and one evaluator serve operator access keys now and identity-pool
temporary credentials later (F6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from identity import policy as iam
from identity import sigv4
from identity.models import AccessKey
from userpools import ids
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.crypto import decrypt
from userpools.errors import AccessDenied, ErrorCode, InvalidParameter, ResourceNotFound, ServiceError
from userpools.models import User
from userpools.services.audit import audit_record

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    access_key_id: str
    operator_id: int
    operator: str
    policies: tuple[dict, ...]

    @property
    def actor(self) -> str:
        return f"key:{self.access_key_id}"


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


_KEY_FIELDS = ("pk", "access_key_id", "secret_token", "is_active", "policy", "last_used_at",
               "operator_id", "operator__username", "operator__is_active")  # fmt: skip
# Key records are cached (in Redis when REDIS_URL is set, so every process sees an
# invalidation at once) and dropped whenever a key or its operator changes; the TTL
# only bounds how long a record lives.
KEY_CACHE_SECONDS = 300


def _cache_key(access_key_id: str) -> str:
    return f"cognate:accesskey:{access_key_id}"


def access_key_cache_clear(*access_key_ids: str) -> None:
    cache.delete_many([_cache_key(k) for k in access_key_ids])


def _key_record(access_key_id: str) -> _KeyRecord | None:
    """The key as the hot path needs it: from the cache, else one lean query."""
    record = cache.get(_cache_key(access_key_id))
    if record is not None:
        return record
    rows = (
        AccessKey.objects.filter(access_key_id=access_key_id)
        .order_by()
        # The raw column: the secret stays encrypted in the cache.
        .annotate(secret_token=Cast("secret_access_key", TextField()))
        .values_list(*_KEY_FIELDS)[:1]
    )
    row = next(iter(rows), None)
    if row is None:
        return None
    record = _KeyRecord(*row)
    cache.set(_cache_key(access_key_id), record, KEY_CACHE_SECONDS)
    return record


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
        raise ServiceError(f"Credential should be scoped to correct service: '{service}'.",
                           code=ErrorCode.INVALID_SIGNATURE)  # fmt: skip
    key = _key_record(credential.access_key_id)
    if key is None:
        raise ServiceError("The security token included in the request is invalid.", code=ErrorCode.UNRECOGNIZED_CLIENT)
    try:
        sigv4.verify(
            request,
            decrypt(key.secret_token),
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
        cache.set(_cache_key(key.access_key_id), replace(key, last_used_at=now), KEY_CACHE_SECONDS)
    return Caller(access_key_id=key.access_key_id, operator_id=key.operator_id, operator=key.operator, policies=(key.policy,))


def caller_authorize(caller: Caller, *, action: str, resource: str) -> None:
    """Raise AccessDeniedException unless the caller's policies allow ``action`` on ``resource``."""
    decision = iam.evaluate(caller.policies, action=action, resource=resource, context={"aws:username": caller.operator})
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
    key = AccessKey(access_key_id=ids.new_access_key_id(), secret_access_key=secret, operator=operator,
                    description=description)  # fmt: skip
    if document is not None:
        key.policy = document
    key.save()
    audit_record(ctx, "access_key.create", target=key.access_key_id, operator=operator.username)
    return NewAccessKey(key, secret)


@transaction.atomic
def access_key_set_active(ctx: ServiceContext, *, access_key_id: str, active: bool) -> None:
    updated = AccessKey.objects.filter(access_key_id=access_key_id).update(is_active=active)
    transaction.on_commit(lambda: access_key_cache_clear(access_key_id))
    if not updated:
        raise ResourceNotFound(f"Access key {access_key_id} does not exist.")
    audit_record(ctx, "access_key.activate" if active else "access_key.deactivate", target=access_key_id)


@transaction.atomic
def access_key_set_policy(ctx: ServiceContext, *, access_key_id: str, policy: dict | str) -> None:
    document = _valid_policy(policy)
    updated = AccessKey.objects.filter(access_key_id=access_key_id).update(policy=document)
    transaction.on_commit(lambda: access_key_cache_clear(access_key_id))
    if not updated:
        raise ResourceNotFound(f"Access key {access_key_id} does not exist.")
    audit_record(ctx, "access_key.set_policy", target=access_key_id)
