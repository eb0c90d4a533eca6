"""The admin console's user directory: pool users, groups and deliveries, through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from userpools.context import ServiceContext
from userpools.models import AuditEvent, Delivery, User, UserGroup
from userpools.services import directory, groups, pools

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="test")


@pytest.fixture
def console(client, make_operator):
    client.force_login(make_operator("root", is_superuser=True))
    return client


@pytest.fixture
def pool():
    return pools.user_pool_create(
        CTX, {"PoolName": "dir", "Schema": [{"Name": "team", "AttributeDataType": "String", "Mutable": False}]}
    )


def _add(console, pool, **overrides):
    data = {
        "pool_choice": pool.id,
        "new_username": "ada",
        "email": "ada@example.com",
        "phone_number": "",
        "temporary_password": "",
        "other_attributes": "",
        "send_invitation": "on",
        "_save": "Save",
        **overrides,
    }
    return console.post(reverse("admin:userpools_pooluser_add"), data)


def test_pages_load(console, pool):
    user = directory.user_admin_create(CTX, pool_id=pool.id, username="bob", message_action="SUPPRESS")
    for url in (
        reverse("admin:userpools_pooluser_changelist"),
        reverse("admin:userpools_pooluser_add"),
        reverse("admin:userpools_pooluser_change", args=[user.pk]),
        reverse("admin:userpools_usergroup_changelist"),
        reverse("admin:userpools_usergroup_add"),
        reverse("admin:userpools_delivery_changelist"),
    ):
        assert console.get(url).status_code == 200, url


def test_add_user_goes_through_admin_create(console, pool):
    response = _add(console, pool, other_attributes='{"given_name": "Ada"}')
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    user = User.objects.get(pool=pool, username="ada")
    assert user.status == User.Status.FORCE_CHANGE_PASSWORD
    assert user.attributes["given_name"] == "Ada"
    assert AuditEvent.objects.filter(action="user.admin_create", target="ada", actor="operator:root").exists()
    assert Delivery.objects.filter(user=user, medium="EMAIL").exists()  # the invitation


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-email"},
        {"phone_number": "555-1234"},
        {"other_attributes": '{"nosuch": "x"}'},
        {"temporary_password": "short"},
    ],
)
def test_invalid_user_is_a_form_error(console, pool, overrides):
    response = _add(console, pool, **overrides)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(pool=pool).exists()


def test_edit_attributes_respects_the_schema(console, pool):
    user = directory.user_admin_create(
        CTX,
        pool_id=pool.id,
        username="bob",
        message_action="SUPPRESS",
        attributes=[{"Name": "custom:team", "Value": "red"}],
    )
    url = reverse("admin:userpools_pooluser_change", args=[user.pk])
    ok = console.post(url, {"attributes_json": '{"custom:team": "red", "given_name": "Bob"}', "_save": "Save"})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.attributes["given_name"] == "Bob"
    immutable = console.post(url, {"attributes_json": '{"custom:team": "blue", "given_name": "Bob"}', "_save": "Save"})
    assert immutable.status_code == 200 and immutable.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.attributes["custom:team"] == "red"


def test_actions_and_search(console, pool):
    user = directory.user_admin_create(CTX, pool_id=pool.id, username="carol", message_action="SUPPRESS")
    changelist = reverse("admin:userpools_pooluser_changelist")
    console.post(changelist, {"action": "disable_users", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.is_active is False
    console.post(changelist, {"action": "enable_users", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.is_active is True
    found = console.get(changelist, {"q": str(user.sub)})
    assert list(found.context["cl"].result_list) == [user]
    by_status = console.get(changelist, {"status__exact": "CONFIRMED"})
    assert user not in list(by_status.context["cl"].result_list)


def test_groups_through_the_services(console, pool):
    add = reverse("admin:userpools_usergroup_add")
    response = console.post(
        add, {"pool": pool.id, "name": "admins", "description": "", "precedence": "1", "role_arn": "", "_save": "Save"}
    )
    assert response.status_code == 302
    assert UserGroup.objects.get(pool=pool, name="admins").precedence == 1
    duplicate = console.post(
        add, {"pool": pool.id, "name": "admins", "description": "", "precedence": "", "role_arn": "", "_save": "Save"}
    )
    assert duplicate.status_code == 200 and duplicate.context["adminform"].form.errors
    group = groups.group_get(pool_id=pool.id, name="admins")
    console.post(reverse("admin:userpools_usergroup_delete", args=[group.pk]), {"post": "yes"})
    assert not UserGroup.objects.filter(pk=group.pk).exists()


def test_sign_out_everywhere_revokes_refresh_tokens(console, pool):
    from userpools.models import RefreshToken
    from userpools.services import clients, tokens

    user = directory.user_admin_create(CTX, pool_id=pool.id, username="dan", message_action="SUPPRESS")
    client = clients.user_pool_client_create(CTX, {"UserPoolId": pool.id, "ClientName": "c"})
    tokens.tokens_issue(CTX, user=user, client=client)
    console.post(
        reverse("admin:userpools_pooluser_changelist"), {"action": "sign_out_everywhere", "_selected_action": [user.pk]}
    )
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    user.refresh_from_db()
    assert user.tokens_valid_after is not None
