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
from django.utils import timezone
from django_otp.models import Device
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
    # A Cognate setting, not Cognito's: public app clients (no secret) may use the authorization
    # code grant without PKCE S256 (hostedui.services.oauth.pkce_required). For legacy clients only.
    pkce_optional_for_public_clients = models.BooleanField(default=False)
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

    ``attributes`` holds the user's attributes in Cognito's names (``email``,
    ``custom:team`` ...) except ``sub``; the attributes ListUsers can filter on are
    mirrored into indexed columns by the user services (never set them directly).
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "UNCONFIRMED"
        CONFIRMED = "CONFIRMED"
        FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
        RESET_REQUIRED = "RESET_REQUIRED"
        EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"
        ARCHIVED = "ARCHIVED"
        UNKNOWN = "UNKNOWN"

    username = models.CharField(max_length=128)
    username_key = models.CharField(max_length=128, editable=False)
    pool = models.ForeignKey(UserPool, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.CONFIRMED)
    attributes = models.JSONField(default=dict, blank=True)
    # Mirrors of filterable attributes (ListUsers), kept by userpools.services.users.
    email = models.CharField(max_length=2048, blank=True)
    phone_number = models.CharField(max_length=2048, blank=True)
    name = models.CharField(max_length=2048, blank=True)
    given_name = models.CharField(max_length=2048, blank=True)
    family_name = models.CharField(max_length=2048, blank=True)
    preferred_username = models.CharField(max_length=2048, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When a temporary password (AdminCreateUser) stops working.
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True)
    # Access and ID tokens issued before this instant are refused (GlobalSignOut).
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    # Failed-password lockout, shared by every server process.
    failed_sign_ins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # SRP (USER_SRP_AUTH): "<salt hex>$<Fernet-encrypted verifier hex>", made whenever the
    # password is set (userpools.services.users.password_set); empty until then.
    srp_verifier = models.TextField(blank=True, default="", editable=False)
    # MFA (SetUserMFAPreference): the factors the user enabled (SMS_MFA, SOFTWARE_TOKEN_MFA,
    # EMAIL_OTP) and the preferred one, if any.
    mfa_enabled = models.JSONField(default=list, blank=True)
    mfa_preferred = models.CharField(max_length=24, blank=True)

    objects = PoolUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "username_key"], name="user_unique_username_in_pool"),
            models.UniqueConstraint(
                fields=["username_key"], condition=Q(pool__isnull=True), name="operator_unique_username"
            ),
        ]
        indexes = [
            # ListUsers: keyset pages in id order, and each filter ordered by (value, id).
            models.Index(fields=["pool", "id"], name="user_pool_id_idx"),
            models.Index(fields=["pool", "username_key", "id"], name="user_pool_username_idx"),
            models.Index(fields=["pool", "email", "id"], name="user_pool_email_idx"),
            models.Index(fields=["pool", "phone_number", "id"], name="user_pool_phone_idx"),
            models.Index(fields=["pool", "name", "id"], name="user_pool_name_idx"),
            models.Index(fields=["pool", "given_name", "id"], name="user_pool_given_name_idx"),
            models.Index(fields=["pool", "family_name", "id"], name="user_pool_family_name_idx"),
            models.Index(fields=["pool", "preferred_username", "id"], name="user_pool_pref_username_idx"),
            models.Index(fields=["pool", "status", "id"], name="user_pool_status_idx"),
            models.Index(fields=["pool", "is_active", "id"], name="user_pool_enabled_idx"),
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


class PoolUser(User):
    """Pool users, for the admin console (operators are the other users)."""

    class Meta:
        proxy = True
        verbose_name = "pool user"


class UserGroup(models.Model):
    """A Cognito group: precedence and role ARN feed the tokens and identity pools."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=128)
    description = models.CharField(max_length=2048, blank=True)
    role_arn = models.CharField(max_length=2048, blank=True)
    precedence = models.PositiveIntegerField(null=True, blank=True)
    members = models.ManyToManyField(User, through="GroupMembership", related_name="pool_groups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "name"], name="group_unique_name_in_pool")]
        indexes = [models.Index(fields=["pool", "name"], name="group_pool_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.pool_id})"


class GroupMembership(models.Model):
    group = models.ForeignKey(UserGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["group", "id"], name="membership_group_idx")]

    def __str__(self) -> str:
        return f"user {self.user_id} in group {self.group_id}"


class VerificationCode(models.Model):
    """A one-time code sent to a user: sign-up confirmation, password reset, attribute check.

    Stored hashed; single use; expires; counts wrong attempts.
    """

    class Purpose(models.TextChoices):
        SIGN_UP = "sign_up"
        RESET_PASSWORD = "reset_password"
        VERIFY_EMAIL = "verify_email"
        VERIFY_PHONE = "verify_phone_number"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="codes")
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "created_at"], name="code_user_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} code of user {self.user_id}"


class PasswordHistory(models.Model):
    """Earlier password hashes, for the pool's PasswordHistorySize."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"an earlier password of user {self.user_id}"


class Delivery(models.Model):
    """A message to a user (code, invitation), sent by a Celery task; failures stay visible."""

    class Medium(models.TextChoices):
        EMAIL = "EMAIL"
        SMS = "SMS"

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    medium = models.CharField(max_length=8, choices=Medium.choices)
    destination = models.CharField(max_length=2048)
    purpose = models.CharField(max_length=32)
    subject = models.CharField(max_length=2048, blank=True)
    # The message body contains the code: kept encrypted, dropped once sent.
    body = EncryptedTextField(blank=True)
    html = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.medium} {self.purpose} to {self.destination} ({self.state})"


