"""User pools, their users, app clients, client secrets, domains and signing keys.

Models hold entity-local rules only; every state change goes through
``userpools.services``. Settings that Cognito keeps as nested documents (password
policy, Lambda config, message templates, token validity ...) are stored in Cognito's
own shape in a JSON ``settings`` column, validated by the botocore model on the way in;
what is queried or constrained has a column of its own.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from oauth2_provider.models import AbstractApplication

from userpools.crypto import EncryptedTextField
from userpools.ids import new_client_id, user_pool_arn


class UserPool(models.Model):
    class DeletionProtection(models.TextChoices):
        ACTIVE = "ACTIVE"
        INACTIVE = "INACTIVE"

    class Mfa(models.TextChoices):
        OFF = "OFF"
        ON = "ON"
        OPTIONAL = "OPTIONAL"

    class Tier(models.TextChoices):
        LITE = "LITE"
        ESSENTIALS = "ESSENTIALS"
        PLUS = "PLUS"

    # `{region}_{suffix}`; the suffix is mixed into SRP verifiers, so it never changes.
    id = models.CharField(primary_key=True, max_length=55, editable=False)
    name = models.CharField(max_length=128, db_index=True)
    deletion_protection = models.CharField(
        max_length=8, choices=DeletionProtection.choices, default=DeletionProtection.INACTIVE
    )
    mfa_configuration = models.CharField(max_length=8, choices=Mfa.choices, default=Mfa.OFF)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.ESSENTIALS)
    # Everything else CreateUserPool/UpdateUserPool accept, in Cognito's shape.
    settings = models.JSONField(default=dict, blank=True)
    # SmsMfaConfiguration, SoftwareTokenMfaConfiguration, EmailMfaConfiguration, WebAuthnConfiguration.
    mfa_settings = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at", "id"], name="userpool_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def arn(self) -> str:
        return user_pool_arn(self.id)

    @property
    def region(self) -> str:
        return self.id.split("_", 1)[0]

    @property
    def schema(self) -> list[dict]:
        return self.settings.get("SchemaAttributes", [])


class PoolUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Only operators (users in no pool) authenticate through Django's machinery.
        return self.get(pool__isnull=True, username=username)


class User(AbstractUser):
    """A pool user, or (with ``pool`` empty) an operator of the admin console.

    The username is unique within its pool; ``username_key`` holds the form used for
    uniqueness and lookup (lower-cased when the pool is case insensitive).
    """

    username = models.CharField(max_length=128)
    username_key = models.CharField(max_length=128, editable=False)
    pool = models.ForeignKey(UserPool, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = PoolUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "username_key"], name="user_unique_username_in_pool"),
            models.UniqueConstraint(
                fields=["username_key"], condition=Q(pool__isnull=True), name="operator_unique_username"
            ),
        ]

    def save(self, *args, **kwargs):
        # Operators sign in by username_key, so it follows renames. Pool users' keys
        # (case folding per pool) are set by the user services.
        if self.pool_id is None or not self.username_key:
            self.username_key = self.username
        super().save(*args, **kwargs)

    @property
    def is_operator(self) -> bool:
        return self.pool_id is None


class AppClient(AbstractApplication):
    """A Cognito app client; django-oauth-toolkit's Application (DESIGN.md decision 2).

    ``client_id`` is DOT's column, filled with a Cognito-shaped id. Client secrets live
    in :class:`ClientSecret` (encrypted; Cognito returns them in plain text and allows
    two at once), so DOT's hashed ``client_secret`` column stays empty.
    """

    client_id = models.CharField(max_length=100, unique=True, default=new_client_id, db_index=True)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="clients")
    settings = models.JSONField(default=dict, blank=True)

    class Meta(AbstractApplication.Meta):
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class ClientSecret(models.Model):
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="secrets")
    secret_id = models.CharField(max_length=128, unique=True)
    secret = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.secret_id


class UserPoolDomain(models.Model):
    domain = models.CharField(max_length=253, unique=True)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="domains")
    # Present for a custom domain (CustomDomainConfig.CertificateArn); absent for a prefix domain.
    custom_domain_config = models.JSONField(null=True, blank=True)
    managed_login_version = models.PositiveSmallIntegerField(default=1)
    version = models.CharField(max_length=20, default="1")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One prefix domain and one custom domain per pool, as Cognito allows.
            models.UniqueConstraint(
                fields=["pool"], condition=Q(custom_domain_config__isnull=True), name="one_prefix_domain_per_pool"
            ),
            models.UniqueConstraint(
                fields=["pool"], condition=Q(custom_domain_config__isnull=False), name="one_custom_domain_per_pool"
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_custom(self) -> bool:
        return self.custom_domain_config is not None


class SigningKey(models.Model):
    """A pool's RSA key: for SAML request signing (GetSigningCertificate) and, later, JWTs."""

    class Purpose(models.TextChoices):
        SAML = "saml"
        JWT = "jwt"

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="signing_keys")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    kid = models.CharField(max_length=64, unique=True)
    private_key_pem = EncryptedTextField()
    certificate_pem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pool", "purpose", "retired_at"], name="signingkey_active_idx")]

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.purpose}/{self.kid}"


class AuditEvent(models.Model):
    """A security-relevant change, who made it and from where."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=256)
    action = models.CharField(max_length=64, db_index=True)
    pool_id = models.CharField(max_length=55, blank=True, db_index=True)
    target = models.CharField(max_length=256, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
