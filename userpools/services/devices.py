"""Remembered devices: the pool's DeviceConfiguration, device keys issued at sign-in,
ConfirmDevice, device authentication (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) and the
device operations (Get/List/Forget/UpdateDeviceStatus and their Admin variants).

Cognito's rules kept here (Developer Guide, "Working with user devices in your user pool";
API reference, DeviceConfigurationType, ConfirmDevice, GetDevice, ListDevices,
UpdateDeviceStatus):

* Device tracking is on when the pool has a DeviceConfiguration with any member set.
  Then every sign-in that names no device of the user (``DEVICE_KEY`` in the
  AuthParameters or in the PASSWORD_VERIFIER responses) ends with ``NewDeviceMetadata``
  in its AuthenticationResult: a new device key (``{region}_{uuid}``) and group key. The
  device stays unconfirmed, and invisible, until the signed-in user confirms it with
  ConfirmDevice and the device's SRP verifier.
* ConfirmDevice remembers the device at once, unless ``DeviceOnlyRememberedOnUserPrompt``
  is true: then ``UserConfirmationNecessary`` is true and the app asks the user, then
  calls UpdateDeviceStatus. ``not_remembered`` turns device authentication off without
  forgetting the device. Confirming a device twice is a DeviceKeyExistsException.
* A sign-in that names a remembered device proves the device with SRP in the device's
  realm (:mod:`userpools.srp`): DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER, last
  before tokens, after any MFA challenge (the SDKs expect tokens right after the device's
  proof: amazon-cognito-identity-js answers DEVICE_SRP_AUTH after an MFA code too). With
  ``ChallengeRequiredOnNewDevice`` true a remembered device replaces the second factor,
  so MFA is not asked; devices not confirmed or not remembered never skip MFA.
* A ``DEVICE_KEY`` that names no confirmed device of the user is a
  ResourceNotFoundException ("Device does not exist."), answered before the PASSWORD_VERIFIER
  session is spent: amazon-cognito-identity-js then forgets its device and retries the
  same claim without one.
* GetDevice and ListDevices (the user's own) show remembered devices only; the Admin
  variants show every confirmed device, with its remembered status in
  ``dev:device_remembered_status``.

The challenge classes follow :class:`userpools.signin.challenges.Challenge`'s protocol (name,
applies, parameters, prepare, respond) without subclassing it, since the sign-in package
imports this one for its CHALLENGES list (and this one imports nothing of it: :class:`SignIn`
below says what it reads of a sign-in).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import string
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Protocol

from django.db import transaction
from django.utils import timezone

from userpools import crypto, srp
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.errors import DeviceKeyExists, InvalidParameter, NotAuthorized, ResourceNotFound, UserNotFound
from userpools.models import AppClient, User, UserDevice, UserPool
from userpools.services import directory, users
from userpools.services.audit import audit_record
from userpools.services.pagination import Page, paginate

DEVICE_MISSING = "Device does not exist."
INCORRECT = "Incorrect username or password."
INVALID_REFRESH = "Invalid Refresh Token"
WRONG_DEVICE = "The DEVICE_KEY is not the device this sign-in started with."
NOT_REMEMBERED = "The device is no longer remembered."
TIMESTAMP_FORMAT = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
STATUSES = ("remembered", "not_remembered")
DEFAULT_LIMIT = 60  # ListDevices' Limit: 0-60 in the model
GROUP_KEY_CHARS = 9
UNCONFIRMED_KEPT = timedelta(days=1)  # an SDK confirms a new device right after the sign-in
_CTX_KEY = "device_key"  # where the request's DEVICE_KEY rides in ServiceContext.extra
_ALNUM = string.ascii_letters + string.digits


class SignIn(Protocol):
    """What device authentication reads and keeps of a sign-in (userpools/signin/state.py's SignIn)."""

    ctx: ServiceContext
    client: AppClient
    user: User
    state: dict[str, Any]


# --- Configuration and keys ---------------------------------------------------------------------


def tracking(pool: UserPool) -> dict[str, Any] | None:
    """The pool's DeviceConfiguration if it turns device tracking on (any member set), else None."""
    config = pool.settings.get("DeviceConfiguration")
    return config if isinstance(config, dict) and config else None


def _new_device_key(pool: UserPool) -> str:
    """``{region}_{uuid}``: the region is the pool id's prefix (DeviceKeyType ``[\\w-]+_[0-9a-f-]+``)."""
    return f"{pool.id.split('_', 1)[0]}_{uuid.uuid4()}"


def _new_group_key() -> str:
    return "-" + "".join(secrets.choice(_ALNUM) for _ in range(GROUP_KEY_CHARS))


def _verifier_read(device: UserDevice) -> tuple[str, int]:
    salt, _, sealed = device.verifier.partition("$")
    return salt, int(crypto.decrypt(sealed), 16)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _confirmed(user: User, device_key: str | None) -> UserDevice | None:
    """``user``'s confirmed device ``device_key``, if there is one."""
    if not device_key:
        return None
    return UserDevice.objects.filter(user=user, device_key=device_key, confirmed=True).first()


# --- Sign-in ------------------------------------------------------------------------------------


def device_key_carry(ctx: ServiceContext, values: Mapping[str, str]) -> ServiceContext:
    """``ctx`` carrying the request's DEVICE_KEY (AuthParameters or ChallengeResponses) to the
    sign-in's first step after the password, where :func:`sign_in_device_resolve` reads it."""
    key = values.get("DEVICE_KEY")
    if not key:
        return ctx
    return dataclasses.replace(ctx, extra={**ctx.extra, _CTX_KEY: key})


def sign_in_device_check(client: AppClient, username: str, device_key: str | None) -> None:
    """Before a PASSWORD_VERIFIER claim spends its session: a DEVICE_KEY must name a confirmed
    device of the user USERNAME names, else ResourceNotFoundException, so that the client
    can retry the same claim without it (amazon-cognito-identity-js does)."""
    if not device_key or tracking(client.pool) is None:
        return
    user = users.user_find(client.pool, username)
    if user is None or _confirmed(user, device_key) is None:
        raise ResourceNotFound(DEVICE_MISSING)


def sign_in_device_resolve(sign_in: SignIn) -> None:
    """At the sign-in's first step after the password: which device it names, and whether
    that device will be authenticated (remembered) and so replace MFA.

    Sets ``device_key`` in the sign-in's state (None: no device); for a remembered device
    ``device_auth``, and ``mfa_done`` when the pool's ChallengeRequiredOnNewDevice lets a
    remembered device stand in for the second factor. That is safe before the device is
    proven: DEVICE_PASSWORD_VERIFIER must still be passed before tokens are issued.
    Raises ResourceNotFoundException for a DEVICE_KEY that names no confirmed device of the user.
    """
    state = sign_in.state
    if "device_key" in state:
        return
    state["device_key"] = None
    config = tracking(sign_in.client.pool)
    key = sign_in.ctx.extra.get(_CTX_KEY)
    if config is None or not key:
        return
    device = _confirmed(sign_in.user, key)
    if device is None:
        raise ResourceNotFound(DEVICE_MISSING)
    state["device_key"] = key
    if device.remembered:
        state["device_auth"] = True
        if config.get("ChallengeRequiredOnNewDevice"):
            state["mfa_done"] = True


def sign_in_complete(sign_in: SignIn) -> dict[str, str] | None:
    """When a sign-in gets its tokens: the device it named is marked authenticated now; in a
    pool that tracks devices, a sign-in that named none gets a new, unconfirmed device,
    whose NewDeviceMetadata is returned."""
    now, ip = timezone.now(), (sign_in.ctx.source_ip or "")[:128]
    key = sign_in.state.get("device_key")
    if key:
        UserDevice.objects.filter(user=sign_in.user, device_key=key).update(last_authenticated_at=now, last_ip=ip)
        return None
    pool = sign_in.client.pool
    if tracking(pool) is None:
        return None
    device = UserDevice.objects.create(
        pool=pool,
        user=sign_in.user,
        device_key=_new_device_key(pool),
        group_key=_new_group_key(),
        last_authenticated_at=now,
        last_ip=ip,
    )
    return {"DeviceKey": device.device_key, "DeviceGroupKey": device.group_key}


def refresh_device_check(client: AppClient, owner: User | None, device_key: str) -> None:
    """REFRESH_TOKEN_AUTH with a DEVICE_KEY: it must name a confirmed device of the token's
    holder, else NotAuthorizedException ("Invalid Refresh Token"), as Cognito answers for a
    device that was never confirmed or has been forgotten."""
    if tracking(client.pool) is None or owner is None:
        return
    if _confirmed(owner, device_key) is None:
        raise NotAuthorized(INVALID_REFRESH)


def _device_for_answer(sign_in: SignIn, responses: Mapping[str, str]) -> UserDevice:
    """The remembered device a DEVICE_SRP_AUTH or DEVICE_PASSWORD_VERIFIER answer is for."""
    key = responses.get("DEVICE_KEY")
    if not key:
        raise InvalidParameter("Missing required parameter DEVICE_KEY")
    if key != sign_in.state.get("device_key"):
        raise NotAuthorized(WRONG_DEVICE)
    device = _confirmed(sign_in.user, key)
    if device is None:  # forgotten since the sign-in began
        raise ResourceNotFound(DEVICE_MISSING)
    if not device.remembered:
        raise NotAuthorized(NOT_REMEMBERED)
    return device


class DeviceSrpAuth:
    """DEVICE_SRP_AUTH: the sign-in named a remembered device; the client starts SRP in the
    device's realm with USERNAME, DEVICE_KEY and SRP_A."""

    name: ClassVar[str] = "DEVICE_SRP_AUTH"

    def applies(self, sign_in: SignIn) -> bool:
        return bool(sign_in.state.get("device_auth")) and not sign_in.state.get("device_done")

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {"USERNAME": sign_in.user.username, "DEVICE_KEY": sign_in.state["device_key"]}

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        _device_for_answer(sign_in, responses)
        srp_a = responses.get("SRP_A")
        if not srp_a:
            raise InvalidParameter("Missing required parameter SRP_A")
        try:
            big_a = srp.parse_public(srp_a)
        except srp.SrpError as exc:
            raise InvalidParameter(str(exc)) from None
        sign_in.state["device_srp_a"] = f"{big_a:x}"


class DevicePasswordVerifier:
    """DEVICE_PASSWORD_VERIFIER: the device's SRP proof (SALT, SRP_B, SECRET_BLOCK issued here;
    the client answers PASSWORD_CLAIM_SIGNATURE, PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP and
    DEVICE_KEY). The session keeps a digest of the secret block, to match the block the client
    echoes back, and the server's ephemeral b, random and encrypted (userpools/srp.py)."""

    name: ClassVar[str] = "DEVICE_PASSWORD_VERIFIER"

    def applies(self, sign_in: SignIn) -> bool:
        state = sign_in.state
        return bool(state.get("device_auth")) and "device_srp_a" in state and not state.get("device_done")

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        key = sign_in.state["device_key"]
        device = _confirmed(sign_in.user, key)
        if device is None:
            raise ResourceNotFound(DEVICE_MISSING)
        salt, verifier = _verifier_read(device)
        block = srp.secret_block_new()
        b = srp.ephemeral_new()  # random and server-side only (userpools/srp.py): never from the block
        big_b = srp.server_public(verifier, b)
        sign_in.state.update(
            device_srp_b=f"{big_b:x}", device_srp_secret=srp.ephemeral_seal(b), device_block=_digest(block)
        )
        return {
            "SALT": salt,
            "SRP_B": f"{big_b:x}",
            "SECRET_BLOCK": block,
            "USERNAME": sign_in.user.username,
            "DEVICE_KEY": key,
        }

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        device = _device_for_answer(sign_in, responses)
        moment = srp.timestamp_parse(responses.get("TIMESTAMP"))
        if moment is None:
            raise InvalidParameter(TIMESTAMP_FORMAT)
        state, block = sign_in.state, responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or ""
        matched = False
        if (
            hmac.compare_digest(_digest(block), state.get("device_block", ""))
            and abs(timezone.now() - moment) <= srp.TIMESTAMP_SKEW
        ):
            salt, verifier = _verifier_read(device)
            try:
                key = srp.session_key(
                    big_a=int(state["device_srp_a"], 16),
                    big_b=int(state["device_srp_b"], 16),
                    verifier=verifier,
                    b=srp.ephemeral_open(state.get("device_srp_secret")),
                )
                expected = srp.claim_signature(
                    key,
                    realm=device.group_key,
                    user_id=device.device_key,
                    secret_block=block,
                    timestamp=responses["TIMESTAMP"],
                )
            except (srp.SrpError, ValueError):
                expected = ""
            matched = bool(expected) and srp.signature_matches(expected, responses.get("PASSWORD_CLAIM_SIGNATURE"))
        if not matched:
            raise NotAuthorized(INCORRECT)
        state["device_done"] = True
        audit_record(
            sign_in.ctx,
            "user.device_authenticated",
            pool_id=sign_in.client.pool_id,
            target=sign_in.user.username,
            device=device.device_key,
        )


CHALLENGES = (DeviceSrpAuth(), DevicePasswordVerifier())
"""Device authentication's two steps, in order, for the sign-in's CHALLENGES list (last)."""


# --- Operations ---------------------------------------------------------------------------------


def _owned(
    user: User, device_key: str, *, remembered_only: bool = False, lock: bool = False, confirmed_only: bool = True
) -> UserDevice:
    """``user``'s confirmed device ``device_key`` (remembered, if asked); ResourceNotFoundException otherwise."""
    rows = UserDevice.objects.select_related("user").filter(user=user, device_key=device_key)
    if confirmed_only:
        rows = rows.filter(confirmed=True)
    if remembered_only:
        rows = rows.filter(remembered=True)
    if lock:
        rows = rows.select_for_update(of=("self",))
    device = rows.first()
    if device is None:
        raise ResourceNotFound(DEVICE_MISSING)
    return device


def device_confirm(
    ctx: ServiceContext,
    *,
    user: User,
    device_key: str,
    verifier_config: Mapping[str, str] | None,
    name: str | None = None,
) -> bool:
    """ConfirmDevice: the signed-in ``user`` confirms a device key a sign-in of theirs was
    issued, with the device's SRP salt and verifier. Returns UserConfirmationNecessary: true
    when the pool remembers devices only on the user's prompt (then the device is not
    remembered yet), false when it was remembered now.

    Raises ResourceNotFoundException (no such device of the user), DeviceKeyExistsException
    (already confirmed), InvalidParameterException (DeviceSecretVerifierConfig missing or not
    an SRP salt and verifier).
    """
    config = verifier_config or {}
    try:
        salt, verifier = srp.device_verifier_parse(config.get("Salt"), config.get("PasswordVerifier"))
    except srp.SrpError as exc:
        raise InvalidParameter(f"Invalid DeviceSecretVerifierConfig: {exc}") from None
    prompt = bool((tracking(user.pool) or {}).get("DeviceOnlyRememberedOnUserPrompt"))
    with transaction.atomic():
        device = UserDevice.objects.select_for_update().filter(user=user, device_key=device_key).first()
        if device is None:
            raise ResourceNotFound(DEVICE_MISSING)
        if device.confirmed:
            raise DeviceKeyExists("Device key already exists.")
        device.verifier = f"{salt}${crypto.encrypt(f'{verifier:x}')}"
        device.name = name or ""
        device.confirmed, device.remembered = True, not prompt
        if ctx.source_ip:
            device.last_ip = ctx.source_ip[:128]
        device.save(update_fields=["verifier", "name", "confirmed", "remembered", "last_ip", "updated_at"])
        audit_record(
            ctx,
            "user.device_confirm",
            pool_id=user.pool_id,
            target=user.username,
            device=device_key,
            remembered=device.remembered,
        )
    return prompt


def device_get(*, user: User, device_key: str) -> UserDevice:
    """GetDevice: the signed-in user's remembered device; ResourceNotFoundException otherwise."""
    return _owned(user, device_key, remembered_only=True)


def _listed_user(pool_id: str, username: str) -> User:
    """The user AdminGetDevice or AdminListDevices names: their model lists no
    UserNotFoundException, so an unknown user is a ResourceNotFoundException there."""
    try:
        return directory.user_admin_get(pool_id=pool_id, username=username)
    except UserNotFound as exc:
        raise ResourceNotFound(exc.message) from None


def device_admin_get(*, pool_id: str, username: str, device_key: str) -> UserDevice:
    """AdminGetDevice: any confirmed device of the user, remembered or not."""
    return _owned(_listed_user(pool_id, username), device_key)


def _page(user: User, *, limit: int | None, token: str | None, remembered_only: bool) -> Page[UserDevice]:
    rows = UserDevice.objects.select_related("user").filter(user=user, confirmed=True)
    if remembered_only:
        rows = rows.filter(remembered=True)
    return paginate(rows, order=("created_at", "id"), limit=limit or DEFAULT_LIMIT, token=token)


def devices_list(*, user: User, limit: int | None = None, token: str | None = None) -> Page[UserDevice]:
    """ListDevices: the signed-in user's remembered devices, oldest first, ``limit`` (at most 60) a page."""
    return _page(user, limit=limit, token=token, remembered_only=True)


def devices_admin_list(
    *, pool_id: str, username: str, limit: int | None = None, token: str | None = None
) -> Page[UserDevice]:
    """AdminListDevices: every confirmed device of the user."""
    user = _listed_user(pool_id, username)
    return _page(user, limit=limit, token=token, remembered_only=False)


def device_forget(ctx: ServiceContext, *, user: User, device_key: str, confirmed_only: bool = True) -> None:
    """ForgetDevice / AdminForgetDevice: the device is deleted; signing in with its key is a
    ResourceNotFoundException from now on, and MFA is asked again. The API knows confirmed
    devices only; the admin console passes ``confirmed_only=False`` to delete any."""
    with transaction.atomic():
        device = _owned(user, device_key, lock=True, confirmed_only=confirmed_only)
        device.delete()
        audit_record(ctx, "user.device_forget", pool_id=user.pool_id, target=user.username, device=device_key)


def device_admin_forget(ctx: ServiceContext, *, pool_id: str, username: str, device_key: str) -> None:
    device_forget(ctx, user=directory.user_admin_get(pool_id=pool_id, username=username), device_key=device_key)


def device_status_update(ctx: ServiceContext, *, user: User, device_key: str, status: str | None) -> None:
    """UpdateDeviceStatus / AdminUpdateDeviceStatus: ``remembered`` turns device
    authentication on for the confirmed device, ``not_remembered`` off (it is kept)."""
    if status not in STATUSES:
        raise InvalidParameter("DeviceRememberedStatus must be remembered or not_remembered.")
    with transaction.atomic():
        device = _owned(user, device_key, lock=True)
        device.remembered = status == "remembered"
        device.save(update_fields=["remembered", "updated_at"])
        audit_record(
            ctx, "user.device_status", pool_id=user.pool_id, target=user.username, device=device_key, status=status
        )


def device_admin_status_update(
    ctx: ServiceContext, *, pool_id: str, username: str, device_key: str, status: str | None
) -> None:
    user = directory.user_admin_get(pool_id=pool_id, username=username)
    device_status_update(ctx, user=user, device_key=device_key, status=status)


def devices_unconfirmed_purge(*, older_than: timedelta = UNCONFIRMED_KEPT) -> int:
    """Delete devices handed out at sign-in and never confirmed, older than ``older_than``
    (every sign-in without a device key in a pool that tracks devices makes one); returns
    how many. For a periodic task."""
    deleted, _ = UserDevice.objects.filter(confirmed=False, created_at__lt=timezone.now() - older_than).delete()
    return deleted


def device_arn(device: UserDevice) -> str:
    """``dev:device_arn``: ``arn:aws:cognito-idp:{region}:{account}:owner/{owner}/device/{key}``."""
    region = device.pool_id.split("_", 1)[0]
    return (
        f"arn:aws:cognito-idp:{region}:{cognate_settings().ACCOUNT_ID}:owner/{device_owner(device)}"
        f"/device/{device.device_key}"
    )


def device_owner(device: UserDevice) -> str:
    """``dev:device_owner``: ``{username}.{pool id}``."""
    return f"{device.user.username}.{device.pool_id}"
