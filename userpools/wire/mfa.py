"""Wire handlers for MFA: TOTP authenticators, MFA preferences and the legacy settings.

AssociateSoftwareToken and VerifySoftwareToken take either an access token (a signed-in
user adding an authenticator) or the Session of an MFA_SETUP challenge (a sign-in that
must set one up), not both.
"""

from __future__ import annotations

from collections.abc import Callable

from userpools import signin as auth
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter
from userpools.services import directory, mfa
from userpools.wire.tokens import _signed_in


def _one_credential(req: dict) -> None:
    if bool(req.get("AccessToken")) == bool(req.get("Session")):
        raise InvalidParameter("Provide either AccessToken or Session, not both.")


def associate_software_token(ctx: ServiceContext, req: dict) -> dict:
    _one_credential(req)
    if req.get("Session"):
        secret, session = auth.software_token_associate_in_sign_in(ctx, req["Session"])
        return {"SecretCode": secret, "Session": session}
    ctx, user, _ = _signed_in(ctx, req)
    return {"SecretCode": mfa.totp_associate(ctx, user)}


def verify_software_token(ctx: ServiceContext, req: dict) -> dict:
    _one_credential(req)
    if req.get("Session"):
        session = auth.software_token_verify_in_sign_in(
            ctx, req["Session"], req["UserCode"], req.get("FriendlyDeviceName")
        )
        return {"Status": "SUCCESS", "Session": session}
    ctx, user, _ = _signed_in(ctx, req)
    mfa.totp_verify(ctx, user, req["UserCode"], req.get("FriendlyDeviceName"))
    return {"Status": "SUCCESS"}


def set_user_mfa_preference(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    mfa.preference_set(ctx, user, req)
    return {}


def admin_set_user_mfa_preference(ctx: ServiceContext, req: dict) -> dict:
    user = directory.user_admin_get(pool_id=req["UserPoolId"], username=req["Username"])
    mfa.preference_set(ctx, user, req)
    return {}


def set_user_settings(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    mfa.settings_set(ctx, user, req["MFAOptions"])
    return {}


def admin_set_user_settings(ctx: ServiceContext, req: dict) -> dict:
    user = directory.user_admin_get(pool_id=req["UserPoolId"], username=req["Username"])
    mfa.settings_set(ctx, user, req["MFAOptions"])
    return {}


def admin_delete_software_token(ctx: ServiceContext, req: dict) -> dict:
    user = directory.user_admin_get(pool_id=req["UserPoolId"], username=req["Username"])
    mfa.totp_delete(ctx, user)
    return {}


def _auth_factors(user) -> dict:
    enabled, preferred = mfa.mfa_setting_list(user)
    out = {
        "Username": user.username,
        "UserMFASettingList": enabled,
        "ConfiguredUserAuthFactors": auth.auth_factors(user),
    }
    if preferred:
        out["PreferredMfaSetting"] = preferred
    return out


def get_user_auth_factors(ctx: ServiceContext, req: dict) -> dict:
    _, user, _ = _signed_in(ctx, req)  # loaded with its pool
    return _auth_factors(user)


def admin_get_user_auth_factors(ctx: ServiceContext, req: dict) -> dict:
    return _auth_factors(directory.user_admin_get(pool_id=req["UserPoolId"], username=req["Username"]))


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "AssociateSoftwareToken": associate_software_token,
    "VerifySoftwareToken": verify_software_token,
    "SetUserMFAPreference": set_user_mfa_preference,
    "AdminSetUserMFAPreference": admin_set_user_mfa_preference,
    "SetUserSettings": set_user_settings,
    "AdminSetUserSettings": admin_set_user_settings,
    "AdminDeleteSoftwareToken": admin_delete_software_token,
    "GetUserAuthFactors": get_user_auth_factors,
    "AdminGetUserAuthFactors": admin_get_user_auth_factors,
}