class AppClient(AbstractApplication):
    """A Cognito app client; django-oauth-toolkit's Application (docs/architecture.md, decision 2).

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
    """A pool's prefix domain (``{domain}.{COGNATE_DOMAIN_SUFFIX}``) or custom domain.

    A custom domain routes (hosted pages, OAuth endpoints, discovery) only once its owner has
    proved control of it (``verified_at``, userpools.services.domains.custom_domain_verify):
    until then several pools may claim the same name, each with its own token, so nobody can
    squat a name; once one claim is verified no other can be.
    """

    domain = models.CharField(max_length=253, db_index=True)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="domains")
    # Present for a custom domain (CustomDomainConfig.CertificateArn); absent for a prefix domain.
    custom_domain_config = models.JSONField(null=True, blank=True)
    managed_login_version = models.PositiveSmallIntegerField(default=1)
    version = models.CharField(max_length=20, default="1")
    # Custom domains: the value the TXT record _cognate-challenge.{domain} must hold (from secrets).
    verification_token = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_checked_at = models.DateTimeField(null=True, blank=True)
    verification_error = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A name routes to one pool: every prefix domain, and a verified custom domain.
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(custom_domain_config__isnull=True) | Q(verified_at__isnull=False),
                name="domain_routes_to_one_pool",
            ),
            # A pool claims a custom name once.
            models.UniqueConstraint(fields=["domain", "pool"], name="domain_once_per_pool"),
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

    @property
    def routes(self) -> bool:
        """Whether requests for this name reach the pool: a prefix domain, or a verified custom one."""
        return not self.is_custom or self.verified_at is not None

    @property
    def status(self) -> str:
        """DescribeUserPoolDomain's Status (DomainStatusType): CREATING until a custom domain is verified."""
        return "ACTIVE" if self.routes else "CREATING"


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


class ResourceServer(models.Model):
    """An OAuth 2.0 resource server of a pool (CreateResourceServer): its ``identifier`` and
    custom scopes, which app clients may be allowed (``{identifier}/{ScopeName}``) and
    access tokens carry."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="resource_servers")
    identifier = models.CharField(max_length=256)
    name = models.CharField(max_length=256)
    # [{"ScopeName": ..., "ScopeDescription": ...}], in Cognito's shape.
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pool", "identifier"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "identifier"], name="resource_server_unique_identifier"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.pool_id})"

    def scope_names(self) -> list[str]:
        return [f"{self.identifier}/{scope['ScopeName']}" for scope in self.scopes]


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


class RefreshToken(models.Model):
    """An opaque refresh token (stored as a SHA-256 hash).

    ``origin_jti`` is the ``origin_jti`` claim of every ID and access token issued from
    this refresh token, so revoking it revokes them too (RevokeToken).

    One sign-in is one *token session* (``session_id``, Cognito's SessionIdType
    ``tkn`` + 25 lowercase alphanumerics). Without rotation a session is one row; with
    RefreshTokenRotation each refresh adds a row whose ``parent`` is the token it
    replaced, so a session is a tree (a retry within the grace period branches it)
    rooted at the sign-in's row (``parent`` null). Every row of a session has the
    sign-in's ``expires_at``, and revoking a session revokes all its rows. The services
    lock the root row before changing any row of its session.
    """

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="refresh_tokens")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="refresh_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    origin_jti = models.CharField(max_length=64, unique=True)
    session_id = models.CharField(max_length=28, db_index=True, editable=False)
    # Rotation (RefreshTokenRotation): the token this one replaced, and when this one was replaced.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    rotated_at = models.DateTimeField(null=True, blank=True)
    auth_time = models.DateTimeField()
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The caller when this token was issued or last used (ListUserSessions' LastIPAddress, DeviceType).
    last_ip = models.CharField(max_length=128, blank=True)
    device_type = models.CharField(max_length=1024, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Issued by the OAuth 2.0 token endpoint (hosted sign-in): its refreshes carry an ID
    # token only when ``scopes`` has openid, as the sign-in's did.
    oauth = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["user", "revoked_at"], name="refresh_user_active_idx"),
            models.Index(fields=["expires_at"], name="refresh_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"refresh token of session {self.session_id}"


class AuthSession(models.Model):
    """The server side of a challenge ``Session``: opaque to the client, single use, expiring."""

    token_hash = models.CharField(max_length=64, unique=True)
    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="auth_sessions")
    client = models.ForeignKey(AppClient, on_delete=models.CASCADE, related_name="auth_sessions")
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="auth_sessions")
    challenge = models.CharField(max_length=32)
    state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.challenge} session of client {self.client_id}"


class UnknownUserLockout(models.Model):
    """Failed sign-ins naming a user who does not exist, counted as a user's own are
    (``User.failed_sign_ins`` / ``locked_until``), so that with PreventUserExistenceErrors an
    unknown username reaches "Password attempts exceeded" after the same failures, and its
    wrong password costs the same row lock and update as a real user's
    (userpools.signin.lockout). ``key`` is the SHA-256 of the pool's form of the username."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="unknown_user_lockouts")
    key = models.CharField(max_length=64)
    failed_sign_ins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "key"], name="unknown_user_lockout_key")]

    def __str__(self) -> str:
        return f"failures of unknown username {self.key[:12]}… in {self.pool_id}"


