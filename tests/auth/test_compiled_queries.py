"""``compiled.CompiledQuery``: the sign-in path's queries compiled once, answering as the ORM would;
``compiled.CompiledInsert`` and ``rows_insert``: rows inserted as the ORM would insert them."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from userpools.context import SYSTEM, ServiceContext
from userpools.models import AuditEvent, GroupMembership, RefreshToken, User, UserGroup, UserPool
from userpools.services import groups, tokens, users
from userpools.services.audit import audit_row
from userpools.services.clients import user_pool_client_create
from userpools.services.compiled import CompiledInsert, CompiledQuery, rows_insert
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

U = User._meta


@pytest.fixture
def pool():
    pool = user_pool_create(SYSTEM, {"PoolName": "c"})
    for name in ("alice", "bob"):
        users.user_create(
            SYSTEM,
            pool=pool,
            username=name,
            password="Passw0rd!",
            attributes={"email": f"{name}@example.com", "email_verified": "true"},
            status=User.Status.CONFIRMED,
        )
    return pool


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_instances_equal_the_orms(pool):
    query = CompiledQuery(
        lambda pool_id, key: User.objects.select_related("pool").filter(pool_id=pool_id, username_key=key),
        pool_id=U.get_field("pool"),
        key=U.get_field("username_key"),
    )
    for _ in range(2):  # compiled, then reused
        found = query.first(pool_id=pool.id, key="alice")
        expected = User.objects.select_related("pool").get(pool=pool, username_key="alice")
        assert _fields(found) == _fields(expected)
        assert _fields(found.pool) == _fields(expected.pool)  # select_related, no further query
        assert found._state.adding is False and found._state.db == "default"
    assert query.first(pool_id=pool.id, key="nobody") is None
    assert query.rows(pool_id="us-east-1_none", key="alice") == []


def test_annotations_and_prepared_arguments(pool):
    alice = User.objects.get(pool=pool, username_key="alice")
    client = user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "a"})
    issued = tokens.tokens_issue(SYSTEM, user=alice, client=client)
    jti = RefreshToken.objects.get(user=alice).origin_jti
    query = CompiledQuery(
        lambda sub, jti: User.objects.annotate(
            revoked=Exists(RefreshToken.objects.filter(origin_jti=jti, revoked_at__isnull=False, user=OuterRef("pk")))
        ).filter(sub=sub),
        sub=U.get_field("sub"),
        jti=RefreshToken._meta.get_field("origin_jti"),
    )
    assert query.first(sub=str(alice.sub), jti=jti).revoked is False  # a str sub is prepared as the ORM would
    tokens.refresh_token_revoke(SYSTEM, client=client, token=issued.refresh_token)
    assert query.first(sub=alice.sub, jti=jti).revoked is True


def test_values_list_rows_go_through_converters(pool):
    query = CompiledQuery(
        lambda key: User.objects.filter(username_key=key).values_list("sub", "attributes", "pk"),
        key=U.get_field("username_key"),
    )
    expected = list(User.objects.filter(username_key="bob").values_list("sub", "attributes", "pk"))
    assert query.rows(key="bob") == expected
    assert isinstance(expected[0][0], uuid.UUID) and isinstance(expected[0][1], dict)


def test_joins_through_another_model(pool):
    alice = User.objects.get(pool=pool, username_key="alice")
    for name in ("g1", "g2"):
        groups.group_create(SYSTEM, pool_id=pool.id, name=name)
        groups.group_member_add(SYSTEM, pool_id=pool.id, group_name=name, username="alice")
    query = CompiledQuery(
        lambda user_id: UserGroup.objects.filter(memberships__user_id=user_id).only("name"),
        user_id=GroupMembership._meta.get_field("user"),
    )
    assert sorted(g.name for g in query.rows(user_id=alice.pk)) == ["g1", "g2"]


def test_update(pool):
    query = CompiledQuery(
        lambda key, name: (User.objects.filter(username_key=key), {"given_name": name}),
        update=True,
        key=U.get_field("username_key"),
        name=U.get_field("given_name"),
    )
    assert query.execute(key="bob", name="Robert") == 1
    assert query.execute(key="nobody", name="x") == 0
    assert User.objects.get(username_key="bob").given_name == "Robert"


@pytest.mark.django_db(transaction=True)
def test_select_for_update_needs_a_transaction(pool):
    """As the ORM: outside a transaction, only where the backend can lock rows at all."""
    from django.db import connection

    query = CompiledQuery(
        lambda key: User.objects.select_for_update().filter(username_key=key), key=U.get_field("username_key")
    )
    with transaction.atomic():
        assert query.first(key="alice").username == "alice"
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            query.first(key="alice")
    else:
        assert query.first(key="alice").username == "alice"


def test_each_thread_compiles_its_own(pool):
    query = CompiledQuery(lambda key: User.objects.filter(username_key=key), key=U.get_field("username_key"))
    query.first(key="alice")
    seen = []

    def other():
        seen.append(getattr(query._local, "state", None))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [None]


@pytest.mark.parametrize(
    "build",
    [
        lambda key: User.objects.filter(username_key=key).values("pk"),  # values(): not supported
        lambda key: User.objects.filter(username_key=key).prefetch_related("memberships"),
        lambda key: User.objects.filter(username_key__startswith=key),  # the argument does not reach the SQL as given
    ],
)
def test_what_it_does_not_do_fails_loudly(pool, build):
    with pytest.raises(TypeError):
        CompiledQuery(build, key=U.get_field("username_key")).rows(key="alice")


# --- Inserts -----------------------------------------------------------------------------------

REFRESH = CompiledInsert(RefreshToken)


def _refresh_row(pool, **extra) -> dict:
    alice = User.objects.get(pool=pool, username_key="alice")
    client = user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "i"})
    now = timezone.now()
    return {
        "pool_id": pool.id,
        "user": alice,
        "client": client,
        "token_hash": uuid.uuid4().hex,
        "origin_jti": str(uuid.uuid4()),
        "session_id": "tkn" + "a" * 25,
        "parent": None,
        "auth_time": now,
        "scopes": ["openid", "email"],
        "created_at": now,
        "expires_at": now + timedelta(days=30),
        "last_ip": "192.0.2.1",
        **extra,
    }


def _stored(model, pk) -> dict:
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k != "id"}


def test_an_inserted_row_equals_the_orms(pool):
    row = _refresh_row(pool)
    [pk] = rows_insert((REFRESH, row))
    again = dict(row, token_hash=uuid.uuid4().hex, origin_jti=str(uuid.uuid4()))
    expected = RefreshToken.objects.create(**again)
    stored, orms = _stored(RefreshToken, pk), _stored(RefreshToken, expected.pk)
    assert {k: v for k, v in stored.items() if k not in ("token_hash", "origin_jti")} == {
        k: v for k, v in orms.items() if k not in ("token_hash", "origin_jti")
    }
    # Fields not named took their defaults; related objects were stored as their keys.
    assert stored["oauth"] is False and stored["revoked_at"] is None and stored["device_type"] == ""
    assert stored["user_id"] == row["user"].pk and stored["client_id"] == row["client"].pk


def test_audit_rows_take_their_time_and_json(pool):
    ctx = ServiceContext(actor="tester", source_ip="2001:db8::1", request_id="r-1")
    before = timezone.now()
    [pk] = rows_insert(audit_row(ctx, "user.test", pool_id=pool.id, target="alice", client="c1", n=[1, {"a": None}]))
    event = AuditEvent.objects.get(pk=pk)
    assert before <= event.at <= timezone.now()  # auto_now_add
    assert (event.actor, event.action, event.pool_id, event.target, event.source_ip, event.request_id) == (
        "tester",
        "user.test",
        pool.id,
        "alice",
        "2001:db8::1",
        "r-1",
    )
    assert event.details == {"client": "c1", "n": [1, {"a": None}]}


def test_rows_insert_together_in_one_statement_on_postgresql(pool, django_assert_num_queries):
    ctx = ServiceContext(actor="tester")
    expected, row = 1 if connection.vendor == "postgresql" else 2, _refresh_row(pool)
    with django_assert_num_queries(expected):
        refresh_pk, audit_pk = rows_insert((REFRESH, row), audit_row(ctx, "user.one"))
    assert RefreshToken.objects.filter(pk=refresh_pk).exists()
    assert AuditEvent.objects.get(pk=audit_pk).action == "user.one"


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no test transaction to roll back
def test_rows_insert_is_all_or_nothing(pool):
    first = _refresh_row(pool)
    clash = dict(first, origin_jti=str(uuid.uuid4()))  # the same token_hash: unique
    refreshes, events = RefreshToken.objects.count(), AuditEvent.objects.count()
    with pytest.raises(IntegrityError):
        rows_insert(audit_row(ServiceContext(actor="tester"), "user.lost"), (REFRESH, first), (REFRESH, clash))
    assert (RefreshToken.objects.count(), AuditEvent.objects.count()) == (refreshes, events)


@pytest.mark.parametrize("returning", [True, False])
def test_keys_with_and_without_returning(pool, monkeypatch, returning):
    """Without INSERT ... RETURNING (SQLite before 3.35, which Django 5.2 still supports)
    the keys come from the cursor, in order, and are the rows' own. PostgreSQL always has it."""
    if not returning and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL always returns columns from an INSERT")
    monkeypatch.setattr(connection.features, "can_return_columns_from_insert", returning)
    ctx = ServiceContext(actor="tester")
    [alone] = rows_insert(audit_row(ctx, "user.alone"))
    first, second = rows_insert(audit_row(ctx, "user.first"), (REFRESH, _refresh_row(pool)))
    assert AuditEvent.objects.get(pk=alone).action == "user.alone"
    assert AuditEvent.objects.get(pk=first).action == "user.first"
    assert RefreshToken.objects.filter(pk=second).exists()
    assert ("RETURNING" in REFRESH.sql(connection)) is returning


def test_an_insert_refuses_what_it_cannot_do(pool):
    with pytest.raises(TypeError, match="no field 'colour'"):
        rows_insert((REFRESH, dict(_refresh_row(pool), colour="red")))
    with pytest.raises(TypeError, match="not automatic"):
        CompiledInsert(UserPool)
