"""Multi-factor authentication: the pool's factors, a user's enabled ones, TOTP
authenticators and the one-time codes sent by SMS or e-mail during sign-in.

The rules kept here (API reference: SetUserPoolMfaConfig, SetUserMFAPreference,
AssociateSoftwareToken, VerifySoftwareToken; Developer Guide, "Adding MFA to a user pool"):

* A pool offers SMS_MFA when it has an SMS configuration, SOFTWARE_TOKEN_MFA when
  ``SoftwareTokenMfaConfiguration.Enabled``, EMAIL_OTP when it has an
  ``EmailMfaConfiguration``. A user's factor counts only if the pool offers it and the
  user can receive it (a phone number, a verified authenticator, an e-mail address).
* With MfaConfiguration ON every sign-in passes a factor: the preferred one, the only
  one, a choice among several (SELECT_MFA_TYPE), or, when the user has none, the SMS or
  e-mail factor their attributes allow, else MFA_SETUP (a TOTP authenticator). With
  OPTIONAL only users who enabled a factor pass one. OFF: none.
* A TOTP authenticator is associated (a new secret, pending) and becomes the user's only
  once VerifySoftwareToken accepts a code from it; enabling it as a factor is
  SetUserMFAPreference's job, except in MFA_SETUP, where verifying enables and prefers it.
  A code is accepted once (the time step is remembered), within one step of drift.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.oath import TOTP

from userpools.context import ServiceContext
from userpools.errors import (
    EnableSoftwareTokenMFA,
    ErrorCode,
    InvalidParameter,
    LimitExceeded,
    ServiceError,
    SoftwareTokenMFANotFound,
)
from userpools.models import Delivery, SoftwareToken, User, UserPool
from userpools.services import delivery, outreach
from userpools.services.audit import audit_record

SMS, TOTP_FACTOR, EMAIL = "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"
FACTORS = (SMS, TOTP_FACTOR, EMAIL)
# SetUserMFAPreference's setting names for each factor.
SETTING_NAMES = {SMS: "SMSMfaSettings", TOTP_FACTOR: "SoftwareTokenMfaSettings", EMAIL: "EmailMfaSettings"}
TOTP_STEP, TOTP_DIGITS, TOTP_DRIFT = 30, 6, 1
SECRET_BYTES = 20  # 32 base32 characters, as Cognito's SecretCode
CODE_DIGITS = 6
DEFAULT_SMS_MESSAGE = "Your authentication code is {####}. "
DEFAULT_EMAIL_SUBJECT = "Your sign-in code"
DEFAULT_EMAIL_MESSAGE = "Your authentication code is {####}. "
CODE_MISMATCH = "Code mismatch and fail enable Software Token MFA"


# --- Factors -----------------------------------------------------------------------------------


def pool_factors(pool: UserPool) -> list[str]:
    """The MFA factors ``pool`` offers, in Cognito's order."""
    mfa = pool.mfa_settings or {}
    out = []
    if (mfa.get("SmsMfaConfiguration") or {}).get("SmsConfiguration") or pool.settings.get("SmsConfiguration"):
        out.append(SMS)
    if (mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        out.append(TOTP_FACTOR)
    if mfa.get("EmailMfaConfiguration"):
        out.append(EMAIL)
    return out


def _software_token(user: User) -> SoftwareToken | None:
    return SoftwareToken.objects.filter(user=user).first()


def _receivable(user: User, factor: str, token: SoftwareToken | None) -> bool:
    if factor == SMS:
        return bool(user.attributes.get("phone_number"))
    if factor == EMAIL:
        return bool(user.attributes.get("email"))
    return token is not None and token.confirmed


def user_factors(user: User, pool: UserPool) -> list[str]:
    """The factors ``user`` enabled that the pool offers and they can receive."""
    enabled = [f for f in FACTORS if f in user.mfa_enabled and f in pool_factors(pool)]
    token = _software_token(user) if TOTP_FACTOR in enabled else None
    return [f for f in enabled if _receivable(user, f, token)]


def sign_in_factors(user: User, pool: UserPool) -> list[str]:
    """The factors a sign-in may use: the user's own; with MFA ON and none of those, the
    SMS or e-mail factor the pool offers and the user's attributes allow."""
    if pool.mfa_configuration == UserPool.Mfa.OFF:
        return []
    own = user_factors(user, pool)
    if own or pool.mfa_configuration != UserPool.Mfa.ON:
        return own
    return [f for f in (SMS, EMAIL) if f in pool_factors(pool) and _receivable(user, f, None)]


def preferred(user: User, factors: list[str]) -> str | None:
    return user.mfa_preferred if user.mfa_preferred in factors else None


def mfa_setting_list(user: User) -> tuple[list[str], str | None]:
    """(UserMFASettingList, PreferredMfaSetting) as GetUser and AdminGetUser show them."""
    enabled = [f for f in FACTORS if f in user.mfa_enabled]
    return enabled, (user.mfa_preferred or None)


def preference_set(ctx: ServiceContext, user: User, request: Mapping[str, Any]) -> None:
    """SetUserMFAPreference / AdminSetUserMFAPreference: each factor's {Enabled, PreferredMfa};
    a factor left out keeps its state. Raises InvalidParameterException (two preferred;
    preferred but disabled; TOTP without a verified authenticator; a factor the pool does
    not offer)."""
    given = {f: request.get(SETTING_NAMES[f]) for f in FACTORS if request.get(SETTING_NAMES[f]) is not None}
    if sum(1 for conf in given.values() if conf.get("PreferredMfa")) > 1:
        raise InvalidParameter("Only one MFA method can be preferred.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        enabled, chosen = set(locked.mfa_enabled), locked.mfa_preferred
        offered = pool_factors(user.pool)
        for factor, conf in given.items():
            on = conf.get("Enabled")
            if conf.get("PreferredMfa") and on is False:
                raise InvalidParameter(f"{SETTING_NAMES[factor]}: a disabled MFA method cannot be preferred.")
            if on or (on is None and conf.get("PreferredMfa")):
                if factor == TOTP_FACTOR and not _receivable(locked, factor, _software_token(locked)):
                    raise InvalidParameter("User has not verified software token mfa")
                if factor == EMAIL and EMAIL not in offered:
                    raise InvalidParameter("Email MFA is not enabled for this user pool.")
                enabled.add(factor)
            elif on is False:
                enabled.discard(factor)
                if chosen == factor:
                    chosen = ""
            if conf.get("PreferredMfa"):
                chosen = factor
            elif conf.get("PreferredMfa") is False and chosen == factor:
                chosen = ""
        locked.mfa_enabled = [f for f in FACTORS if f in enabled]
        locked.mfa_preferred = chosen
        locked.save(update_fields=["mfa_enabled", "mfa_preferred", "updated_at"])
    user.mfa_enabled, user.mfa_preferred = locked.mfa_enabled, locked.mfa_preferred
    audit_record(
        ctx,
        "user.mfa_preference",
        pool_id=user.pool_id,
        target=user.username,
        enabled=locked.mfa_enabled,
        preferred=locked.mfa_preferred,
    )


def settings_set(ctx: ServiceContext, user: User, mfa_options: list[Mapping[str, str]]) -> None:
    """SetUserSettings / AdminSetUserSettings, the legacy form: an SMS option on
    ``phone_number`` enables SMS MFA; an empty list disables it."""
    sms = any(o.get("DeliveryMedium") == "SMS" for o in mfa_options)
    for option in mfa_options:
        if option.get("DeliveryMedium") == "EMAIL":
            raise InvalidParameter("Only SMS can be set with MFAOptions; use SetUserMFAPreference for email.")
        if option.get("AttributeName") not in (None, "phone_number"):
            raise InvalidParameter("MFAOptions AttributeName must be phone_number.")
    preference_set(ctx, user, {"SMSMfaSettings": {"Enabled": sms}})


# --- TOTP authenticators -----------------------------------------------------------------------


def _totp(secret: str) -> TOTP:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(key, step=TOTP_STEP, digits=TOTP_DIGITS)


def _code(raw: str | None) -> int | None:
    return int(raw) if raw is not None and len(raw) == TOTP_DIGITS and raw.isascii() and raw.isdigit() else None


def totp_associate(ctx: ServiceContext, user: User) -> str:
    """A new pending TOTP secret for ``user`` (SecretCode); their verified one, if any, stays
    in force until this one is verified."""
    secret = base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")
    with transaction.atomic():
        token, _ = SoftwareToken.objects.select_for_update().get_or_create(
            user=user, defaults={"name": "TOTP", "confirmed": False}
        )
        token.pending_secret = secret
        token.save(update_fields=["pending_secret"])
    audit_record(ctx, "user.software_token_associate", pool_id=user.pool_id, target=user.username)
    return secret


def totp_verify(ctx: ServiceContext, user: User, code: str, friendly_name: str | None) -> None:
    """VerifySoftwareToken: a code from the pending secret makes it the user's authenticator.
    Raises SoftwareTokenMFANotFoundException (nothing associated), EnableSoftwareTokenMFAException
    (wrong code)."""
    with transaction.atomic():
        token = SoftwareToken.objects.select_for_update().filter(user=user).first()
        if token is None or not token.pending_secret:
            raise SoftwareTokenMFANotFound("Software Token MFA has not been associated for the user.")
        otp, given = _totp(token.pending_secret), _code(code)
        otp.time = time.time()
        if given is None or not otp.verify(given, tolerance=TOTP_DRIFT):
            raise EnableSoftwareTokenMFA(CODE_MISMATCH)
        token.secret, token.pending_secret, token.confirmed = token.pending_secret, "", True
        token.last_t = otp.t()
        token.name = friendly_name or token.name or "TOTP"
        token.save(update_fields=["secret", "pending_secret", "confirmed", "last_t", "name"])
    audit_record(ctx, "user.software_token_verify", pool_id=user.pool_id, target=user.username)


def totp_check(user: User, code: str | None) -> bool:
    """Whether ``code`` is a current code of the user's verified authenticator, not used
    before. Accepting it records its time step, so a replay (even a concurrent one) fails."""
    token = _software_token(user)
    given = _code(code)
    if token is None or not token.confirmed or given is None:
        return False
    otp = _totp(token.secret)
    otp.time = time.time()
    if not otp.verify(given, tolerance=TOTP_DRIFT, min_t=token.last_t + 1):
        return False
    step = otp.t()
    return SoftwareToken.objects.filter(pk=token.pk, last_t__lt=step).update(last_t=step) == 1


def totp_delete(ctx: ServiceContext, user: User) -> None:
    """AdminDeleteSoftwareToken: forget the authenticator; TOTP stops being a factor."""
    with transaction.atomic():
        SoftwareToken.objects.filter(user=user).delete()
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.mfa_enabled = [f for f in locked.mfa_enabled if f != TOTP_FACTOR]
        if locked.mfa_preferred == TOTP_FACTOR:
            locked.mfa_preferred = ""
        locked.save(update_fields=["mfa_enabled", "mfa_preferred", "updated_at"])
    audit_record(ctx, "user.software_token_delete", pool_id=user.pool_id, target=user.username)


# --- One-time codes sent during sign-in --------------------------------------------------------


def code_digest(salt: str, code: str) -> str:
    """How a sent code is kept in the sign-in session's state: keyed, salted, never plain."""
    key = hashlib.sha256(f"cognate-mfa:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def code_matches(state: Mapping[str, Any], code: str | None) -> bool:
    expected = state.get("otp_digest")
    if not expected or code is None:
        return False
    return hmac.compare_digest(expected, code_digest(state.get("otp_salt", ""), code))


SEND_LIMITED = "Too many sign-in codes were sent to this user; try again later."


def _send_purpose(factor: str) -> str:
    """The send counter of sign-in codes by ``factor``'s medium: MFA and passwordless codes
    reach the same inbox or phone, so they share one limit."""
    return f"sign-in-code:{factor}"


def _send_count(count: Callable[[], None]) -> None:
    """Run a send counter (userpools/services/outreach.py); past its limit InitiateAuth and
    RespondToAuthChallenge answer TooManyRequestsException (LimitExceededException is not
    among their errors in the service model)."""
    try:
        count()
    except LimitExceeded:
        raise ServiceError(SEND_LIMITED, code=ErrorCode.TOO_MANY_REQUESTS) from None


def code_send_simulated(pool: UserPool, user: User | None, username: str, factor: str) -> dict[str, str]:
    """What :func:`code_send` answers, for a user who does not exist or cannot receive
    ``factor`` (PreventUserExistenceErrors): a plausible destination, nothing sent, and the
    send counted as a real one is, so the answers cannot tell the two apart."""
    _send_count(lambda: outreach.simulated_send_throttle(pool, user, username, _send_purpose(factor)))
    medium = Delivery.Medium.SMS if factor == SMS else Delivery.Medium.EMAIL
    destination = outreach.simulated_destination(pool, username, "phone_number" if factor == SMS else "email")
    return {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": delivery.mask(medium, destination)}


def code_send(ctx: ServiceContext, user: User, factor: str, state: dict[str, Any]) -> dict[str, str]:
    """Send a sign-in code by SMS or e-mail (the pool's MFA message templates), keep its
    digest in ``state``; returns the challenge's CODE_DELIVERY_* parameters. Sends to a
    user are limited like other codes (userpools.services.outreach.send_throttle: a few an
    hour; TooManyRequestsException past that), so sign-ins cannot bomb an inbox or phone."""
    pool = user.pool
    _send_count(lambda: outreach.send_throttle(user, _send_purpose(factor)))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(8)
    state.update(otp_salt=salt, otp_digest=code_digest(salt, code))
    if factor == SMS:
        medium, destination = Delivery.Medium.SMS, user.attributes["phone_number"]
        template = (pool.mfa_settings.get("SmsMfaConfiguration") or {}).get("SmsAuthenticationMessage")
        body, subject = template or DEFAULT_SMS_MESSAGE, ""
    else:
        medium, destination = Delivery.Medium.EMAIL, user.attributes["email"]
        conf = pool.mfa_settings.get("EmailMfaConfiguration") or {}
        body, subject = conf.get("Message") or DEFAULT_EMAIL_MESSAGE, conf.get("Subject") or DEFAULT_EMAIL_SUBJECT
    delivery.delivery_send(
        ctx,
        user=user,
        medium=medium,
        destination=destination,
        purpose="mfa",
        body=delivery.render(body, code=code, username=user.username),
        subject=subject,
    )
    return {"CODE_DELIVERY_DELIVERY_MEDIUM": medium, "CODE_DELIVERY_DESTINATION": delivery.mask(medium, destination)}
