"""AWS-shaped dicts of the cognito-identity model, built in one place (never on models)."""

from __future__ import annotations

from typing import Any

from identity.models import Identity, IdentityPool
from identity.services.pools import PrincipalTagMap
from userpools.shapes import timestamp


def identity_pool(pool: IdentityPool) -> dict[str, Any]:
    """The ``IdentityPool`` shape (Create/Describe/UpdateIdentityPool)."""
    out: dict[str, Any] = {
        "IdentityPoolId": pool.id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "AllowClassicFlow": pool.allow_classic_flow,
        "SupportedLoginProviders": dict(pool.supported_login_providers),
        "OpenIdConnectProviderARNs": list(pool.open_id_connect_provider_arns),
        "CognitoIdentityProviders": [dict(p) for p in pool.cognito_identity_providers],
        "SamlProviderARNs": list(pool.saml_provider_arns),
        "IdentityPoolTags": dict(pool.tags),
    }
    if pool.developer_provider_name:
        out["DeveloperProviderName"] = pool.developer_provider_name
    return out


def identity_pool_short(pool: IdentityPool) -> dict[str, Any]:
    return {"IdentityPoolId": pool.id, "IdentityPoolName": pool.name}


def identity_description(identity: Identity) -> dict[str, Any]:
    """``IdentityDescription``: linked provider names (prefetched ``logins`` are used)."""
    logins = sorted(identity.logins.all(), key=lambda login: (login.created_at, login.id))
    return {
        "IdentityId": identity.id,
        "Logins": list(dict.fromkeys(login.provider for login in logins)),
        "CreationDate": timestamp(identity.created_at),
        "LastModifiedDate": timestamp(identity.updated_at),
    }


def identity_pool_roles(pool: IdentityPool) -> dict[str, Any]:
    out: dict[str, Any] = {"IdentityPoolId": pool.id, "Roles": dict(pool.roles)}
    if pool.role_mappings:
        out["RoleMappings"] = dict(pool.role_mappings)
    return out


def principal_tag_map(mapping: PrincipalTagMap) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IdentityPoolId": mapping.pool_id,
        "IdentityProviderName": mapping.provider,
        "UseDefaults": mapping.use_defaults,
    }
    if mapping.tags:
        out["PrincipalTags"] = dict(mapping.tags)
    return out
