"""The admin console: every change goes through the services, errors show on the form."""

from __future__ import annotations

import json

import pytest
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import quote
from django.db import connection
from django.urls import reverse

from identity.models import AccessKey
from userpools import ids
from userpools.errors import InvalidParameter
from userpools.models import AppClient, AuditEvent, ClientSecret, User, UserPool, UserPoolDomain
from userpools.services import clients, domains, pools

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(make_operator):
    return make_operator("root", is_superuser=True)


@pytest.fixture
def console(client, operator):
    client.force_login(operator)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _errors(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == messages.ERROR]


def _pool_form(**overrides) -> dict:
    data = {
        "PoolName": "console-pool",
        "UserPoolTier": "ESSENTIALS",
        "DeletionProtection": "INACTIVE",
        "MfaConfiguration": "OFF",
        "MinimumLength": "8",
        "RequireUppercase": "on",
        "RequireLowercase": "on",
        "RequireNumbers": "on",
        "RequireSymbols": "on",
        "TemporaryPasswordValidityDays": "7",
        "advanced": "",
        "_save": "Save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


POOL_ADD = reverse("admin:userpools_userpool_add")


def _pool_change(pool_id: str) -> str:
    return reverse("admin:userpools_userpool_change", args=[quote(pool_id)])


# --- Pages load --------------------------------------------------------------------------


def test_admin_index_loads(console):
    response = console.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"User pools" in response.content


@pytest.mark.parametrize(
    "name",
    [
        "userpools_userpool",
        "userpools_appclient",
        "userpools_userpooldomain",
        "userpools_auditevent",
        "userpools_user",
        "identity_accesskey",
    ],
)
def test_changelists_and_add_pages_load(console, ctx, name):
    pool = pools.user_pool_create(ctx, {"PoolName": "listed"})
    clients.user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "c", "GenerateSecret": True})
    domains.user_pool_domain_create(ctx, {"UserPoolId": pool.id, "Domain": "listed-prefix"})
    assert console.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert console.get(reverse(f"admin:{name}_changelist"), {"q": "listed"}).status_code == 200
    add = console.get(reverse(f"admin:{name}_add"))
    assert add.status_code == (403 if name == "userpools_auditevent" else 200)


def test_change_pages_load(console, ctx, make_access_key):
    pool = pools.user_pool_create(ctx, {"PoolName": "shown"})
    client = clients.user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "c", "GenerateSecret": True})
    domain = domains.user_pool_domain_create(ctx, {"UserPoolId": pool.id, "Domain": "shown-prefix"})
    User.objects.create_user(username="alice", password="pw-alice-123", pool=pool)
    key_id, secret = make_access_key()
    page = console.get(_pool_change(pool.id))
    assert page.status_code == 200
    assert client.client_id.encode() in page.content  # the pool lists its clients, domains and users
    assert b"shown-prefix" in page.content
    assert b"alice" in page.content
    client_page = console.get(reverse("admin:userpools_appclient_change", args=[client.pk]))
    assert client_page.status_code == 200
    assert client.secrets.get().secret_id.encode() in client_page.content
    assert client.secrets.get().secret.encode() not in client_page.content
    assert console.get(reverse("admin:userpools_userpooldomain_change", args=[domain.pk])).status_code == 200
    key_page = console.get(reverse("admin:identity_accesskey_change", args=[AccessKey.objects.get().pk]))
    assert key_page.status_code == 200
    assert secret.encode() not in key_page.content
    event = AuditEvent.objects.first()
    assert console.get(reverse("admin:userpools_auditevent_change", args=[event.pk])).status_code == 200


# --- User pools ----------------------------------------------------------------------------


