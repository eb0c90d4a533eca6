"""User-pool groups and their members (API reference: CreateGroup, GetGroup, UpdateGroup,
DeleteGroup, ListGroups, AdminAddUserToGroup, AdminRemoveUserFromGroup,
AdminListGroupsForUser, ListUsersInGroup).

A group's precedence and role ARN are stored for the token claims (``cognito:groups``,
``cognito:preferred_role``) and identity pools. Unknown groups are
ResourceNotFoundException, unknown users UserNotFoundException. UpdateGroup changes
only the members it is given (the API reference: "updates any of the properties");
an empty Description clears it. Adding a member twice or removing a non-member is
not an error. Permission checks belong to the caller (the protocol layer).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from userpools.context import ServiceContext
from userpools.errors import GroupExists, ResourceNotFound
from userpools.models import GroupMembership, User, UserGroup, UserPool
from userpools.services import users
from userpools.services.audit import audit_record
from userpools.services.directory import keyset_page, list_limit, user_locate
from userpools.services.pagination import Page, paginate
from userpools.services.pools import user_pool_get


def group_get(*, pool_id: str, name: str, lock: bool = False) -> UserGroup:
    """The group (one query, plus one for the pool when it is missing); ResourceNotFoundException."""
    qs = UserGroup.objects.select_for_update() if lock else UserGroup.objects
    group = qs.filter(pool_id=pool_id, name=name).first()
    if group is None:
        user_pool_get(pool_id)  # an unknown pool says so
        raise ResourceNotFound("Group not found.")
    return group


def _group_in(pool: UserPool, name: str) -> UserGroup:
    group = UserGroup.objects.filter(pool=pool, name=name).first()
    if group is None:
        raise ResourceNotFound("Group not found.")
    return group


@transaction.atomic
def group_create(
    ctx: ServiceContext,
    *,
    pool_id: str,
    name: str,
    description: str | None = None,
    role_arn: str | None = None,
    precedence: int | None = None,
) -> UserGroup:
    """CreateGroup: GroupExistsException when the pool has a group of that name."""
    pool = user_pool_get(pool_id)
    group = UserGroup(
        pool=pool,
        name=name,
        description=users.text_check(description or "", "Description"),
        role_arn=role_arn or "",
        precedence=precedence,
    )
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise GroupExists("A group with the name already exists.") from None
    audit_record(ctx, "group.create", pool_id=pool.id, target=name, precedence=precedence, role_arn=role_arn or "")
    return group


@transaction.atomic
def group_update(
    ctx: ServiceContext,
    *,
    pool_id: str,
    name: str,
    description: str | None = None,
    role_arn: str | None = None,
    precedence: int | None = None,
) -> UserGroup:
    """UpdateGroup: members not given keep their values."""
    group = group_get(pool_id=pool_id, name=name, lock=True)
    changed = []
    if description is not None:
        group.description = users.text_check(description, "Description")
        changed.append("description")
    if role_arn is not None:
        group.role_arn = role_arn
        changed.append("role_arn")
    if precedence is not None:
        group.precedence = precedence
        changed.append("precedence")
    group.save(update_fields=[*changed, "updated_at"])
    audit_record(ctx, "group.update", pool_id=pool_id, target=name, changed=changed)
    return group


@transaction.atomic
def group_delete(ctx: ServiceContext, *, pool_id: str, name: str) -> None:
    group = group_get(pool_id=pool_id, name=name, lock=True)
    group.delete()
    audit_record(ctx, "group.delete", pool_id=pool_id, target=name)


def group_list(*, pool_id: str, limit: int | None, token: str | None) -> Page[UserGroup]:
    """ListGroups, in name order."""
    pool = user_pool_get(pool_id)
    return paginate(UserGroup.objects.filter(pool=pool), order=("name", "id"), limit=list_limit(limit), token=token)


@transaction.atomic
def group_member_add(ctx: ServiceContext, *, pool_id: str, group_name: str, username: str) -> None:
    """AdminAddUserToGroup (idempotent)."""
    pool, user = user_locate(pool_id, username, lock=True)
    group = _group_in(pool, group_name)
    try:
        with transaction.atomic():
            _, created = GroupMembership.objects.get_or_create(group=group, user=user)
    except IntegrityError:  # added concurrently
        created = False
    if created:
        audit_record(ctx, "group.member_add", pool_id=pool.id, target=user.username, group=group.name)


@transaction.atomic
def group_member_remove(ctx: ServiceContext, *, pool_id: str, group_name: str, username: str) -> None:
    """AdminRemoveUserFromGroup (removing a non-member is not an error)."""
    pool, user = user_locate(pool_id, username, lock=True)
    group = _group_in(pool, group_name)
    deleted, _ = GroupMembership.objects.filter(group=group, user=user).delete()
    if deleted:
        audit_record(ctx, "group.member_remove", pool_id=pool.id, target=user.username, group=group.name)


def groups_for_user(*, pool_id: str, username: str, limit: int | None, token: str | None) -> Page[UserGroup]:
    """AdminListGroupsForUser, in group-name order."""
    _, user = user_locate(pool_id, username)
    qs = UserGroup.objects.filter(memberships__user=user)
    return paginate(qs, order=("name", "id"), limit=list_limit(limit), token=token)


def users_in_group(*, pool_id: str, group_name: str, limit: int | None, token: str | None) -> Page[User]:
    """ListUsersInGroup, in the order members were added (keyset on the membership)."""
    group = group_get(pool_id=pool_id, name=group_name)
    qs = GroupMembership.objects.filter(group=group).select_related("user")
    page = keyset_page(qs, column="id", limit=list_limit(limit), token=token)
    return Page([m.user for m in page.items], page.next_token)
