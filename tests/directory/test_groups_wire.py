"""Groups over the wire: CreateGroup, GetGroup, UpdateGroup, DeleteGroup, ListGroups,
AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminListGroupsForUser, ListUsersInGroup."""

from __future__ import annotations

import pytest

from tests.userpools.conftest import call_error
from userpools.models import AuditEvent, GroupMembership

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"
ROLE = "arn:aws:iam::123456789012:role/admins"
OTHER_ROLE = "arn:aws:iam::123456789012:role/others"


def group_names(response) -> list[str]:
    return [g["GroupName"] for g in response["Groups"]]


def test_create_and_get_group(idp, pool_id):
    group = idp.create_group(
        UserPoolId=pool_id, GroupName="admins", Description="The admins", RoleArn=ROLE, Precedence=1
    )["Group"]
    assert group["GroupName"] == "admins" and group["UserPoolId"] == pool_id
    assert group["Description"] == "The admins" and group["RoleArn"] == ROLE and group["Precedence"] == 1
    assert group["CreationDate"] and group["LastModifiedDate"]
    assert idp.get_group(UserPoolId=pool_id, GroupName="admins")["Group"] == group
    bare = idp.create_group(UserPoolId=pool_id, GroupName="bare")["Group"]
    assert set(bare) == {"GroupName", "UserPoolId", "CreationDate", "LastModifiedDate"}
    assert AuditEvent.objects.filter(action="group.create", target="admins").exists()


def test_create_group_errors(idp, raw_idp, pool_id):
    idp.create_group(UserPoolId=pool_id, GroupName="dup")
    assert call_error(idp.create_group, UserPoolId=pool_id, GroupName="dup") == "GroupExistsException"
    assert call_error(idp.create_group, UserPoolId=UNKNOWN_POOL, GroupName="g") == "ResourceNotFoundException"
    assert (
        call_error(raw_idp.create_group, UserPoolId=pool_id, GroupName="g", RoleArn="not-an-arn")
        == "InvalidParameterException"
    )
    assert (
        call_error(raw_idp.create_group, UserPoolId=pool_id, GroupName="g", Precedence=-1)
        == "InvalidParameterException"
    )
    assert call_error(raw_idp.create_group, UserPoolId=pool_id, GroupName="") == "InvalidParameterException"
    assert (
        call_error(raw_idp.create_group, UserPoolId=pool_id, GroupName="g", Description="nul\x00")
        == "InvalidParameterException"
    )
    # Names are per pool and case-sensitive.
    idp.create_group(UserPoolId=pool_id, GroupName="DUP")


def test_get_group_errors(idp, pool_id):
    assert call_error(idp.get_group, UserPoolId=pool_id, GroupName="none") == "ResourceNotFoundException"
    assert call_error(idp.get_group, UserPoolId=UNKNOWN_POOL, GroupName="none") == "ResourceNotFoundException"


def test_update_group_changes_only_what_it_is_given(idp, pool_id):
    idp.create_group(UserPoolId=pool_id, GroupName="ops", Description="d", RoleArn=ROLE, Precedence=5)
    group = idp.update_group(UserPoolId=pool_id, GroupName="ops", Precedence=2)["Group"]
    assert (group["Description"], group["RoleArn"], group["Precedence"]) == ("d", ROLE, 2)
    group = idp.update_group(UserPoolId=pool_id, GroupName="ops", RoleArn=OTHER_ROLE, Description="")["Group"]
    assert "Description" not in group and group["RoleArn"] == OTHER_ROLE and group["Precedence"] == 2
    assert idp.get_group(UserPoolId=pool_id, GroupName="ops")["Group"] == group
    assert (
        call_error(idp.update_group, UserPoolId=pool_id, GroupName="none", Precedence=1) == "ResourceNotFoundException"
    )


def test_delete_group(idp, pool_id, make_user):
    idp.create_group(UserPoolId=pool_id, GroupName="temp")
    make_user(pool_id, "ann")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="ann", GroupName="temp")
    idp.delete_group(UserPoolId=pool_id, GroupName="temp")
    assert not GroupMembership.objects.exists()
    assert call_error(idp.get_group, UserPoolId=pool_id, GroupName="temp") == "ResourceNotFoundException"
    assert call_error(idp.delete_group, UserPoolId=pool_id, GroupName="temp") == "ResourceNotFoundException"
    assert idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="ann")["Groups"] == []