def test_add_pool_through_the_service(console):
    response = console.post(
        POOL_ADD,
        _pool_form(
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            MinimumLength="10",
            RequireSymbols=None,
            TemporaryPasswordValidityDays="3",
            advanced=json.dumps({"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}),
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    pool = UserPool.objects.get()
    assert pool.name == "console-pool"
    assert pool.id.startswith("us-east-1_")
    assert pool.settings["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 10,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 3,
    }
    assert pool.settings["UsernameAttributes"] == ["email"]
    assert pool.settings["AutoVerifiedAttributes"] == ["email"]
    assert pool.settings["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # One audit event, by the operator: the validating dry run left nothing behind.
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.pool_id) == ("user_pool.create", "operator:root", pool.id)
    assert LogEntry.objects.filter(object_id=pool.id).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"MinimumLength": "3"}, "MinimumLength"),
        ({"advanced": "{not json"}, "advanced"),
        ({"advanced": "[1, 2]"}, "advanced"),
        ({"advanced": json.dumps({"Polices": {}})}, "advanced"),
        ({"advanced": json.dumps({"LambdaConfig": {"PreSignUp": "not-an-arn"}})}, "advanced"),
        ({"PoolName": "bad name!"}, "PoolName"),
        ({"MfaConfiguration": "ON"}, None),
    ],
    ids=["min-length", "bad-json", "not-object", "unknown-member", "bad-lambda-arn", "bad-name", "mfa-without-factor"],
)
def test_invalid_pool_is_redisplayed_and_nothing_is_saved(console, overrides, field):
    response = console.post(POOL_ADD, _pool_form(**overrides))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors
    if field is None:
        assert form.non_field_errors()
    else:
        assert field in form.errors, form.errors
    assert not UserPool.objects.exists()
    assert not AuditEvent.objects.exists()


def test_service_failure_at_save_leaves_nothing_half_saved(console, monkeypatch):
    """Should the real call fail after the dry run passed, everything rolls back and a message says why."""
    real_create = pools.user_pool_create
    calls = []

    def flaky_create(ctx, request):
        calls.append(ctx)
        pool = real_create(ctx, request)
        if len(calls) == 2:  # the dry run passes, the real call writes and then fails
            raise InvalidParameter("Something changed meanwhile.")
        return pool

    monkeypatch.setattr("userpools.admin.pools.pool_services.user_pool_create", flaky_create)
    response = console.post(POOL_ADD, _pool_form(), follow=True)
    assert len(calls) == 2
    assert _errors(response) == ["Something changed meanwhile."]
    assert not UserPool.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not LogEntry.objects.exists()


