"""Wire handlers for identity-pool credentials and OpenID tokens:
GetCredentialsForIdentity and GetOpenIdToken (unsigned: the ``Logins`` are the proof),
GetOpenIdTokenForDeveloperIdentity (signed). Merged into :data:`identity.wire.HANDLERS`."""

from __future__ import annotations

from collections.abc import Callable

from identity.services import credentials
from userpools.context import ServiceContext
from userpools.shapes import timestamp


def get_credentials_for_identity(ctx: ServiceContext, req: dict) -> dict:
    issued = credentials.credentials_for_identity(
        ctx, identity_id=req["IdentityId"], logins=req.get("Logins"), custom_role_arn=req.get("CustomRoleArn")
    )
    return {
        "IdentityId": issued.identity_id,
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "SecretKey": issued.secret_key,
            "SessionToken": issued.session_token,
            "Expiration": timestamp(issued.expiration),
        },
    }


def get_open_id_token(ctx: ServiceContext, req: dict) -> dict:
    issued = credentials.open_id_token_for_identity(ctx, identity_id=req["IdentityId"], logins=req.get("Logins"))
    return {"IdentityId": issued.identity_id, "Token": issued.token}


def get_open_id_token_for_developer_identity(ctx: ServiceContext, req: dict) -> dict:
    issued = credentials.open_id_token_for_developer_identity(
        ctx,
        pool_id=req["IdentityPoolId"],
        logins=req["Logins"],
        identity_id=req.get("IdentityId"),
        principal_tags=req.get("PrincipalTags"),
        token_duration=req.get("TokenDuration"),
    )
    return {"IdentityId": issued.identity_id, "Token": issued.token}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "GetCredentialsForIdentity": get_credentials_for_identity,
    "GetOpenIdToken": get_open_id_token,
    "GetOpenIdTokenForDeveloperIdentity": get_open_id_token_for_developer_identity,
}
