"""Wire handlers for self-service sign-up and password recovery (unsigned operations).

SignUp, ConfirmSignUp, ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword:
each parses the request, calls one service, and shapes the answer. The operations a
signed-in user calls with an access token (ChangePassword, GetUser ...) arrive with the
token service; their rules are in :mod:`userpools.services.profile` already.
"""

from __future__ import annotations

from collections.abc import Callable

from userpools import shapes
from userpools.context import ServiceContext
from userpools.services import recovery, signup


def sign_up(ctx: ServiceContext, req: dict) -> dict:
    result = signup.user_sign_up(
        ctx,
        client_id=req["ClientId"],
        secret_hash=req.get("SecretHash"),
        username=req["Username"],
        password=req.get("Password"),
        attributes=req.get("UserAttributes") or [],
    )
    return shapes.sign_up_result(result)


def confirm_sign_up(ctx: ServiceContext, req: dict) -> dict:
    signup.user_confirm_sign_up(
        ctx,
        client_id=req["ClientId"],
        secret_hash=req.get("SecretHash"),
        username=req["Username"],
        code=req["ConfirmationCode"],
        force_alias=bool(req.get("ForceAliasCreation", False)),
    )
    return {}


def resend_confirmation_code(ctx: ServiceContext, req: dict) -> dict:
    details = signup.user_resend_confirmation_code(
        ctx, client_id=req["ClientId"], secret_hash=req.get("SecretHash"), username=req["Username"]
    )
    return {"CodeDeliveryDetails": details}


def forgot_password(ctx: ServiceContext, req: dict) -> dict:
    details = recovery.password_reset_start(
        ctx, client_id=req["ClientId"], secret_hash=req.get("SecretHash"), username=req["Username"]
    )
    return {"CodeDeliveryDetails": details}


def confirm_forgot_password(ctx: ServiceContext, req: dict) -> dict:
    recovery.password_reset_confirm(
        ctx,
        client_id=req["ClientId"],
        secret_hash=req.get("SecretHash"),
        username=req["Username"],
        code=req["ConfirmationCode"],
        password=req["Password"],
    )
    return {}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "SignUp": sign_up,
    "ConfirmSignUp": confirm_sign_up,
    "ResendConfirmationCode": resend_confirmation_code,
    "ForgotPassword": forgot_password,
    "ConfirmForgotPassword": confirm_forgot_password,
}