def test_change_pool_keeps_settings_the_form_does_not_show(console, ctx):
    pool = pools.user_pool_create(
        ctx,
        {
            "PoolName": "before",
            "UsernameAttributes": ["email"],
            "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:pre"},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UserPoolTags": {"team": "id"},
        },
    )
    page = console.get(_pool_change(pool.id))
    initial = page.context["adminform"].form.initial
    assert initial["PoolName"] == "before"
    assert initial["MinimumLength"] == 8
    response = console.post(_pool_change(pool.id), _pool_form(PoolName="after", MinimumLength="12"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    pool.refresh_from_db()
    assert pool.name == "after"
    assert pool.settings["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool.settings["LambdaConfig"] == {"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:pre"}
    assert pool.settings["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool.settings["UsernameAttributes"] == ["email"]
    assert pool.tags == {"team": "id"}
    assert AuditEvent.objects.filter(action="user_pool.update", actor="operator:root").count() == 1

    # null in the advanced JSON returns a setting to its default.
    response = console.post(
        _pool_change(pool.id), _pool_form(PoolName="after", advanced=json.dumps({"LambdaConfig": None}))
    )
    assert response.status_code == 302
    pool.refresh_from_db()
    assert pool.settings["LambdaConfig"] == {}


def test_change_pool_refuses_create_only_settings(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "fixed"})
    response = console.post(
        _pool_change(pool.id), _pool_form(PoolName="fixed", advanced=json.dumps({"AliasAttributes": ["email"]}))
    )
    assert response.status_code == 200
    assert "advanced" in response.context["adminform"].form.errors
    pool.refresh_from_db()
    assert "AliasAttributes" not in pool.settings


def test_delete_protected_pool_shows_an_error(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "keep", "DeletionProtection": "ACTIVE"})
    url = reverse("admin:userpools_userpool_delete", args=[quote(pool.id)])
    assert console.get(url).status_code == 200  # the confirmation page
    response = console.post(url, {"post": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == _pool_change(pool.id)
    assert _errors(response)
    assert UserPool.objects.filter(pk=pool.id).exists()
    assert not LogEntry.objects.filter(object_id=pool.id, action_flag=3).exists()
    assert not AuditEvent.objects.filter(action="user_pool.delete").exists()


def test_delete_pool_through_the_service(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "gone"})
    response = console.post(reverse("admin:userpools_userpool_delete", args=[quote(pool.id)]), {"post": "yes"})
    assert response.status_code == 302
    assert not UserPool.objects.filter(pk=pool.id).exists()
    assert AuditEvent.objects.get(action="user_pool.delete").actor == "operator:root"


def test_pool_ids_that_look_like_the_admins_escapes(console, ctx, monkeypatch):
    """The admin escapes "_" in URLs as "_5F", so a raw "us-east-1_3A..." would be read as
    "us-east-1:..." (no such pool): Cognate's own links quote the id as Django's do."""
    monkeypatch.setattr(ids, "new_user_pool_id", lambda: "us-east-1_3Aquoted")
    pool = pools.user_pool_create(ctx, {"PoolName": "quoted"})
    raw = console.get(reverse("admin:userpools_userpool_change", args=[pool.id]))
    assert raw.status_code == 302  # why the links must quote
    page = console.get(_pool_change(pool.id))
    assert page.status_code == 200
    preview = console.get(reverse("admin:hostedui_pool_preview", args=[pool.id]))
    assert preview.status_code == 200
    assert f'href="{_pool_change(pool.id)}"'.encode() in preview.content
    response = console.post(reverse("admin:userpools_userpool_delete", args=[quote(pool.id)]), {"post": "yes"})
    assert response.status_code == 302
    assert not UserPool.objects.filter(pk=pool.id).exists()


def test_bulk_delete_is_not_offered(console):
    response = console.get(reverse("admin:userpools_userpool_changelist"))
    assert response.status_code == 200
    assert b"delete_selected" not in response.content


# --- App clients and domains ------------------------------------------------------------


def _client_form(pool_id: str, **overrides) -> dict:
    data = {
        "pool": pool_id,
        "ClientName": "console-client",
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "CallbackURLs": "",
        "LogoutURLs": "",
        "AllowedOAuthScopes": "",
        "AccessTokenValidity": "60",
        "AccessTokenUnit": "minutes",
        "IdTokenValidity": "60",
        "IdTokenUnit": "minutes",
        "RefreshTokenValidity": "30",
        "RefreshTokenUnit": "days",
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": "on",
        "advanced": "",
        "_save": "Save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_add_client_shows_the_secret_once(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "apps"})
    response = console.post(
        reverse("admin:userpools_appclient_add"),
        _client_form(
            pool.id,
            GenerateSecret="on",
            CallbackURLs="https://app.example.com/cb\nhttp://localhost:3000/cb",
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes="openid\nemail",
            AllowedOAuthFlowsUserPoolClient="on",
        ),
        follow=True,
    )
    assert response.status_code == 200
    client = AppClient.objects.get()
    secret = ClientSecret.objects.get(client=client).secret
    shown = [m for m in _messages(response) if secret in m]
    assert len(shown) == 1
    assert client.settings["CallbackURLs"] == ["https://app.example.com/cb", "http://localhost:3000/cb"]
    assert client.settings["AllowedOAuthScopes"] == ["openid", "email"]
    assert client.settings["PreventUserExistenceErrors"] == "ENABLED"
    assert AuditEvent.objects.get(action="app_client.create").actor == "operator:root"
    # Later pages do not show it.
    page = console.get(reverse("admin:userpools_appclient_change", args=[client.pk]))
    assert secret.encode() not in page.content


def test_invalid_client_is_redisplayed(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "apps"})
    response = console.post(
        reverse("admin:userpools_appclient_add"), _client_form(pool.id, CallbackURLs="http://evil.example/cb")
    )
    assert response.status_code == 200
    assert "CallbackURLs" in response.context["adminform"].form.errors
    assert not AppClient.objects.exists()


def test_change_client_keeps_other_settings(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "apps"})
    client = clients.user_pool_client_create(
        ctx, {"UserPoolId": pool.id, "ClientName": "c", "ReadAttributes": ["email"], "AuthSessionValidity": 10}
    )
    url = reverse("admin:userpools_appclient_change", args=[client.pk])
    form = console.get(url).context["adminform"].form
    assert form.initial["AccessTokenUnit"] == "minutes"
    response = console.post(
        url, _client_form(pool.id, ClientName="renamed", AccessTokenValidity="2", AccessTokenUnit="hours")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    client.refresh_from_db()
    assert client.name == "renamed"
    assert client.settings["AccessTokenValidity"] == 2
    assert client.settings["TokenValidityUnits"]["AccessToken"] == "hours"
    assert client.settings["ReadAttributes"] == ["email"]
    assert client.settings["AuthSessionValidity"] == 10


def test_delete_client_through_the_service(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "apps"})
    client = clients.user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "c"})
    response = console.post(reverse("admin:userpools_appclient_delete", args=[client.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AppClient.objects.exists()
    assert AuditEvent.objects.get(action="app_client.delete").target == client.client_id


def test_domain_add_and_delete(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "hosted"})
    add = reverse("admin:userpools_userpooldomain_add")
    form = {"pool": pool.id, "Domain": "my-login", "CertificateArn": "", "ManagedLoginVersion": "1", "_save": "Save"}
    assert console.post(add, form).status_code == 302
    domain = UserPoolDomain.objects.get()
    assert AuditEvent.objects.get(action="domain.create").actor == "operator:root"

    reserved = console.post(add, {**form, "Domain": "my-cognito"})
    assert reserved.status_code == 200
    assert "Domain" in reserved.context["adminform"].form.errors

    # A pool with a domain cannot be deleted: the service says so.
    refused = console.post(
        reverse("admin:userpools_userpool_delete", args=[quote(pool.id)]), {"post": "yes"}, follow=True
    )
    assert _errors(refused)
    assert UserPool.objects.filter(pk=pool.id).exists()

    deleted = console.post(reverse("admin:userpools_userpooldomain_delete", args=[domain.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not UserPoolDomain.objects.exists()
    assert AuditEvent.objects.filter(action="domain.delete").exists()


# --- Access keys ----------------------------------------------------------------------------


def test_create_access_key_shows_the_secret_once_and_stores_it_encrypted(console, operator):
    response = console.post(
        reverse("admin:identity_accesskey_add"),
        {"operator": operator.pk, "description": "ci", "policy": "", "_save": "Save"},
        follow=True,
    )
    assert response.status_code == 200
    key = AccessKey.objects.get()
    secret = key.secret_access_key
    assert len(secret) == 40
    shown = [m for m in _messages(response) if secret in m]
    assert len(shown) == 1
    assert shown[0].count(secret) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_access_key FROM identity_accesskey WHERE id = %s", [key.pk])
        (stored,) = cursor.fetchone()
    assert stored != secret
    assert secret not in stored
    assert key.policy["Statement"][0]["Action"] == ["cognito-idp:*", "cognito-identity:*", "iam:PassRole"]
    assert AuditEvent.objects.get(action="access_key.create").actor == "operator:root"
    # Never again: not in the list, not on the change page, not in the add form.
    for url in (
        reverse("admin:identity_accesskey_changelist"),
        reverse("admin:identity_accesskey_change", args=[key.pk]),
        reverse("admin:identity_accesskey_add"),
    ):
        page = console.get(url)
        assert secret.encode() not in page.content
        assert b"secret_access_key" not in page.content


@pytest.mark.parametrize(
    "policy",
    ["{not json", json.dumps({"Version": "2012-10-17", "Statement": "nope"}), json.dumps(["x"])],
    ids=["bad-json", "bad-policy", "not-object"],
)
def test_invalid_policy_is_a_form_error(console, make_access_key, policy):
    make_access_key()
    key = AccessKey.objects.get()
    before = key.policy
    url = reverse("admin:identity_accesskey_change", args=[key.pk])
    response = console.post(url, {"is_active": "on", "policy": policy, "_save": "Save"})
    assert response.status_code == 200
    assert "policy" in response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.policy == before
    assert not AuditEvent.objects.filter(action="access_key.set_policy").exists()


def test_change_access_key_policy_and_deactivate(console, make_access_key):
    make_access_key()
    key = AccessKey.objects.get()
    url = reverse("admin:identity_accesskey_change", args=[key.pk])
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cognito-idp:List*", "Resource": "*"}],
    }
    response = console.post(url, {"policy": json.dumps(policy), "_save": "Save"})  # is_active unticked
    assert response.status_code == 302, response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.is_active is False
    assert key.policy["Statement"][0]["Action"] in ("cognito-idp:List*", ["cognito-idp:List*"])
    actions = set(AuditEvent.objects.filter(actor="operator:root").values_list("action", flat=True))
    assert actions == {"access_key.deactivate", "access_key.set_policy"}

    # Re-saving the form as shown changes (and audits) nothing but what was changed.
    form = console.get(url).context["adminform"].form
    shown_policy = form["policy"].value()
    response = console.post(url, {"is_active": "on", "policy": shown_policy})
    assert response.status_code == 302, response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.is_active is True
    assert AuditEvent.objects.filter(action="access_key.set_policy").count() == 1
    assert AuditEvent.objects.filter(action="access_key.activate").count() == 1


def test_access_keys_cannot_be_deleted_in_the_console(console, make_access_key):
    make_access_key()
    key = AccessKey.objects.get()
    assert console.get(reverse("admin:identity_accesskey_delete", args=[key.pk])).status_code == 403


# --- Operators and pool users -------------------------------------------------------------


def test_pool_user_cannot_sign_in_to_the_console(client, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "customers"})
    User.objects.create_user(username="mallory", password="pw-mallory-123", pool=pool, is_staff=True, is_superuser=True)
    assert client.login(username="mallory", password="pw-mallory-123") is False
    response = client.post(
        reverse("admin:login"), {"username": "mallory", "password": "pw-mallory-123", "next": "/admin/"}
    )
    assert response.status_code == 200  # the login form again, not a redirect into the console
    assert response.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 302


def test_pool_user_session_is_not_an_operator(client, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "customers"})
    user = User.objects.create_user(username="eve", password="pw-eve-12345", pool=pool, is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_operator_signs_in_with_password(client, operator):
    response = client.post(reverse("admin:login"), {"username": "root", "password": "pw-root", "next": "/admin/"})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_add_operator(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "customers"})
    User.objects.create_user(username="ops2", password="pw-pool-user-1", pool=pool)  # same name, other namespace
    response = console.post(
        reverse("admin:userpools_user_add"),
        {
            "username": "ops2",
            "usable_password": "true",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
            "is_staff": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    operator = User.objects.get(pool__isnull=True, username="ops2")
    assert operator.is_staff
    assert operator.username_key == "ops2"
    duplicate = console.post(
        reverse("admin:userpools_user_add"),
        {
            "username": "ops2",
            "usable_password": "true",
            "password1": "x-long-pass-phrase-42",
            "password2": "x-long-pass-phrase-42",
            "_save": "Save",
        },
    )
    assert duplicate.status_code == 200
    assert "username" in duplicate.context["adminform"].form.errors


def test_operator_list_leaves_pool_users_out(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "customers"})
    pool_user = User.objects.create_user(username="customer-1", password="pw-customer-1", pool=pool)
    response = console.get(reverse("admin:userpools_user_changelist"))
    assert b"customer-1" not in response.content
    assert console.get(reverse("admin:userpools_user_change", args=[pool_user.pk])).status_code == 302


def test_renamed_operator_signs_in_with_the_new_name(console, make_operator, client):
    other = make_operator("old-name")
    url = reverse("admin:userpools_user_change", args=[other.pk])
    assert console.get(url).status_code == 200
    joined = other.date_joined
    data = {
        "username": "new-name",
        "is_staff": "on",
        "is_active": "on",
        "date_joined_0": joined.date().isoformat(),
        "date_joined_1": joined.time().strftime("%H:%M:%S"),
        "_save": "Save",
    }
    response = console.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    other.refresh_from_db()
    assert other.username_key == "new-name"
    assert client.login(username="new-name", password="pw-old-name")


def test_audit_log_is_read_only(console, ctx):
    pools.user_pool_create(ctx, {"PoolName": "audited"})
    event = AuditEvent.objects.get()
    changelist = reverse("admin:userpools_auditevent_changelist")
    assert console.get(changelist, {"action": "user_pool.create"}).status_code == 200
    delete = reverse("admin:userpools_auditevent_delete", args=[event.pk])
    assert console.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_change_domain_through_the_service(console, ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "hosted"})
    domain = domains.user_pool_domain_create(ctx, {"UserPoolId": pool.id, "Domain": "my-login"})
    url = reverse("admin:userpools_userpooldomain_change", args=[domain.pk])
    response = console.post(url, {"ManagedLoginVersion": "2", "_save": "Save"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    domain.refresh_from_db()
    assert domain.managed_login_version == 2
    assert domain.domain == "my-login"
    assert AuditEvent.objects.get(action="domain.update").actor == "operator:root"
