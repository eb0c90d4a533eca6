"""Sign-in: InitiateAuth / AdminInitiateAuth, the challenge loop (RespondToAuthChallenge),
the hosted pages' own sign-in, and the hooks every stage offers.

Modules, by what they own:

* ``state``: the :class:`SignIn` carried through the stages, :class:`AuthOutcome`, messages;
* ``pipeline``: the driver (the order of stages, the challenge loop, the end of a sign-in);
* ``hooks``: the registry of stage hooks (user pool triggers, threat protection);
* ``flows``: the API entry points; ``hosted``: the hosted pages' (and the OAuth endpoints' tokens);
* ``sessions``: challenge sessions; ``lockout``: failure counting and lockout;
* ``password``, ``srp``, ``choices`` (USER_AUTH, one-time codes, passkeys): first factors;
* ``challenges``: NEW_PASSWORD_REQUIRED, MFA_SETUP, SELECT_MFA_TYPE and the MFA codes;
* ``refresh``: REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken and the OAuth refresh_token grant.
"""

from userpools.signin.challenges import (
    CHALLENGES,
    Challenge,
    software_token_associate_in_sign_in,
    software_token_verify_in_sign_in,
)
from userpools.signin.choices import auth_factors, available_first_factors
from userpools.signin.flows import auth_initiate, auth_respond
from userpools.signin.hosted import hosted_passkey_start, hosted_sign_in, hosted_tokens_issue
from userpools.signin.lockout import (
    FREE_FAILURES,
    MAX_CODE_ATTEMPTS,
    MAX_LOCKOUT,
    UNKNOWN_LOCKOUT_IDLE,
    lockout_duration,
    unknown_lockouts_prune,
)
from userpools.signin.refresh import oauth_refresh, refresh_tokens_get
from userpools.signin.sessions import HOSTED_SESSION_PREFIX, session_validity
from userpools.signin.state import (
    DISABLED,
    INCORRECT,
    LOCKED,
    SESSION_EXPIRED,
    SESSION_INVALID,
    TEMPORARY_EXPIRED,
    AuthOutcome,
    SignIn,
)

__all__ = [
    "CHALLENGES",
    "DISABLED",
    "FREE_FAILURES",
    "HOSTED_SESSION_PREFIX",
    "INCORRECT",
    "LOCKED",
    "MAX_CODE_ATTEMPTS",
    "MAX_LOCKOUT",
    "SESSION_EXPIRED",
    "SESSION_INVALID",
    "TEMPORARY_EXPIRED",
    "UNKNOWN_LOCKOUT_IDLE",
    "AuthOutcome",
    "Challenge",
    "SignIn",
    "auth_factors",
    "auth_initiate",
    "auth_respond",
    "available_first_factors",
    "hosted_passkey_start",
    "hosted_sign_in",
    "hosted_tokens_issue",
    "lockout_duration",
    "oauth_refresh",
    "refresh_tokens_get",
    "session_validity",
    "software_token_associate_in_sign_in",
    "software_token_verify_in_sign_in",
    "unknown_lockouts_prune",
]
