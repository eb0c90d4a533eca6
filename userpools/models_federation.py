"""Federation: a pool's identity providers (CreateIdentityProvider) and the links of
provider identities to pool users (AdminLinkProviderForUser).

Kept apart from ``userpools.models`` (which imports this module, so Django registers the
models with the app); foreign keys name their targets as strings, so this module imports
nothing of ``userpools.models``. Rules live in ``userpools.services.identity_providers``
and ``userpools.services.provider_links``.
"""

from __future__ import annotations

from django.db import models

from userpools.crypto import EncryptedTextField


class IdentityProvider(models.Model):
    """A pool's third-party identity provider: OIDC, SAML or a social provider.

    ``details`` holds ProviderDetails as DescribeIdentityProvider shows them (the caller's
    keys and the ones Cognito adds: discovered endpoints, SAML endpoints, the encryption
    certificate) except the secret, which is ``secret`` (encrypted at rest: an OAuth client
    secret, or Sign in with Apple's private key). ``saml_metadata`` is the IdP's metadata
    document (given as MetadataFile or fetched from MetadataURL) for the SAML sign-in;
    ``encryption_key`` the private key of ActiveEncryptionCertificate (EncryptedResponses).
    """

    class Type(models.TextChoices):
        SAML = "SAML"
        FACEBOOK = "Facebook"
        GOOGLE = "Google"
        LOGIN_WITH_AMAZON = "LoginWithAmazon"
        SIGN_IN_WITH_APPLE = "SignInWithApple"
        OIDC = "OIDC"

    pool = models.ForeignKey("userpools.UserPool", on_delete=models.CASCADE, related_name="identity_providers")
    name = models.CharField(max_length=32)
    provider_type = models.CharField(max_length=16, choices=Type.choices)
    details = models.JSONField(default=dict, blank=True)
    secret = EncryptedTextField(blank=True)
    saml_metadata = models.TextField(blank=True)
    encryption_key = EncryptedTextField(blank=True)
    # {user pool attribute: provider attribute}, in Cognito's shape.
    attribute_mapping = models.JSONField(default=dict, blank=True)
    idp_identifiers = models.JSONField(default=list, blank=True)
    acr_mapping = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "name"], name="identity_provider_unique_name")]
        indexes = [models.Index(fields=["pool", "created_at", "id"], name="identity_provider_list_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.pool_id})"


class IdentityProviderIdentifier(models.Model):
    """One of a provider's IdpIdentifiers: unique within the pool, so that
    GetIdentityProviderByIdentifier (and ``idp_identifier`` at /oauth2/authorize) names one provider."""

    pool = models.ForeignKey("userpools.UserPool", on_delete=models.CASCADE, related_name="idp_identifiers")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identifiers")
    identifier = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "identifier"], name="idp_identifier_unique_in_pool")]

    def __str__(self) -> str:
        return f"{self.identifier} -> {self.provider_id}"


class ProviderLink(models.Model):
    """A provider identity linked to a pool user (AdminLinkProviderForUser): whoever signs in
    through ``provider`` with ``attribute_name`` (``Cognito_Subject``, or a mapped user pool
    attribute) equal to ``attribute_value`` becomes ``user``. ``key`` is the SHA-256 of the
    name and value, unique per provider (a provider identity links to one user)."""

    pool = models.ForeignKey("userpools.UserPool", on_delete=models.CASCADE, related_name="provider_links")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="links")
    user = models.ForeignKey("userpools.User", on_delete=models.CASCADE, related_name="provider_links")
    attribute_name = models.CharField(max_length=256)
    attribute_value = models.TextField()
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "key"], name="provider_link_unique_identity")]
        indexes = [models.Index(fields=["user", "created_at"], name="provider_link_user_idx")]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.attribute_name} -> user {self.user_id}"
