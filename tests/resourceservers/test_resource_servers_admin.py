"""The admin console's resource servers: every change goes through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.resourceservers.conftest import API, SCOPES
from userpools.context import ServiceContext
from userpools.models import AuditEvent, ResourceServer
from userpools.services import pools, resource_servers

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="test")


@pytest.fixture
def console(client, make_operator):
    client.force_login(make_operator("root", is_superuser=True))
    return client


@pytest.fixture
def pool():
    return pools.user_pool_create(CTX, {"PoolName": "console"})


def _post(console, url, pool, **overrides):
    data = {
        "pool": pool.id,
        "Identifier": API,
        "Name": "Orders API",
        "Scopes": "read Read the data\nwrite Change it",
        "_save": "Save",
        **overrides,
    }
    return console.post(url, data)


def test_pages_load(console, pool):
    server = resource_servers.resource_server_create(
        CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "a", "Scopes": SCOPES}
    )
    for url in (
        reverse("admin:userpools_resourceserver_changelist"),
        reverse("admin:userpools_resourceserver_add"),
        reverse("admin:userpools_resourceserver_change", args=[server.pk]),
        reverse("admin:userpools_resourceserver_delete", args=[server.pk]),
    ):
        response = console.get(url)
        assert response.status_code == 200, url
    change = console.get(reverse("admin:userpools_resourceserver_change", args=[server.pk])).content.decode()
    assert f"{API}/read" in change and "Read the data" in change


def test_add_goes_through_the_service(console, pool):
    response = _post(console, reverse("admin:userpools_resourceserver_add"), pool)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    server = ResourceServer.objects.get(pool=pool)
    assert server.identifier == API and server.name == "Orders API"
    assert server.scopes == [
        {"ScopeName": "read", "ScopeDescription": "Read the data"},
        {"ScopeName": "write", "ScopeDescription": "Change it"},
    ]
    assert AuditEvent.objects.filter(action="resource_server.create", target=API, actor="operator:root").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"Identifier": "has space"}, "Identifier"),
        ({"Name": "bad!"}, "Name"),
        ({"Scopes": "read"}, "Scopes"),  # no description
        ({"Scopes": "a/b slash"}, "Scopes"),
        ({"Scopes": "read one\nread two"}, "Scopes"),  # duplicate names
    ],
)
def test_invalid_input_is_a_form_error(console, pool, overrides, field):
    response = _post(console, reverse("admin:userpools_resourceserver_add"), pool, **overrides)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors, response.context["adminform"].form.errors
    assert not ResourceServer.objects.exists()


def test_duplicate_identifier_and_quota_are_form_errors(console, pool):
    resource_servers.resource_server_create(CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "a"})
    response = _post(console, reverse("admin:userpools_resourceserver_add"), pool)
    assert "Identifier" in response.context["adminform"].form.errors
    for i in range(1, resource_servers.MAX_RESOURCE_SERVERS_PER_POOL):
        resource_servers.resource_server_create(CTX, {"UserPoolId": pool.id, "Identifier": f"api-{i}", "Name": "a"})
    response = _post(console, reverse("admin:userpools_resourceserver_add"), pool, Identifier="one-more")
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert ResourceServer.objects.filter(pool=pool).count() == resource_servers.MAX_RESOURCE_SERVERS_PER_POOL


def test_change_replaces_name_and_scopes(console, pool):
    server = resource_servers.resource_server_create(
        CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "a", "Scopes": SCOPES}
    )
    url = reverse("admin:userpools_resourceserver_change", args=[server.pk])
    # The pool and the identifier are fixed: posted values for them are ignored.
    response = _post(
        console, url, pool, Identifier="https://moved.example.com", Name="Renamed", Scopes="admin All of it"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    server.refresh_from_db()
    assert (server.identifier, server.name) == (API, "Renamed")
    assert server.scopes == [{"ScopeName": "admin", "ScopeDescription": "All of it"}]
    assert AuditEvent.objects.filter(action="resource_server.update", target=API, actor="operator:root").exists()
    emptied = _post(console, url, pool, Name="Renamed", Scopes="")
    assert emptied.status_code == 302
    server.refresh_from_db()
    assert server.scopes == []


def test_delete_goes_through_the_service(console, pool):
    server = resource_servers.resource_server_create(CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "a"})
    response = console.post(reverse("admin:userpools_resourceserver_delete", args=[server.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ResourceServer.objects.exists()
    assert AuditEvent.objects.filter(action="resource_server.delete", target=API, actor="operator:root").exists()


def test_no_bulk_delete(console, pool):
    response = console.get(reverse("admin:userpools_resourceserver_changelist"))
    assert "delete_selected" not in response.content.decode()
