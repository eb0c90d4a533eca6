"""ListUsers over the wire: the filter grammar on every searchable attribute, keyset
pagination (opaque, stable under inserts, forged tokens refused), Limit and
AttributesToGet."""

from __future__ import annotations

import base64
import json

import pytest

from tests.directory.conftest import attrs
from tests.userpools.conftest import call_error
from userpools.context import ServiceContext
from userpools.models import User, UserPool
from userpools.services import directory, users

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"


def add_user(pool_id: str, username: str, *, status: str = "CONFIRMED", enabled: bool = True, **attributes) -> User:
    """A user straight through the user service (no password hashing: fast)."""
    pool = UserPool.objects.get(pk=pool_id)
    user = users.user_create(
        ServiceContext(actor="test"), pool=pool, username=username, password=None, attributes=attributes, status=status
    )
    if not enabled:
        User.objects.filter(pk=user.pk).update(is_active=False)
    return user


def names(response) -> list[str]:
    return [u["Username"] for u in response["Users"]]


def list_all(idp, pool_id: str, **kwargs) -> list[str]:
    out, token = [], None
    while True:
        page = idp.list_users(UserPoolId=pool_id, **kwargs, **({"PaginationToken": token} if token else {}))
        out += names(page)
        token = page.get("PaginationToken")
        if not token:
            return out


