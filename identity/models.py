"""Caller credentials: operator access keys for the SigV4-signed admin API.

Identity pools, their identities and the credentials they issue share the
policy evaluator (:mod:`identity.policy`) and the SigV4 verifier (:mod:`identity.sigv4`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from userpools.crypto import EncryptedTextField

# The policy a new key gets unless another is given: everything Cognate serves, including
# handing roles to identity pools and groups (iam:PassRole, checked by
# config/wire/registry.py's authorizations and the REST group endpoints).
FULL_ACCESS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["cognito-idp:*", "cognito-identity:*", "iam:PassRole"], "Resource": "*"},
    ],
}


def full_access_policy() -> dict:
    return {"Version": FULL_ACCESS_POLICY["Version"], "Statement": [dict(s) for s in FULL_ACCESS_POLICY["Statement"]]}


class AccessKey(models.Model):
    """An operator's access key (AWS-style id and secret), with an IAM-style policy."""

    access_key_id = models.CharField(max_length=128, unique=True)
    secret_access_key = EncryptedTextField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="access_keys",
        limit_choices_to={"pool__isnull": True},
    )
    description = models.CharField(max_length=256, blank=True)
    is_active = models.BooleanField(default=True)
    policy = models.JSONField(default=full_access_policy)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.access_key_id


# --- Identity pools --------------------------------------------------------------------------


class IdentityPool(models.Model):
    """An identity pool (CreateIdentityPool). Cognito-shaped settings are kept as the API
    gives them: ``supported_login_providers`` {provider: app id}, ``cognito_identity_providers``
    [{ProviderName, ClientId, ServerSideTokenCheck}], ``roles`` {"authenticated": arn,
    "unauthenticated": arn}, ``role_mappings`` {provider: RoleMapping},
    ``principal_tags`` {provider: {"UseDefaults": bool, "PrincipalTags": {tag: claim}}}.
    ``broker`` says who issues credentials: Cognate itself or an STS endpoint."""

    class Broker(models.TextChoices):
        BUILTIN = "builtin"
        STS = "sts"

    id = models.CharField(max_length=55, primary_key=True)  # "{region}:{uuid}"
    name = models.CharField(max_length=128)
    allow_unauthenticated = models.BooleanField(default=False)
    allow_classic_flow = models.BooleanField(default=False)
    supported_login_providers = models.JSONField(default=dict, blank=True)
    developer_provider_name = models.CharField(max_length=128, blank=True)
    open_id_connect_provider_arns = models.JSONField(default=list, blank=True)
    cognito_identity_providers = models.JSONField(default=list, blank=True)
    saml_provider_arns = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    roles = models.JSONField(default=dict, blank=True)
    role_mappings = models.JSONField(default=dict, blank=True)
    principal_tags = models.JSONField(default=dict, blank=True)
    broker = models.CharField(max_length=16, choices=Broker.choices, default=Broker.BUILTIN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class Identity(models.Model):
    """An identity in a pool (GetId): unauthenticated until a login is linked."""

    id = models.CharField(max_length=55, primary_key=True)  # "{region}:{uuid}"
    pool = models.ForeignKey(IdentityPool, on_delete=models.CASCADE, related_name="identities")
    disabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["pool", "id"], name="identity_pool_idx")]

    def __str__(self) -> str:
        return self.id


class IdentityLogin(models.Model):
    """A login linked to an identity: a provider name (``accounts.google.com``,
    ``cognito-idp.{region}.amazonaws.com/{UserPoolId}``, an OIDC issuer, the developer
    provider name) and the subject it vouches for. One identity per (pool, provider, subject)."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="logins")
    pool = models.ForeignKey(IdentityPool, on_delete=models.CASCADE, related_name="logins")
    provider = models.CharField(max_length=2048)
    subject = models.CharField(max_length=2048)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "provider", "subject"], name="identity_login_unique")]

    def __str__(self) -> str:
        return f"{self.provider} login of {self.identity_id}"


class OpenIdProvider(models.Model):
    """An OpenID Connect provider registered with Cognate (what an IAM OIDC provider ARN
    names in OpenIdConnectProviderARNs): its issuer, accepted audiences and JWKS URL."""

    arn = models.CharField(max_length=2048, unique=True)
    issuer = models.CharField(max_length=2048)
    client_ids = models.JSONField(default=list, blank=True)
    jwks_url = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.arn


class Role(models.Model):
    """An IAM-style role managed in Cognate: the permissions policy of credentials issued
    for it (evaluated by identity.policy), who may assume it, and their longest lifetime.

    ``trust_policy`` is the role's trust policy in AWS's own form (a Principal
    ``{"Federated": "cognito-identity.amazonaws.com"}``, Action
    ``sts:AssumeRoleWithWebIdentity``, and conditions on
    ``cognito-identity.amazonaws.com:aud`` (the identity pool) and ``...:amr``
    (``authenticated`` / ``unauthenticated``)), evaluated by
    :func:`identity.policy.evaluate_trust` before the built-in broker issues credentials.
    Empty: the role trusts nobody."""

    arn = models.CharField(max_length=2048, unique=True)  # arn:aws:iam::{account}:role/{name}
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=1000, blank=True)
    policy = models.JSONField(default=dict)
    trust_policy = models.JSONField(default=dict, blank=True)
    max_session_seconds = models.PositiveIntegerField(default=3600)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.arn


class TemporaryCredential(models.Model):
    """Credentials Cognate's built-in broker issued (GetCredentialsForIdentity): an access
    key id, its secret (encrypted), the SHA-256 of the session token, and what they act as
    — the identity, the role, the principal tags — until ``expires_at``."""

    access_key_id = models.CharField(max_length=128, unique=True)
    secret_access_key = EncryptedTextField()
    session_token_hash = models.CharField(max_length=64)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="credentials")
    role = models.ForeignKey(Role, null=True, on_delete=models.CASCADE, related_name="credentials")
    role_arn = models.CharField(max_length=2048)
    authenticated = models.BooleanField(default=False)
    principal_tags = models.JSONField(default=dict, blank=True)
    claims = models.JSONField(default=dict, blank=True)  # what policy variables may read
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.access_key_id
