"""Choice-based sign-in (USER_AUTH) and its passwordless first factors: one-time codes
(EMAIL_OTP, SMS_OTP) and passkeys (WEB_AUTHN).

USER_AUTH offers the first factors the pool's SignInPolicy allows and the user can use,
directly through PREFERRED_CHALLENGE or through SELECT_CHALLENGE. With
PreventUserExistenceErrors its AvailableChallenges are the pool's whoever asks; sign-in
codes sent (or simulated for an unknown user) are limited per user like other codes
(TooManyRequestsException).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from userpools.errors import CodeMismatch, InvalidParameter, NotAuthorized, UserNotFound
from userpools.models import AppClient, User
from userpools.services import mfa, passkeys, users
from userpools.services.clientauth import prevents_existence_errors
from userpools.signin import lockout, pipeline, sessions
from userpools.signin.password import Password, may_sign_in
from userpools.signin.srp import PasswordSrp
from userpools.signin.state import FACTOR_KEY, FLOW_KEY, INCORRECT, AuthOutcome, SignIn

# USER_AUTH's first factors: which AllowedFirstAuthFactors value offers each challenge.
FIRST_FACTORS: dict[str, str] = {
    "PASSWORD": "PASSWORD",
    "PASSWORD_SRP": "PASSWORD",
    "EMAIL_OTP": "EMAIL_OTP",
    "SMS_OTP": "SMS_OTP",
    "WEB_AUTHN": "WEB_AUTHN",
}
# Passwordless first factors: the code's medium (userpools/services/mfa.py) and response key.
ONE_TIME_CODES: dict[str, tuple[str, str]] = {
    "EMAIL_OTP": ("EMAIL_OTP", "EMAIL_OTP_CODE"),
    "SMS_OTP": ("SMS_MFA", "SMS_OTP_CODE"),
}
SELECT_CHALLENGE = "SELECT_CHALLENGE"


def available_first_factors(client: AppClient, user: User | None = None) -> list[str]:
    """The USER_AUTH challenges the pool's SignInPolicy allows and, when the user is known,
    that they can use: a code needs a verified e-mail address or phone number."""
    factors = set(
        client.pool.settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors") or ["PASSWORD"]
    )
    out = [name for name, factor in FIRST_FACTORS.items() if factor in factors]
    if user is not None:
        out = [name for name in out if _can_use(user, name)]
    return out


def _can_use(user: User, factor: str) -> bool:
    if factor == "EMAIL_OTP":
        return bool(user.attributes.get("email")) and user.attributes.get("email_verified") == "true"
    if factor == "SMS_OTP":
        return bool(user.attributes.get("phone_number")) and user.attributes.get("phone_number_verified") == "true"
    if factor in ("PASSWORD", "PASSWORD_SRP"):
        return user.has_usable_password()
    if factor == "WEB_AUTHN":
        return passkeys.user_has_passkeys(user)
    return True


def auth_factors(user: User) -> list[str]:
    """GetUserAuthFactors' ConfiguredUserAuthFactors: the first factors the user has set up."""
    out = ["PASSWORD"] if user.has_usable_password() else []
    factors = set(user.pool.settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors") or [])
    out += [name for name in ("EMAIL_OTP", "SMS_OTP") if name in factors and _can_use(user, name)]
    if passkeys.user_has_passkeys(user):
        out.append("WEB_AUTHN")
    return out


class _Passwordless:
    carries_password = False  # Cognito asks no user-migration trigger for passwordless sign-in
    relooks = False

    def check(self, sign_in: SignIn) -> None:
        return None

    def unknown_legacy(self, sign_in: SignIn) -> None:
        return None


class WebAuthn(_Passwordless):
    """WEB_AUTHN as a first factor: the request options for the user's passkeys, and a
    session that keeps the challenge (an unknown user gets options no passkey satisfies)."""

    name = "WEB_AUTHN"

    def start(self, sign_in: SignIn) -> AuthOutcome:
        client, user = sign_in.client, sign_in.user
        if user is not None:
            user.pool = client.pool
        options, webauthn_state = passkeys.authentication_options(user, client)
        state: dict[str, Any] = {
            "first_factor": "WEB_AUTHN",
            "webauthn": webauthn_state,
            FLOW_KEY: sign_in.flow,
            FACTOR_KEY: self.name,
        }
        if sign_in.hosted:
            state["hosted"] = True
        session = sessions.session_open(client, user, "WEB_AUTHN", state)
        return AuthOutcome(
            challenge="WEB_AUTHN",
            session=session,
            parameters={"CREDENTIAL_REQUEST_OPTIONS": passkeys.authentication_options_json(options)},
        )


def webauthn_respond(sign_in: SignIn, session: str | None) -> AuthOutcome:
    """The WEB_AUTHN challenge's CREDENTIAL: a passkey assertion over the session's
    challenge. The session is spent by the answer, right or wrong. A passkey that verified
    the user (biometrics, PIN) stands in for MFA; one that did not leaves MFA to follow."""
    credential = sign_in.parameters.get("CREDENTIAL")
    if not credential:
        raise InvalidParameter("Missing required parameter CREDENTIAL")
    stored = sessions.session_spend(session, sign_in.client, frozenset({"WEB_AUTHN"}))
    user = stored.user
    pipeline.username_check(sign_in, user)
    passkey = passkeys.authentication_verify(
        sign_in.ctx, user, sign_in.client, stored.state.get("webauthn") or {}, credential
    )
    if user is None or passkey.user_id != user.pk:
        raise NotAuthorized(INCORRECT)
    lockout.unlocked(user)
    may_sign_in(user)
    sign_in.user = user
    sign_in.restore({FLOW_KEY: stored.state.get(FLOW_KEY), FACTOR_KEY: "WEB_AUTHN"})
    state: dict[str, Any] = {"mfa_done": True} if getattr(passkey, "user_verified", False) else {}
    if stored.state.get("hosted"):
        state.update(hosted=True, methods=["hwk", "user"] if state else ["hwk"])
    sign_in.state = state
    return pipeline.proven(sign_in)


class OneTimeCode(_Passwordless):
    """EMAIL_OTP / SMS_OTP as a first factor: send a code, challenge for it. An unknown user
    (PreventUserExistenceErrors) or one who cannot receive it gets a challenge that no code
    can pass and a plausible destination; nothing is sent, but the send is counted as a real
    one is (TooManyRequestsException past the limit), and wrong codes count towards the
    username's lockout, so that every answer matches a real user's."""

    def __init__(self, name: str) -> None:
        self.name = name

    def start(self, sign_in: SignIn) -> AuthOutcome:
        client, user, username = sign_in.client, sign_in.user, sign_in.username
        medium, _ = ONE_TIME_CODES[self.name]
        state: dict[str, Any] = {
            "first_factor": self.name,
            "username": username,
            FLOW_KEY: sign_in.flow,
            FACTOR_KEY: self.name,
        }
        if user is not None and _can_use(user, self.name):
            user.pool = client.pool
            parameters = mfa.code_send(sign_in.ctx, user, medium, state)
        else:
            parameters = mfa.code_send_simulated(client.pool, user, username, medium)
            user = None
        session = sessions.session_open(client, user, self.name, state)
        return AuthOutcome(challenge=self.name, session=session, parameters=parameters)


def one_time_code_respond(sign_in: SignIn, challenge_name: str, session: str | None) -> AuthOutcome:
    """The code of a passwordless first factor. Wrong codes count (three spend the session);
    the right one signs the user in without a further MFA step (the code is a possession factor)."""
    _, key = ONE_TIME_CODES[challenge_name]
    code = sign_in.parameters.get(key)
    if not code:
        raise InvalidParameter(f"Missing required parameter {key}")
    client = sign_in.client
    with transaction.atomic():
        stored = sessions.session_take(session, client, anonymous=True)
        if stored.challenge != challenge_name or stored.state.get("first_factor") != challenge_name:
            raise sessions.invalid()
        user = stored.user
        # Locked out (by wrong passwords or codes): refused before the code is looked at,
        # an unknown username as a user (auth_respond counts a wrong code).
        lockout.unlocked(
            user
            if user is not None
            else lockout.unknown_lockout(client.pool, stored.state.get("username") or sign_in.username)
        )
        if user is None or not mfa.code_matches(stored.state, code):
            raise CodeMismatch("Invalid code received for user")
        pipeline.username_check(sign_in, user)
        may_sign_in(user)
        if user.status == User.Status.FORCE_CHANGE_PASSWORD:
            raise NotAuthorized(INCORRECT)
        pipeline.spend(stored)
        sign_in.user = user
        sign_in.restore({FLOW_KEY: stored.state.get(FLOW_KEY), FACTOR_KEY: challenge_name})
        sign_in.state = {"mfa_done": True}
        return pipeline.proven(sign_in)


def first_factor(answer: str | None) -> pipeline.FirstFactor:
    """The first factor USER_AUTH's ``answer`` names."""
    if answer == "PASSWORD_SRP":
        return PasswordSrp()
    if answer == "WEB_AUTHN":
        return WebAuthn()
    if answer in ONE_TIME_CODES:
        return OneTimeCode(answer)
    return Password()


def _run_choice(sign_in: SignIn, answer: str | None) -> AuthOutcome:
    if answer not in available_first_factors(sign_in.client):
        raise InvalidParameter(f"The challenge {answer} is not available for this user.")
    return pipeline.begin(sign_in, first_factor(answer))


def user_auth(sign_in: SignIn) -> AuthOutcome:
    """USER_AUTH's InitiateAuth: the PREFERRED_CHALLENGE if available, else SELECT_CHALLENGE."""
    if not sign_in.username:
        raise InvalidParameter("Missing required parameter USERNAME")
    client = sign_in.client
    preferred = sign_in.parameters.get("PREFERRED_CHALLENGE")
    if preferred in ("PASSWORD", "PASSWORD_SRP") and preferred in available_first_factors(client):
        return _run_choice(sign_in, preferred)
    sign_in.stages.append("resolve")
    user = users.user_find(client.pool, sign_in.username)
    prevent = prevents_existence_errors(client)
    if user is None and not prevent:
        raise UserNotFound("User does not exist.")
    sign_in.user, sign_in.looked_up = user, True
    # With PreventUserExistenceErrors the list is the pool's, whoever asks: one that left
    # out what a user cannot use would tell real users from unknown ones. A factor the user
    # cannot use then gets the unknown user's challenge, which no answer passes.
    available = available_first_factors(client, None if prevent else user)
    if preferred in available:
        return _run_choice(sign_in, preferred)
    session = sessions.session_open(
        client, user, SELECT_CHALLENGE, {"username": sign_in.username, FLOW_KEY: sign_in.flow}
    )
    return AuthOutcome(challenge=SELECT_CHALLENGE, session=session, available=available)


def select_respond(sign_in: SignIn, challenge_name: str, session: str | None) -> AuthOutcome:
    """USER_AUTH's SELECT_CHALLENGE (or its answer named directly as PASSWORD / PASSWORD_SRP):
    the session is spent, and the chosen first factor runs for the user it looked up."""
    stored = sessions.session_spend(session, sign_in.client, frozenset({SELECT_CHALLENGE}))
    pipeline.username_check(sign_in, stored.user)
    answer = sign_in.parameters.get("ANSWER") if challenge_name == SELECT_CHALLENGE else challenge_name
    if not answer:
        raise InvalidParameter("Missing required parameter ANSWER")
    sign_in.user, sign_in.looked_up = stored.user, True
    sign_in.flow = stored.state.get(FLOW_KEY) or sign_in.flow
    return _run_choice(sign_in, answer)
