"""The hosted pages' own state: signed-in browsers, and how a pool's pages look.

Authorization codes are django-oauth-toolkit's ``Grant`` rows (the app client is DOT's
Application, docs/architecture.md, decision 2); tokens are the user pool's (``userpools.RefreshToken``).
Every state change goes through ``hostedui.services``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from userpools.models import AppClient, User, UserPool


class HostedSession(models.Model):
    """A browser signed in to a pool's hosted pages: the ``cognito`` cookie holds the token,
    this row its SHA-256. While it lives, ``/oauth2/authorize`` for any app client of the
    pool signs the browser in without asking again (unless ``prompt=login``)."""

    token_hash = models.CharField(max_length=64, unique=True)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="hosted_sessions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="hosted_sessions")
    auth_time = models.DateTimeField()
    # How the user proved themselves (RFC 8176 values: pwd, mfa, otp, hwk ...).
    methods = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    source_ip = models.CharField(max_length=128, blank=True)
    user_agent = models.CharField(max_length=1024, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"], name="hosted_session_user_idx")]

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.user_id} since {self.auth_time:%Y-%m-%d %H:%M:%S}"


class UICustomization(models.Model):
    """SetUICustomization: CSS (the allowed classes only, sanitized) and a logo for the
    classic hosted pages, for the whole pool (``client`` empty: ClientId ``ALL``) or one
    app client, which then wins over the pool's."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="ui_customizations")
    client = models.ForeignKey(
        AppClient, null=True, blank=True, on_delete=models.CASCADE, related_name="ui_customizations"
    )
    css = models.TextField(blank=True)
    css_version = models.CharField(max_length=64, blank=True)
    image = models.BinaryField(null=True, blank=True)
    image_type = models.CharField(max_length=16, blank=True)  # "png" or "jpeg"
    image_version = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "UI customization"
        constraints = [
            models.UniqueConstraint(fields=["pool"], condition=Q(client__isnull=True), name="ui_one_per_pool"),
            models.UniqueConstraint(fields=["client"], condition=Q(client__isnull=False), name="ui_one_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.client.client_id if self.client_id else 'ALL'}"


class ManagedLoginBranding(models.Model):
    """A managed login style (CreateManagedLoginBranding) of one app client: Cognito's
    settings document and image assets, applied to the pages that client shows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="managed_login_brandings")
    client = models.OneToOneField(AppClient, on_delete=models.CASCADE, related_name="managed_login_branding")
    use_cognito_provided_values = models.BooleanField(default=False)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "managed login branding"

    def __str__(self) -> str:
        return f"{self.pool_id}/{self.client.client_id}"


class ManagedLoginAsset(models.Model):
    """An image of a managed login style (AssetType): one per category and colour mode."""

    branding = models.ForeignKey(ManagedLoginBranding, on_delete=models.CASCADE, related_name="assets")
    category = models.CharField(max_length=32)
    color_mode = models.CharField(max_length=8)
    extension = models.CharField(max_length=8)
    bytes = models.BinaryField(blank=True)
    resource_id = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branding", "category", "color_mode"], name="asset_unique_category_mode"),
        ]

    def __str__(self) -> str:
        return f"{self.category} ({self.color_mode})"


class Terms(models.Model):
    """A terms document of an app client (CreateTerms): terms of use or privacy policy, as
    links per language, shown on the sign-up page."""

    class Name(models.TextChoices):
        TERMS_OF_USE = "terms-of-use"
        PRIVACY_POLICY = "privacy-policy"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="terms")
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=32, choices=Name.choices)
    source = models.CharField(max_length=16, default="LINK")
    enforcement = models.CharField(max_length=16, default="NONE")
    # {"en-US": "https://...", "cognito:default": "https://..."}
    links = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "terms"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="terms_unique_name_per_client")]

    def __str__(self) -> str:
        return f"{self.name} of {self.client.client_id}"