class SoftwareToken(Device):
    """A user's TOTP authenticator (AssociateSoftwareToken, VerifySoftwareToken), as a
    django-otp device; a user has at most one. ``secret`` is the verified key (base32, empty
    until VerifySoftwareToken accepts a code; ``confirmed`` says whether there is one);
    ``pending_secret`` a newly associated key that replaces it once verified. Both are
    encrypted at rest. ``last_t`` is the last accepted time step: a code is good once."""

    secret = EncryptedTextField(blank=True)
    pending_secret = EncryptedTextField(blank=True)
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="software_token_one_per_user")]


class UserDevice(models.Model):
    """A device a user signed in from (the pool's DeviceConfiguration): its key, its SRP
    verifier for DEVICE_SRP_AUTH (``<salt hex>$<encrypted verifier hex>``, from ConfirmDevice)
    and whether it is remembered."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="devices")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    device_key = models.CharField(max_length=55, unique=True)
    group_key = models.CharField(max_length=64)
    verifier = models.TextField(blank=True, editable=False)
    name = models.CharField(max_length=1024, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    confirmed = models.BooleanField(default=False)
    remembered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_authenticated_at = models.DateTimeField(null=True, blank=True)
    last_ip = models.CharField(max_length=128, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "id"], name="device_user_idx")]

    def __str__(self) -> str:
        return self.device_key


class WebAuthnCredential(models.Model):
    """A passkey (CompleteWebAuthnRegistration): the authenticator's public key for one
    relying party, and its signature counter."""

    pool = models.ForeignKey(UserPool, on_delete=models.CASCADE, related_name="webauthn_credentials")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_credentials")
    credential_id = models.CharField(max_length=1024, unique=True)  # base64url
    public_key = models.BinaryField()  # COSE
    sign_count = models.BigIntegerField(default=0)
    relying_party_id = models.CharField(max_length=253)
    friendly_name = models.CharField(max_length=256, blank=True)
    transports = models.JSONField(default=list, blank=True)
    authenticator_attachment = models.CharField(max_length=32, blank=True)
    aaguid = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.friendly_name or f"passkey {self.pk} of user {self.user_id}"


class WebAuthnChallenge(models.Model):
    """A registration in progress (StartWebAuthnRegistration): the challenge the
    authenticator must sign, single use, expiring."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webauthn_challenges")
    challenge = models.CharField(max_length=128, unique=True)  # base64url
    relying_party_id = models.CharField(max_length=253)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"passkey challenge of user {self.user_id}"


class LimitCounter(models.Model):
    """A count of events (codes sent, wrong passwords) under ``key`` within a window ending at
    ``window_ends``: one row every server process counts into (userpools.services.limits)."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key


# Federation's models live in their own module (this one stays under 700 lines); importing
# them here registers them with the app.
from userpools.models_federation import IdentityProvider, IdentityProviderIdentifier, ProviderLink  # noqa: E402, F401
