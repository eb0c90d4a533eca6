"""Query counts of the directory's hot reads, pinned: AdminGetUser, a ListUsers page
(unfiltered and filtered, first and later pages) and a ListUsersInGroup page."""

from __future__ import annotations

import json

import pytest

from userpools.context import ServiceContext
from userpools.models import GroupMembership, User, UserGroup
from userpools.services import users
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated():
    pool = user_pool_create(ServiceContext(), {"PoolName": "q"})
    for i in range(12):
        users.user_create(
            ServiceContext(),
            pool=pool,
            username=f"user{i:02}",
            password=None,
            attributes={"email": f"user{i:02}@example.com", "given_name": f"G{i % 3}"},
            status=User.Status.CONFIRMED,
        )
    return pool


def warm(signed) -> None:
    signed("ListUserPools", {"MaxResults": 1})  # first use stamps last_used_at and caches the key


def test_admin_get_user_queries(signed, populated, django_assert_num_queries):
    warm(signed)
    with django_assert_num_queries(2):  # the pool (then cached in process), the user
        response = signed("AdminGetUser", {"UserPoolId": populated.id, "Username": "user03"})
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["Username"] == "user03"
    with django_assert_num_queries(1):  # the user
        response = signed("AdminGetUser", {"UserPoolId": populated.id, "Username": "user04"})
    assert json.loads(response.content)["Username"] == "user04"


def test_admin_get_user_sees_pool_changes_at_once(signed, populated, django_capture_on_commit_callbacks):
    """The cached pool is dropped when the pool is saved or deleted in this process, once the
    change commits (userpools/services/memo.py: the test's transaction never commits, so the
    request's on-commit callbacks are run as its commit would)."""
    warm(signed)
    assert signed("AdminGetUser", {"UserPoolId": populated.id, "Username": "user03"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert signed("DeleteUserPool", {"UserPoolId": populated.id}).status_code == 200
    response = signed("AdminGetUser", {"UserPoolId": populated.id, "Username": "user03"})
    assert response.status_code == 400
    assert json.loads(response.content)["__type"] == "ResourceNotFoundException"


@pytest.mark.parametrize("filter_", [None, 'email ^= "user"', 'given_name = "G1"', 'cognito:user_status = "confirmed"'])
def test_list_users_page_queries(signed, populated, django_assert_num_queries, filter_):
    warm(signed)
    params = {"UserPoolId": populated.id, "Limit": 3, **({"Filter": filter_} if filter_ else {})}
    signed("ListUsers", params)  # on PostgreSQL the first prefix filter asks the collation once
    with django_assert_num_queries(2):  # the pool, the page
        response = signed("ListUsers", params)
    body = json.loads(response.content)
    assert len(body["Users"]) == 3, body
    with django_assert_num_queries(2):  # a later page costs the same
        response = signed("ListUsers", {**params, "PaginationToken": body["PaginationToken"]})
    assert response.status_code == 200, response.content


def test_list_users_in_group_queries(signed, populated, django_assert_num_queries):
    group = UserGroup.objects.create(pool=populated, name="g")
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, user=u) for u in User.objects.filter(pool=populated)]
    )
    warm(signed)
    with django_assert_num_queries(2):  # the group, then the members with their users in one query
        response = signed("ListUsersInGroup", {"UserPoolId": populated.id, "GroupName": "g", "Limit": 5})
    assert len(json.loads(response.content)["Users"]) == 5
