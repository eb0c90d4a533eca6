"""Partial updates of pools and clients on top of Cognito's reset-to-default updates.

UpdateUserPool and UpdateUserPoolClient reset every setting they are not given, so a
change of one setting must send all the others. These build the full request from the
current state with a JSON merge patch (RFC 7396) applied; the REST API's PATCH and the
admin console's change forms both use them, then call the one update service.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from userpools.models import AppClient, UserPool
from userpools.spec import request_members

# --- Update requests from the current state ----------------------------------------------

# Legacy message members that UpdateUserPool derives from VerificationMessageTemplate.
_LEGACY_MESSAGES = {
    "EmailVerificationMessage": "EmailMessage",
    "EmailVerificationSubject": "EmailSubject",
    "SmsVerificationMessage": "SmsMessage",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7396): objects merge member by member, ``null`` removes a
    member (so it returns to Cognito's default), anything else replaces. The patch is a
    client's (REST PATCH, branding settings): walked with a stack of its own, no recursion."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    top: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, Mapping]] = [(top, 0, target, patch)]
    while stack:
        into, at, target_part, patch_part = stack.pop()
        result = dict(target_part) if isinstance(target_part, Mapping) else {}
        into[at] = result
        for key, value in patch_part.items():
            if value is None:
                result.pop(key, None)
            elif isinstance(value, Mapping):
                result[key] = result.get(key)  # keeps the member's place; filled when popped
                stack.append((result, key, result[key], value))
            else:
                result[key] = copy.deepcopy(value)
    return top[0]


def compose_patches(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """One merge patch that does what applying ``first`` and then ``second`` does
    (``null`` members of ``second`` survive, so they still reset what they name)."""
    top: list[Any] = [None]
    stack: list[tuple[Any, Any, Mapping, Mapping]] = [(top, 0, first, second)]
    while stack:
        into, at, first_part, second_part = stack.pop()
        result = dict(first_part)
        into[at] = result
        for key, value in second_part.items():
            if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
                stack.append((result, key, result[key], value))
            else:
                result[key] = copy.deepcopy(value)
    return top[0]


def without_nulls(value: Any) -> Any:
    """Drop ``null`` members (absent, in Cognito's JSON protocol) at every depth; list
    items stay as they are. A copy, made with its own stack rather than by recursion: this
    walks whatever a client sent (an array nested 600 deep once made the recursive version
    fail with RecursionError: tests/security/test_request_bodies.py)."""
    if not isinstance(value, (Mapping, list)):
        return value
    top: list[Any] = [None]
    # (where the copy goes: its container and key, the value to copy)
    stack: list[tuple[Any, Any, Any]] = [(top, 0, value)]
    while stack:
        into, key, item = stack.pop()
        if isinstance(item, Mapping):
            copied: Any = {}
            for k, v in item.items():
                if v is not None:
                    copied[k] = v
                    if isinstance(v, (Mapping, list)):
                        stack.append((copied, k, v))
        else:
            copied = list(item)
            for index, v in enumerate(copied):
                if isinstance(v, (Mapping, list)):
                    stack.append((copied, index, v))
        into[key] = copied
    return top[0]


def user_pool_update_request(pool: UserPool) -> dict[str, Any]:
    """The UpdateUserPool request that leaves ``pool`` as it is.

    UpdateUserPool resets every mutable setting it is not given, so a change of one
    setting must send all the others. The legacy message members are left out: the
    service derives them from VerificationMessageTemplate.
    """
    members = set(request_members("UpdateUserPoolRequest"))
    request: dict[str, Any] = {
        "UserPoolId": pool.id,
        "PoolName": pool.name,
        "DeletionProtection": pool.deletion_protection,
        "MfaConfiguration": pool.mfa_configuration,
        "UserPoolTier": pool.tier,
        "UserPoolTags": dict(pool.tags),
    }
    for key, value in pool.settings.items():
        if (
            key in members
            and key not in request
            and not (key in _LEGACY_MESSAGES and "VerificationMessageTemplate" in pool.settings)
        ):
            request[key] = copy.deepcopy(value)
    return request


def user_pool_update_request_patched(pool: UserPool, patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` (a partial UpdateUserPool request, RFC 7396 semantics) applied to the pool's current settings."""
    request = merge_patch(user_pool_update_request(pool), patch)
    # A legacy message member given on its own wins over the template's current value.
    template = dict(request.get("VerificationMessageTemplate") or {})
    given_template = patch.get("VerificationMessageTemplate") or {}
    for legacy, modern in _LEGACY_MESSAGES.items():
        if patch.get(legacy) is not None and modern not in given_template:
            template.pop(modern, None)
    if "VerificationMessageTemplate" in request:
        request["VerificationMessageTemplate"] = template
    request["UserPoolId"] = pool.id
    return without_nulls(request)


def user_pool_client_update_request(client: AppClient) -> dict[str, Any]:
    """The UpdateUserPoolClient request that leaves ``client`` as it is."""
    members = set(request_members("UpdateUserPoolClientRequest"))
    request: dict[str, Any] = {"UserPoolId": client.pool_id, "ClientId": client.client_id, "ClientName": client.name}
    for key, value in client.settings.items():
        if key in members and key not in request:
            request[key] = copy.deepcopy(value)
    return request


def user_pool_client_update_request_patched(client: AppClient, patch: Mapping[str, Any]) -> dict[str, Any]:
    request = merge_patch(user_pool_client_update_request(client), patch)
    request["UserPoolId"], request["ClientId"] = client.pool_id, client.client_id
    return without_nulls(request)
