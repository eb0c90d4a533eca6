"""Wire handlers for a signed-in user's passkeys (WebAuthn authenticators).

StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials and
DeleteWebAuthnCredential: unsigned, authorized by the user's access token (with the
``aws.cognito.signin.user.admin`` scope), each calling one passkey service. The
WEB_AUTHN sign-in challenge is the sign-in service's (:mod:`userpools.signin`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools.context import ServiceContext
from userpools.models import WebAuthnCredential
from userpools.services import passkeys
from userpools.shapes import timestamp
from userpools.wire.tokens import _signed_in


def _description(credential: WebAuthnCredential) -> dict[str, Any]:
    """A WebAuthnCredentialDescription."""
    out: dict[str, Any] = {
        "CredentialId": credential.credential_id,
        "FriendlyCredentialName": credential.friendly_name,
        "RelyingPartyId": credential.relying_party_id,
    }
    if credential.authenticator_attachment:
        out["AuthenticatorAttachment"] = credential.authenticator_attachment
    out["AuthenticatorTransports"] = list(credential.transports)
    out["CreatedAt"] = timestamp(credential.created_at)
    return out


def start_web_authn_registration(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    return {"CredentialCreationOptions": passkeys.registration_start(ctx, user)}


def complete_web_authn_registration(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    passkeys.registration_complete(ctx, user, req["Credential"])
    return {}


def list_web_authn_credentials(ctx: ServiceContext, req: dict) -> dict:
    _, user, _ = _signed_in(ctx, req)
    page = passkeys.credentials_list(user=user, max_results=req.get("MaxResults"), next_token=req.get("NextToken"))
    out: dict[str, Any] = {"Credentials": [_description(c) for c in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def delete_web_authn_credential(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    passkeys.credential_delete(ctx, user, req["CredentialId"])
    return {}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "StartWebAuthnRegistration": start_web_authn_registration,
    "CompleteWebAuthnRegistration": complete_web_authn_registration,
    "ListWebAuthnCredentials": list_web_authn_credentials,
    "DeleteWebAuthnCredential": delete_web_authn_credential,
}
