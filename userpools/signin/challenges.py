"""The challenges between a proven first factor and tokens: NEW_PASSWORD_REQUIRED,
MFA_SETUP, SELECT_MFA_TYPE, SMS_MFA, EMAIL_OTP, SOFTWARE_TOKEN_MFA, then a remembered
device's authentication (userpools/services/devices.py). userpools/services/mfa.py holds
the MFA rules.

A FORCE_CHANGE_PASSWORD user is asked for a new password (NEW_PASSWORD_REQUIRED), unless
the temporary password has expired (userpools/signin/password.py refuses it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from django.db import transaction

from userpools.context import ServiceContext
from userpools.errors import CodeMismatch, InvalidParameter, MFAMethodNotFound, NotAuthorized
from userpools.models import SoftwareToken, User, UserPool
from userpools.services import devices, mfa, users
from userpools.services.audit import audit_record
from userpools.signin import lockout
from userpools.signin.sessions import hosted_check, session_replace, setup_session_take
from userpools.signin.state import SignIn


class Challenge:
    """One step between a proven identity and tokens.

    ``applies`` says whether the user must pass this step now; ``parameters`` are the
    ChallengeParameters sent with it; ``prepare`` is the work done when it is issued (send
    a code, keep its digest in ``sign_in.state``) and returns extra ChallengeParameters;
    ``respond`` checks the ChallengeResponses and applies their effect (inside the
    transaction that spends the session), raising a ServiceError to refuse. Register
    subclasses in :data:`CHALLENGES`, in order.
    """

    name: ClassVar[str]

    def applies(self, sign_in: SignIn) -> bool:
        raise NotImplementedError("each Challenge subclass says when it applies")

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        raise NotImplementedError("each Challenge subclass checks its responses")


class NewPasswordRequired(Challenge):
    """NEW_PASSWORD_REQUIRED: a user with a temporary password (AdminCreateUser) picks their own.

    Responses: NEW_PASSWORD, and ``userAttributes.<name>`` for required attributes the
    user lacks (and any other writable ones). The user becomes CONFIRMED.
    """

    name = "NEW_PASSWORD_REQUIRED"

    def applies(self, sign_in: SignIn) -> bool:
        return sign_in.user.status == User.Status.FORCE_CHANGE_PASSWORD

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        user, pool = sign_in.user, sign_in.user.pool
        missing = [
            f"userAttributes.{a['Name']}"
            for a in pool.schema
            if a.get("Required") and a["Name"] != "sub" and not user.attributes.get(a["Name"])
        ]
        shown = {
            k: v
            for k, v in user.attributes.items()
            if not k.startswith(users.RESERVED_PREFIX) and not k.startswith("dev:")
        }
        return {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": json.dumps(missing),
            "userAttributes": json.dumps(shown),
        }

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        password = responses.get("NEW_PASSWORD")
        if not password:
            raise InvalidParameter("Missing required parameter NEW_PASSWORD")
        user, pool = sign_in.user, sign_in.user.pool
        given = [
            {"Name": key.removeprefix("userAttributes."), "Value": value}
            for key, value in responses.items()
            if key.startswith("userAttributes.")
        ]
        values = users.attributes_validate(pool, given, existing=user.attributes, client=sign_in.client)
        for flag in users.VERIFIED_FLAG.values():
            if flag in values:
                raise NotAuthorized(f"A client attempted to write unauthorized attribute {flag}")
        merged = {**user.attributes, **values}
        users.attributes_require(pool, merged)
        users.password_check(pool, password, user=user)
        users.password_set(user, password)
        user.attributes = merged
        users.aliases_claim(sign_in.ctx, pool, user, force=False)
        users.sync_columns(user)
        user.status = User.Status.CONFIRMED
        user.temporary_password_expires_at = None
        user.save(
            update_fields=[
                *users.PASSWORD_FIELDS,
                "status",
                "temporary_password_expires_at",
                "attributes",
                *users.MIRRORED,
                "updated_at",
            ]
        )
        audit_record(
            sign_in.ctx, "user.new_password", pool_id=pool.id, target=user.username, client_id=sign_in.client.client_id
        )


def _mfa_pending(sign_in: SignIn) -> bool:
    return not sign_in.state.get("mfa_done")


def _mfa_factors(sign_in: SignIn) -> list[str]:
    if "mfa_factors" not in sign_in.state:
        sign_in.state["mfa_factors"] = mfa.sign_in_factors(sign_in.user, sign_in.client.pool)
    return sign_in.state["mfa_factors"]


def _mfa_factor(sign_in: SignIn) -> str | None:
    """The factor this sign-in uses: the one chosen (SELECT_MFA_TYPE), the preferred, the only."""
    factors = _mfa_factors(sign_in)
    chosen = sign_in.state.get("mfa_choice") or mfa.preferred(sign_in.user, factors)
    if chosen is None and len(factors) == 1:
        chosen = factors[0]
    return chosen


class MfaSetup(Challenge):
    """MFA_SETUP: the pool requires MFA and the user has no factor. The app associates a
    TOTP authenticator with this session (AssociateSoftwareToken, VerifySoftwareToken) and
    answers with the session VerifySoftwareToken returned."""

    name = "MFA_SETUP"

    def applies(self, sign_in: SignIn) -> bool:
        if not _mfa_pending(sign_in) or sign_in.client.pool.mfa_configuration != UserPool.Mfa.ON:
            return False
        if _mfa_factors(sign_in):
            return False
        if mfa.TOTP_FACTOR not in mfa.pool_factors(sign_in.client.pool):
            raise MFAMethodNotFound("No MFA method is available for the user and none can be set up.")
        return True

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {"MFAS_CAN_SETUP": json.dumps([mfa.TOTP_FACTOR])}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        if not sign_in.state.get("mfa_setup_verified"):
            raise InvalidParameter("Verify a software token (VerifySoftwareToken) with this session first.")
        sign_in.state["mfa_done"] = True


class SelectMfaType(Challenge):
    """SELECT_MFA_TYPE: several factors and none preferred; ANSWER picks one."""

    name = "SELECT_MFA_TYPE"
    ALIASES: ClassVar[dict[str, str]] = {"EMAIL_MFA": mfa.EMAIL}

    def applies(self, sign_in: SignIn) -> bool:
        return _mfa_pending(sign_in) and len(_mfa_factors(sign_in)) > 1 and _mfa_factor(sign_in) is None

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        return {"MFAS_CAN_CHOOSE": json.dumps(_mfa_factors(sign_in))}

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        answer = responses.get("ANSWER")
        answer = self.ALIASES.get(answer or "", answer)
        if answer not in _mfa_factors(sign_in):
            raise InvalidParameter(f"ANSWER must be one of {', '.join(_mfa_factors(sign_in))}.")
        sign_in.state["mfa_choice"] = answer


class CodeChallenge(Challenge):
    """A factor answered with a code: SMS_MFA, EMAIL_OTP (sent now), SOFTWARE_TOKEN_MFA."""

    factor: ClassVar[str]
    response_key: ClassVar[str]

    def applies(self, sign_in: SignIn) -> bool:
        return _mfa_pending(sign_in) and _mfa_factor(sign_in) == self.factor

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return mfa.code_send(sign_in.ctx, sign_in.user, self.factor, sign_in.state)

    def matches(self, sign_in: SignIn, code: str | None) -> bool:
        return mfa.code_matches(sign_in.state, code)

    def respond(self, sign_in: SignIn, responses: Mapping[str, str]) -> None:
        code = responses.get(self.response_key)
        if not code:
            raise InvalidParameter(f"Missing required parameter {self.response_key}")
        # A wrong code counts towards the user's lockout as a wrong password does
        # (auth_respond records it); while locked out, even the right code is refused.
        lockout.unlocked(sign_in.user)
        if not self.matches(sign_in, code):
            raise CodeMismatch("Invalid code received for user")
        sign_in.state["mfa_done"] = True


class SmsMfa(CodeChallenge):
    name, factor, response_key = "SMS_MFA", mfa.SMS, "SMS_MFA_CODE"


class EmailOtp(CodeChallenge):
    name, factor, response_key = "EMAIL_OTP", mfa.EMAIL, "EMAIL_OTP_CODE"


class SoftwareTokenMfa(CodeChallenge):
    name, factor, response_key = "SOFTWARE_TOKEN_MFA", mfa.TOTP_FACTOR, "SOFTWARE_TOKEN_MFA_CODE"

    def prepare(self, sign_in: SignIn) -> dict[str, str]:
        return {}

    def parameters(self, sign_in: SignIn) -> dict[str, str]:
        token = SoftwareToken.objects.filter(user=sign_in.user).only("name").first()
        return {"FRIENDLY_DEVICE_NAME": token.name} if token is not None else {}

    def matches(self, sign_in: SignIn, code: str | None) -> bool:
        return mfa.totp_check(sign_in.user, code)


CHALLENGES: list[Challenge] = [
    NewPasswordRequired(),
    MfaSetup(),
    SelectMfaType(),
    SmsMfa(),
    EmailOtp(),
    SoftwareTokenMfa(),
    *devices.CHALLENGES,
]  # type: ignore[list-item]
"""The challenges a sign-in passes through, in order (MFA challenges go after the password ones,
a remembered device's authentication last: userpools/services/devices.py)."""


def challenge_named(name: str) -> Challenge | None:
    return next((c for c in CHALLENGES if c.name == name), None)


# --- TOTP set-up inside a sign-in (MFA_SETUP) --------------------------------------------------


def software_token_associate_in_sign_in(
    ctx: ServiceContext, session: str | None, *, hosted: bool = False
) -> tuple[str, str]:
    """AssociateSoftwareToken with an MFA_SETUP Session: (SecretCode, the next Session)."""
    hosted_check(hosted, session)
    with transaction.atomic():
        stored = setup_session_take(session, MfaSetup.name)
        secret = mfa.totp_associate(ctx, stored.user)
        return secret, session_replace(stored)


def software_token_verify_in_sign_in(
    ctx: ServiceContext, session: str | None, code: str, friendly_name: str | None, *, hosted: bool = False
) -> str:
    """VerifySoftwareToken with an MFA_SETUP Session: the authenticator becomes the user's
    enabled, preferred factor; returns the Session to answer MFA_SETUP with."""
    hosted_check(hosted, session)
    with transaction.atomic():
        stored = setup_session_take(session, MfaSetup.name)
        mfa.totp_verify(ctx, stored.user, code, friendly_name)
        mfa.preference_set(ctx, stored.user, {"SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}})
        return session_replace(stored, mfa_setup_verified=True)