def token_of(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def people(pool_id):
    add_user(
        pool_id,
        "alice",
        email="Alice@Example.com",
        given_name="Alice",
        family_name="Smith",
        name="Alice Smith",
        phone_number="+15550000001",
        preferred_username="ally",
    )
    add_user(
        pool_id,
        "Albert",
        email="albert@example.org",
        given_name="Albert",
        family_name='O"Brien',
        phone_number="+15550000002",
        status="UNCONFIRMED",
    )
    add_user(
        pool_id,
        "bob",
        email="bob@example.com",
        given_name="bob",
        family_name="Smithers",
        phone_number="+442000000003",
        enabled=False,
    )
    add_user(
        pool_id,
        "carol",
        email="carol@example.com",
        given_name="Carol",
        name="Carol Alice",
        status="FORCE_CHANGE_PASSWORD",
    )
    return pool_id


def test_list_users_unfiltered_in_creation_order(idp, people):
    response = idp.list_users(UserPoolId=people)
    assert names(response) == ["alice", "Albert", "bob", "carol"]
    assert "PaginationToken" not in response
    alice = response["Users"][0]
    assert alice["UserStatus"] == "CONFIRMED" and alice["Enabled"] is True
    assert attrs(alice["Attributes"])["email"] == "Alice@Example.com"
    assert response["Users"][2]["Enabled"] is False


@pytest.mark.parametrize(
    "filter_, expected",
    [
        ('username = "alice"', ["alice"]),
        ('username = "Alice"', []),  # case-sensitive
        ('username ^= "Al"', ["Albert"]),
        ('username ^= "al"', ["alice"]),
        ('email = "ALICE@example.com"', ["alice"]),  # e-mail addresses compare case-insensitively
        ('email ^= "al"', ["Albert", "alice"]),  # (email, id) order: albert@… < alice@…
        ('phone_number ^= "+1555"', ["alice", "Albert"]),
        ('phone_number = "+442000000003"', ["bob"]),
        ('name = "Alice Smith"', ["alice"]),
        ('name ^= "Carol"', ["carol"]),
        ('given_name ^= "Al"', ["Albert", "alice"]),  # (given_name, id) order
        ('given_name ^= "al"', []),  # prefixes are case-sensitive too
        ('given_name = "bob"', ["bob"]),
        ('family_name = "O\\"Brien"', ["Albert"]),  # an escaped quote
        ('family_name ^= "Smith"', ["alice", "bob"]),
        ('preferred_username = "ally"', ["alice"]),
        ('cognito:user_status = "unconfirmed"', ["Albert"]),  # case-insensitive
        ('cognito:user_status ^= "FORCE"', ["carol"]),
        ('status = "Disabled"', ["bob"]),
        ('status = "Enabled"', ["alice", "Albert", "carol"]),
        ('status = "enabled"', []),  # case-sensitive
        ('given_name="Carol"', ["carol"]),  # spaces are optional
        ('  given_name   ^=  ""  ', ["Albert", "alice", "carol", "bob"]),  # code-point order
        ("", ["alice", "Albert", "bob", "carol"]),
        ('name = "nobody"', []),
    ],
)
def test_filters(idp, people, filter_, expected):
    assert names(idp.list_users(UserPoolId=people, Filter=filter_)) == expected
    assert list_all(idp, people, Filter=filter_, Limit=1) == expected  # paging gives the same order


def test_filter_by_sub(idp, people):
    sub = str(User.objects.get(username="bob").sub)
    assert names(idp.list_users(UserPoolId=people, Filter=f'sub = "{sub}"')) == ["bob"]
    assert names(idp.list_users(UserPoolId=people, Filter='sub = "not-a-uuid"')) == []


def test_username_filter_folds_case_in_a_case_insensitive_pool(idp, make_pool):
    pool_id = make_pool("ci", UsernameConfiguration={"CaseSensitive": False})["Id"]
    add_user(pool_id, "Dora")
    assert names(idp.list_users(UserPoolId=pool_id, Filter='username = "DORA"')) == ["Dora"]
    assert names(idp.list_users(UserPoolId=pool_id, Filter='username ^= "do"')) == ["Dora"]


@pytest.mark.parametrize(
    "filter_",
    [
        'custom:team = "x"',
        'address = "x"',
        'given_name ~= "x"',
        "given_name = x",
        'given_name = "x',
        'given_name = "x" and name = "y"',
        "given_name",
        'sub ^= "abc"',
        'name = "nul\x00"',
    ],
)
def test_bad_filters(idp, people, filter_):
    assert call_error(idp.list_users, UserPoolId=people, Filter=filter_) == "InvalidParameterException"


def test_pages_and_tokens(idp, pool_id):
    for i in range(7):
        add_user(pool_id, f"user{i}", given_name=f"g{6 - i}")
    pages = []
    token = None
    while True:
        kwargs = {"PaginationToken": token} if token else {}
        page = idp.list_users(UserPoolId=pool_id, Limit=3, **kwargs)
        pages.append(names(page))
        token = page.get("PaginationToken")
        if not token:
            break
    assert pages == [["user0", "user1", "user2"], ["user3", "user4", "user5"], ["user6"]]
    # Filtered: (given_name, id) order.
    assert list_all(idp, pool_id, Filter='given_name ^= "g"', Limit=2) == [f"user{i}" for i in range(6, -1, -1)]


def test_boto3_paginator(idp, pool_id):
    for i in range(5):
        add_user(pool_id, f"p{i}")
    paginator = idp.get_paginator("list_users")
    seen = [
        u["Username"]
        for page in paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
        for u in page["Users"]
    ]
    assert seen == [f"p{i}" for i in range(5)]


def test_pages_are_stable_under_concurrent_inserts(idp, pool_id):
    for name in ("b1", "b3", "b5", "b7"):
        add_user(pool_id, name, given_name=name)
    first = idp.list_users(UserPoolId=pool_id, Filter='given_name ^= "b"', Limit=2)
    assert names(first) == ["b1", "b3"]
    add_user(pool_id, "b2", given_name="b2")  # sorts before the cursor: not seen on this walk
    add_user(pool_id, "b4", given_name="b4")  # after it: seen once
    rest = []
    token = first["PaginationToken"]
    while token:
        page = idp.list_users(UserPoolId=pool_id, Filter='given_name ^= "b"', Limit=2, PaginationToken=token)
        rest += names(page)
        token = page.get("PaginationToken")
    assert rest == ["b4", "b5", "b7"]
    # Unfiltered (id order): new users come at the end, none repeats.
    first = idp.list_users(UserPoolId=pool_id, Limit=3)
    add_user(pool_id, "late")
    page = idp.list_users(UserPoolId=pool_id, Limit=60, PaginationToken=first["PaginationToken"])
    assert names(first) + names(page) == ["b1", "b3", "b5", "b7", "b2", "b4", "late"]


def test_limit(idp, pool_id):
    pool = UserPool.objects.get(pk=pool_id)
    User.objects.bulk_create([User(pool=pool, username=f"u{i:02}", username_key=f"u{i:02}") for i in range(61)])
    page = idp.list_users(UserPoolId=pool_id)
    assert len(page["Users"]) == 60 and page["PaginationToken"]
    assert len(idp.list_users(UserPoolId=pool_id, Limit=0)["Users"]) == 60  # 0 means the default
    assert len(idp.list_users(UserPoolId=pool_id, Limit=1)["Users"]) == 1


@pytest.mark.parametrize(
    "token",
    [
        "garbage!",
        "bm90IGpzb24",  # "not json"
        token_of([1, 2]),  # the pools' token shape
        token_of({"c": "id", "k": ["1"]}),
        token_of({"c": "id", "k": [True]}),
        token_of({"c": "id", "k": [2**70]}),
        token_of({"c": "id", "k": [-1]}),
        token_of({"c": "given_name", "k": ["x", 1]}),  # a filtered token on an unfiltered listing
        token_of({"c": "id", "k": [1, 2]}),
    ],
)
def test_garbage_tokens(idp, raw_idp, people, token):
    assert call_error(raw_idp.list_users, UserPoolId=people, PaginationToken=token) == "InvalidParameterException"


@pytest.mark.parametrize(
    "token",
    [
        token_of({"c": "id", "k": [1]}),  # an unfiltered token on a filtered listing
        token_of({"c": "given_name", "k": [1, 1]}),
        token_of({"c": "given_name", "k": ["a\u0000", 1]}),
        token_of({"c": "email", "k": ["a", 1]}),
    ],
)
def test_garbage_tokens_on_a_filtered_listing(idp, raw_idp, people, token):
    code = call_error(raw_idp.list_users, UserPoolId=people, Filter='given_name ^= "A"', PaginationToken=token)
    assert code == "InvalidParameterException"


def test_status_filter_pages(idp, people):
    assert list_all(idp, people, Filter='status ^= ""', Limit=1) == ["bob", "alice", "Albert", "carol"]


def test_attributes_to_get(idp, make_pool):
    pool_id = make_pool(
        "atg", Schema=[{"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}]
    )["Id"]
    add_user(pool_id, "eli", email="eli@example.com", given_name="Eli", **{"dev:custom:secret": "s"})
    only = idp.list_users(UserPoolId=pool_id, AttributesToGet=["email", "sub"])["Users"][0]
    assert set(attrs(only["Attributes"])) == {"email", "sub"}
    assert idp.list_users(UserPoolId=pool_id, AttributesToGet=[])["Users"][0]["Attributes"] == []
    dev = idp.list_users(UserPoolId=pool_id, AttributesToGet=["custom:secret"])["Users"][0]
    assert attrs(dev["Attributes"]) == {"dev:custom:secret": "s"}
    assert call_error(idp.list_users, UserPoolId=pool_id, AttributesToGet=["nope"]) == "InvalidParameterException"
    assert (
        call_error(idp.list_users, UserPoolId=pool_id, AttributesToGet=["custom:none"]) == "InvalidParameterException"
    )


def test_unknown_pool(idp):
    assert call_error(idp.list_users, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


def test_users_list_service_for_callers_outside_the_wire(pool_id):
    for i in range(3):
        add_user(pool_id, f"s{i}", email=f"s{i}@example.com")
    page = directory.users_list(pool_id=pool_id, filter='email ^= "s"', limit=2, token=None, attributes_to_get=None)
    assert [u.username for u in page.items] == ["s0", "s1"] and page.next_token
    page = directory.users_list(
        pool_id=pool_id, filter='email ^= "s"', limit=2, token=page.next_token, attributes_to_get=None
    )
    assert [u.username for u in page.items] == ["s2"] and page.next_token is None


@pytest.mark.parametrize(
    "value, upper",
    [
        ("a", "b"),
        ("Al", "Am"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("\ud7ff", "\ue000"),
        ("z\u00ff", "z\u0100"),
    ],
)
def test_next_prefix(value, upper):
    assert directory._next_prefix(value) == upper
