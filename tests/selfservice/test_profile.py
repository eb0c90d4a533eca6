"""The signed-in user's own operations, at the service layer (the wire needs F3's access tokens).

Codes are captured as issued: in these (rolled-back) tests nothing commits, so no
message is ever handed to Celery; the Delivery rows show what would be sent.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from tests.selfservice.conftest import PASSWORD
from userpools.context import ServiceContext
from userpools.errors import (
    AliasExists,
    CodeMismatch,
    ErrorCode,
    ExpiredCode,
    InvalidParameter,
    InvalidPassword,
    LimitExceeded,
    NotAuthorized,
    PasswordHistoryPolicyViolation,
    ServiceError,
)
from userpools.models import Delivery, User
from userpools.services import codes, profile, users
from userpools.services.clients import user_pool_client_create

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="user:test")
NEW_PASSWORD = "N3w-passw0rd!"


@pytest.fixture
def issued(monkeypatch) -> list[str]:
    out: list[str] = []
    original = codes.code_issue

    def capture(user, purpose):
        code = original(user, purpose)
        out.append(code)
        return code

    monkeypatch.setattr(codes, "code_issue", capture)
    return out


@pytest.fixture
def make_user():
    def make(pool, username="amy", *, email="amy@example.com", verified=True, password=PASSWORD, **attrs) -> User:
        if email:
            attrs.update(email=email, email_verified="true" if verified else "false")
        return users.user_create(
            CTX, pool=pool, username=username, password=password, attributes=attrs, status=User.Status.CONFIRMED
        )

    return make


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _names(attributes: list[dict]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in attributes}


# --- ChangePassword ------------------------------------------------------------------------------


def test_change_password(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    profile.user_change_password(CTX, user, PASSWORD, NEW_PASSWORD)
    assert check_password(NEW_PASSWORD, _fresh(user).password)


def test_change_password_wrong_previous_then_limit(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    for _ in range(profile.CHANGE_PASSWORD_FAILURES):
        with pytest.raises(NotAuthorized):
            profile.user_change_password(CTX, user, "Wr0ng-password!", NEW_PASSWORD)
    with pytest.raises(LimitExceeded):
        profile.user_change_password(CTX, user, PASSWORD, NEW_PASSWORD)
    assert check_password(PASSWORD, _fresh(user).password)


def test_change_password_needs_the_previous_one(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    with pytest.raises(NotAuthorized):
        profile.user_change_password(CTX, user, None, NEW_PASSWORD)


def test_change_password_policy_and_history(make_pool_model, make_user):
    user = make_user(
        make_pool_model(
            Policies={"PasswordPolicy": {"MinimumLength": 9, "PasswordHistorySize": 3}},
            AutoVerifiedAttributes=["email"],
        )
    )
    with pytest.raises(InvalidPassword):
        profile.user_change_password(CTX, user, PASSWORD, "short")
    with pytest.raises(PasswordHistoryPolicyViolation):
        profile.user_change_password(CTX, user, PASSWORD, PASSWORD)
    profile.user_change_password(CTX, user, PASSWORD, NEW_PASSWORD)
    profile.user_change_password(CTX, user, NEW_PASSWORD, "Th1rd-passw0rd")
    with pytest.raises(PasswordHistoryPolicyViolation):
        profile.user_change_password(CTX, user, "Th1rd-passw0rd", PASSWORD)


# --- GetUser --------------------------------------------------------------------------------------


def test_get_attributes_hides_developer_only_and_pending(make_pool_model, make_user):
    pool = make_pool_model(
        Schema=[{"Name": "tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}],
        AutoVerifiedAttributes=["email"],
    )
    user = make_user(pool, name="Amy", **{"dev:custom:tier": "gold", "cognate:pending:email": "new@example.com"})
    listed = profile.user_get_attributes(user)
    assert listed[0] == {"Name": "sub", "Value": str(user.sub)}
    assert _names(listed) == {"sub": str(user.sub), "email": "amy@example.com", "email_verified": "true", "name": "Amy"}


def test_get_attributes_follows_client_read_attributes(make_pool_model, make_user):
    pool = make_pool_model(AutoVerifiedAttributes=["email"])
    client = user_pool_client_create(CTX, {"UserPoolId": pool.id, "ClientName": "c", "ReadAttributes": ["name"]})
    user = make_user(pool, name="Amy")
    assert _names(profile.user_get_attributes(user, client)) == {"sub": str(user.sub), "name": "Amy"}


# --- UpdateUserAttributes / VerifyUserAttribute ------------------------------------------------


def test_changing_email_unverifies_it_and_sends_a_code(make_pool_model, make_user, issued):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    details = profile.user_update_attributes(
        CTX, user, [{"Name": "email", "Value": "amy@new.example"}, {"Name": "name", "Value": "Amy"}]
    )
    assert details == [{"Destination": "a***@n***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}]
    attrs = _fresh(user).attributes
    assert attrs["email"] == "amy@new.example" and attrs["email_verified"] == "false" and attrs["name"] == "Amy"
    assert Delivery.objects.get(user=user).destination == "amy@new.example"
    assert _fresh(user).email == "amy@new.example"  # the ListUsers column follows

    with pytest.raises(CodeMismatch):
        profile.user_verify_attribute(CTX, user, "email", f"{(int(issued[-1]) + 1) % 10**6:06d}")
    profile.user_verify_attribute(CTX, user, "email", issued[-1])
    assert _fresh(user).attributes["email_verified"] == "true"
    with pytest.raises(ExpiredCode):
        profile.user_verify_attribute(CTX, user, "email", issued[-1])


def test_no_code_for_an_attribute_the_pool_does_not_verify(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=[]))
    assert profile.user_update_attributes(CTX, user, [{"Name": "email", "Value": "amy@new.example"}]) == []
    assert _fresh(user).attributes["email_verified"] == "false"
    assert not Delivery.objects.exists()


def test_same_value_changes_nothing(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    assert profile.user_update_attributes(CTX, user, [{"Name": "email", "Value": "amy@example.com"}]) == []
    assert _fresh(user).attributes["email_verified"] == "true"


def test_verification_before_update_keeps_the_old_value(make_pool_model, make_user, issued):
    pool = make_pool_model(
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        AliasAttributes=["email"],
        AutoVerifiedAttributes=["email"],
    )
    user = make_user(pool)
    details = profile.user_update_attributes(CTX, user, [{"Name": "email", "Value": "amy@new.example"}])
    assert details[0]["Destination"] == "a***@n***"
    fresh = _fresh(user)
    assert fresh.attributes["email"] == "amy@example.com" and fresh.attributes["email_verified"] == "true"
    assert _names(profile.user_get_attributes(fresh))["email"] == "amy@example.com"
    # The old address still signs in; the new one does not yet.
    assert users.user_find(pool, "amy@example.com") == fresh
    assert users.user_find(pool, "amy@new.example") is None
    # Asking again sends to the pending address.
    again = profile.user_attribute_verification_code(CTX, fresh, "email")
    assert again["Destination"] == "a***@n***"
    profile.user_verify_attribute(CTX, fresh, "email", issued[-1])
    fresh = _fresh(user)
    assert fresh.attributes["email"] == "amy@new.example" and fresh.attributes["email_verified"] == "true"
    assert not any(k.startswith("cognate:") for k in fresh.attributes)
    assert users.user_find(pool, "amy@new.example") == fresh


def test_unverified_current_value_is_replaced_at_once(make_pool_model, make_user):
    pool = make_pool_model(
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
        AutoVerifiedAttributes=["email"],
    )
    user = make_user(pool, verified=False)
    profile.user_update_attributes(CTX, user, [{"Name": "email", "Value": "amy@new.example"}])
    assert _fresh(user).attributes["email"] == "amy@new.example"


@pytest.mark.parametrize(
    "attributes, error",
    [
        ([{"Name": "email_verified", "Value": "true"}], NotAuthorized),
        ([{"Name": "custom:badge", "Value": "other"}], InvalidParameter),  # immutable, already set
        ([{"Name": "custom:tier", "Value": "gold"}], NotAuthorized),  # developer-only
        ([{"Name": "shoe_size", "Value": "9"}], InvalidParameter),
        ([{"Name": "sub", "Value": "x"}], InvalidParameter),
        ([{"Name": "name", "Value": ""}], InvalidParameter),  # required
    ],
)
def test_update_rules(make_pool_model, make_user, attributes, error):
    pool = make_pool_model(
        Schema=[
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            {"Name": "name", "AttributeDataType": "String", "Required": True},
        ],
        AutoVerifiedAttributes=["email"],
    )
    user = make_user(pool, name="Amy", **{"custom:badge": "B-1"})
    with pytest.raises(error):
        profile.user_update_attributes(CTX, user, attributes)


def test_update_follows_client_write_attributes(make_pool_model, make_user):
    pool = make_pool_model(AutoVerifiedAttributes=["email"])
    client = user_pool_client_create(CTX, {"UserPoolId": pool.id, "ClientName": "c", "WriteAttributes": ["name"]})
    user = make_user(pool)
    with pytest.raises(NotAuthorized):
        profile.user_update_attributes(CTX, user, [{"Name": "nickname", "Value": "a"}], client)
    profile.user_update_attributes(CTX, user, [{"Name": "name", "Value": "Amy"}], client)


def test_preferred_username_must_be_free(make_pool_model, make_user):
    pool = make_pool_model(AliasAttributes=["preferred_username"], AutoVerifiedAttributes=["email"])
    make_user(pool, "bea", email=None, preferred_username="bee")
    user = make_user(pool, "amy")
    with pytest.raises(AliasExists):
        profile.user_update_attributes(CTX, user, [{"Name": "preferred_username", "Value": "bee"}])


def test_email_as_username_must_stay_unique(make_pool_model, make_user):
    pool = make_pool_model(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    users.user_create(
        CTX, pool=pool, username="bea@example.com", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    amy = users.user_create(
        CTX, pool=pool, username="amy@example.com", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    with pytest.raises(AliasExists):
        profile.user_update_attributes(CTX, amy, [{"Name": "email", "Value": "BEA@example.com"}])


def test_verifying_someone_elses_alias_keeps_the_code(make_pool_model, make_user, issued):
    pool = make_pool_model(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])
    make_user(pool, "bea", email="shared@example.com")
    amy = make_user(pool, "amy", email="shared@example.com", verified=False)
    profile.user_attribute_verification_code(CTX, amy, "email")
    with pytest.raises(AliasExists):
        profile.user_verify_attribute(CTX, amy, "email", issued[-1])
    assert _fresh(amy).attributes["email_verified"] == "false"
    # The code was not spent by the refusal: once the alias is free it works.
    User.objects.filter(username="bea").delete()
    profile.user_verify_attribute(CTX, amy, "email", issued[-1])
    assert _fresh(amy).attributes["email_verified"] == "true"


def test_verification_code_rules(make_pool_model, make_user, issued):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]), email=None)
    with pytest.raises(InvalidParameter):
        profile.user_attribute_verification_code(CTX, user, "name")
    with pytest.raises(InvalidParameter):
        profile.user_attribute_verification_code(CTX, user, "email")
    with pytest.raises(InvalidParameter):
        profile.user_verify_attribute(CTX, user, "nickname", "123456")
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]), "bea", phone_number="+15555550111")
    details = profile.user_attribute_verification_code(CTX, user, "phone_number")
    assert details == {"Destination": "+*******0111", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    profile.user_verify_attribute(CTX, user, "phone_number", issued[-1])
    assert _fresh(user).attributes["phone_number_verified"] == "true"


def test_too_many_wrong_codes_is_a_limit(make_pool_model, make_user, issued):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]), verified=False)
    profile.user_attribute_verification_code(CTX, user, "email")
    wrong = f"{(int(issued[-1]) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(CodeMismatch):
            profile.user_verify_attribute(CTX, user, "email", wrong)
    with pytest.raises(LimitExceeded):
        profile.user_verify_attribute(CTX, user, "email", wrong)


def test_verification_code_send_limit(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]), verified=False)
    for _ in range(5):
        profile.user_attribute_verification_code(CTX, user, "email")
    with pytest.raises(LimitExceeded):
        profile.user_attribute_verification_code(CTX, user, "email")


# --- DeleteUserAttributes / DeleteUser ----------------------------------------------------------


def test_delete_attributes(make_pool_model, make_user):
    user = make_user(
        make_pool_model(AutoVerifiedAttributes=["email"]), name="Amy", **{"cognate:pending:email": "x@example.com"}
    )
    profile.user_delete_attributes(CTX, user, ["email", "name"])
    fresh = _fresh(user)
    assert fresh.attributes == {}
    assert fresh.email == ""


@pytest.mark.parametrize(
    "name, code",
    [
        ("shoe_size", ErrorCode.INVALID_PARAMETER),
        ("sub", ErrorCode.INVALID_PARAMETER),
        ("given_name", ErrorCode.INVALID_PARAMETER),  # required
        ("custom:badge", ErrorCode.INVALID_PARAMETER),  # immutable
        ("email_verified", ErrorCode.NOT_AUTHORIZED),
        ("custom:tier", ErrorCode.NOT_AUTHORIZED),  # developer-only
    ],
)
def test_delete_attribute_rules(make_pool_model, make_user, name, code):
    pool = make_pool_model(
        Schema=[
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            {"Name": "given_name", "AttributeDataType": "String", "Required": True},
        ],
        AutoVerifiedAttributes=["email"],
    )
    user = make_user(pool, given_name="Amy", **{"custom:badge": "B"})
    with pytest.raises(ServiceError) as exc:
        profile.user_delete_attributes(CTX, user, [name])
    assert exc.value.code == code


def test_delete_user(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    profile.user_delete(CTX, user)
    assert not User.objects.filter(pk=user.pk).exists()


def test_undecodable_previous_password_is_just_wrong(make_pool_model, make_user):
    user = make_user(make_pool_model(AutoVerifiedAttributes=["email"]))
    with pytest.raises(NotAuthorized):
        profile.user_change_password(CTX, user, "\ud800", NEW_PASSWORD)
    with pytest.raises(InvalidParameter):
        profile.user_change_password(CTX, user, PASSWORD, "Passw0rd!\ud800")