def test_list_groups_pages_in_name_order(idp, raw_idp, pool_id, make_pool):
    for name in ("delta", "alpha", "echo", "charlie", "bravo"):
        idp.create_group(UserPoolId=pool_id, GroupName=name)
    idp.create_group(UserPoolId=make_pool("other")["Id"], GroupName="zulu")
    first = idp.list_groups(UserPoolId=pool_id, Limit=2)
    assert group_names(first) == ["alpha", "bravo"]
    second = idp.list_groups(UserPoolId=pool_id, Limit=2, NextToken=first["NextToken"])
    third = idp.list_groups(UserPoolId=pool_id, Limit=2, NextToken=second["NextToken"])
    assert group_names(second) == ["charlie", "delta"] and group_names(third) == ["echo"]
    assert "NextToken" not in third
    assert group_names(idp.list_groups(UserPoolId=pool_id)) == ["alpha", "bravo", "charlie", "delta", "echo"]
    paginator = idp.get_paginator("list_groups")
    assert [
        g["GroupName"]
        for p in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
        for g in p["Groups"]
    ] == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert call_error(raw_idp.list_groups, UserPoolId=pool_id, NextToken="garbage") == "InvalidParameterException"
    assert call_error(idp.list_groups, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


def test_membership(idp, pool_id, make_user):
    make_user(pool_id, "bea", email="bea@example.com")
    make_user(pool_id, "cid")
    for name, precedence in (("readers", 10), ("writers", 5), ("admins", 1)):
        idp.create_group(UserPoolId=pool_id, GroupName=name, Precedence=precedence)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bea", GroupName="writers")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bea", GroupName="readers")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="bea", GroupName="readers")  # idempotent
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="cid", GroupName="readers")
    groups = idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="bea")
    assert group_names(groups) == ["readers", "writers"]
    assert groups["Groups"][0]["Precedence"] == 10
    readers = idp.list_users_in_group(UserPoolId=pool_id, GroupName="readers")
    assert [u["Username"] for u in readers["Users"]] == ["bea", "cid"]
    assert {a["Name"] for a in readers["Users"][0]["Attributes"]} >= {"sub", "email"}

    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="bea", GroupName="readers")
    idp.admin_remove_user_from_group(UserPoolId=pool_id, Username="bea", GroupName="readers")  # not a member: fine
    assert group_names(idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="bea")) == ["writers"]
    assert [u["Username"] for u in idp.list_users_in_group(UserPoolId=pool_id, GroupName="readers")["Users"]] == ["cid"]
    assert AuditEvent.objects.filter(action="group.member_add").count() == 3
    assert AuditEvent.objects.filter(action="group.member_remove").count() == 1


def test_membership_by_alias_and_sub(idp, make_pool):
    pool_id = make_pool("byemail", UsernameAttributes=["email"])["Id"]
    idp.admin_create_user(UserPoolId=pool_id, Username="dee@example.com", MessageAction="SUPPRESS")
    idp.create_group(UserPoolId=pool_id, GroupName="g")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="dee@example.com", GroupName="g")
    assert group_names(idp.admin_list_groups_for_user(UserPoolId=pool_id, Username="dee@example.com")) == ["g"]


def test_membership_pages(idp, raw_idp, pool_id, make_user):
    idp.create_group(UserPoolId=pool_id, GroupName="all")
    for i in range(5):
        make_user(pool_id, f"m{i}", password=None)
        idp.create_group(UserPoolId=pool_id, GroupName=f"g{i}")
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=f"m{i}", GroupName="all")
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username="m0", GroupName=f"g{i}")
    seen, token = [], None
    while True:
        page = idp.list_users_in_group(
            UserPoolId=pool_id, GroupName="all", Limit=2, **({"NextToken": token} if token else {})
        )
        seen += [u["Username"] for u in page["Users"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"m{i}" for i in range(5)]
    seen, token = [], None
    while True:
        page = idp.admin_list_groups_for_user(
            UserPoolId=pool_id, Username="m0", Limit=4, **({"NextToken": token} if token else {})
        )
        seen += group_names(page)
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["all", "g0", "g1", "g2", "g3", "g4"]
    assert (
        call_error(raw_idp.list_users_in_group, UserPoolId=pool_id, GroupName="all", NextToken="garbage")
        == "InvalidParameterException"
    )
    assert (
        call_error(raw_idp.admin_list_groups_for_user, UserPoolId=pool_id, Username="m0", NextToken="garbage")
        == "InvalidParameterException"
    )


@pytest.mark.parametrize(
    "operation",
    ["admin_add_user_to_group", "admin_remove_user_from_group"],
)
def test_membership_errors(idp, pool_id, make_user, operation):
    make_user(pool_id, "eva")
    idp.create_group(UserPoolId=pool_id, GroupName="g")
    call = getattr(idp, operation)
    assert call_error(call, UserPoolId=pool_id, Username="nobody", GroupName="g") == "UserNotFoundException"
    assert call_error(call, UserPoolId=pool_id, Username="eva", GroupName="none") == "ResourceNotFoundException"
    assert call_error(call, UserPoolId=UNKNOWN_POOL, Username="eva", GroupName="g") == "ResourceNotFoundException"


def test_listing_errors(idp, pool_id):
    assert call_error(idp.admin_list_groups_for_user, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"
    assert call_error(idp.list_users_in_group, UserPoolId=pool_id, GroupName="none") == "ResourceNotFoundException"
    assert call_error(idp.list_users_in_group, UserPoolId=UNKNOWN_POOL, GroupName="g") == "ResourceNotFoundException"


def test_a_deleted_user_leaves_its_groups(idp, pool_id, make_user):
    make_user(pool_id, "fox")
    idp.create_group(UserPoolId=pool_id, GroupName="g")
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="fox", GroupName="g")
    idp.admin_delete_user(UserPoolId=pool_id, Username="fox")
    assert idp.list_users_in_group(UserPoolId=pool_id, GroupName="g")["Users"] == []
