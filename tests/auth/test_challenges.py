"""NEW_PASSWORD_REQUIRED and the challenge Session: RespondToAuthChallenge and its admin twin."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.auth.conftest import PASSWORD, assert_signed_in, call_error, hash_for, password_auth, user_named
from userpools.models import AuthSession, User
from userpools.services import users
from userpools.services.pools import user_pool_get

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "N3w-passw0rd!"
NAME_REQUIRED = {"Schema": [{"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True}]}


def _challenged(public, client, username="alice", **extra) -> dict:
    result = password_auth(public, client, username, **extra)
    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in result
    return result


def _respond(public, client, session, username="alice", **responses):
    return public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=session,
        ChallengeResponses={"USERNAME": username, **responses},
    )


def _respond_error(public, client, session, username="alice", **responses) -> str:
    return call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=session,
        ChallengeResponses={"USERNAME": username, **responses},
    )


def test_new_password_required_then_tokens(public, signin, make_user):
    pool_id, client = signin()
    user = make_user(pool_id, "alice", email="alice@example.com", status=User.Status.FORCE_CHANGE_PASSWORD)
    challenged = _challenged(public, client)
    assert len(challenged["Session"]) >= 20
    params = challenged["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == "alice"
    assert json.loads(params["requiredAttributes"]) == []
    assert json.loads(params["userAttributes"])["email"] == "alice@example.com"
    # The session is stored only as a hash.
    assert not AuthSession.objects.filter(token_hash=challenged["Session"]).exists()

    result = _respond(public, client, challenged["Session"], NEW_PASSWORD=NEW_PASSWORD)
    assert_signed_in(result, user, client["ClientId"])
    user.refresh_from_db()
    assert user.status == User.Status.CONFIRMED and user.temporary_password_expires_at is None
    assert user.check_password(NEW_PASSWORD)
    assert_signed_in(password_auth(public, client, "alice", NEW_PASSWORD), user, client["ClientId"])


def test_admin_respond_to_auth_challenge(idp, signin, make_user):
    pool_id, client = signin()
    user = make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    challenged = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert challenged["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    result = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenged["Session"],
        ChallengeResponses={"USERNAME": "alice", "NEW_PASSWORD": NEW_PASSWORD},
    )
    assert_signed_in(result, user, client["ClientId"])


def test_a_session_is_single_use(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client)["Session"]
    _respond(public, client, session, NEW_PASSWORD=NEW_PASSWORD)
    assert _respond_error(public, client, session, NEW_PASSWORD="An0ther-passw0rd") == "NotAuthorizedException"


def test_an_expired_session_is_refused(public, signin, make_user):
    pool_id, client = signin(AuthSessionValidity=3)
    make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client)["Session"]
    stored = AuthSession.objects.get()
    assert timedelta(minutes=2, seconds=50) < stored.expires_at - stored.created_at <= timedelta(minutes=3, seconds=1)
    AuthSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _respond_error(public, client, session, NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
    assert user_named(pool_id, "alice").status == User.Status.FORCE_CHANGE_PASSWORD


def test_a_made_up_or_foreign_session_is_refused(public, signin, make_client, make_user):
    pool_id, client = signin()
    other = make_client(pool_id, "other", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    make_user(pool_id, "bob", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client)["Session"]
    assert _respond_error(public, client, "x" * 40, NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
    assert _respond_error(public, other, session, NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
    assert _respond_error(public, client, session, "bob", NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
    _respond(public, client, session, NEW_PASSWORD=NEW_PASSWORD)  # still good for its own user and client


def test_a_required_attribute_the_user_lacks_must_be_given(public, signin):
    pool_id, client = signin(NAME_REQUIRED)
    # Created without its required attribute (as an import or an older schema leaves it).
    user = User(
        pool=user_pool_get(pool_id),
        username="alice",
        username_key="alice",
        status=User.Status.FORCE_CHANGE_PASSWORD,
        attributes={},
    )
    users.password_set(user, PASSWORD)
    user.save()
    challenged = _challenged(public, client)
    assert json.loads(challenged["ChallengeParameters"]["requiredAttributes"]) == ["userAttributes.name"]
    session = challenged["Session"]
    assert _respond_error(public, client, session, NEW_PASSWORD=NEW_PASSWORD) == "InvalidParameterException"
    # A refused response does not spend the session.
    result = _respond(public, client, session, NEW_PASSWORD=NEW_PASSWORD, **{"userAttributes.name": "Alice"})
    assert_signed_in(result, user, client["ClientId"])
    assert user_named(pool_id, "alice").attributes["name"] == "Alice"


@pytest.mark.parametrize(
    ("responses", "code"),
    [
        ({"NEW_PASSWORD": "short"}, "InvalidPasswordException"),
        ({}, "InvalidParameterException"),
        ({"NEW_PASSWORD": NEW_PASSWORD, "userAttributes.nosuch": "x"}, "InvalidParameterException"),
        ({"NEW_PASSWORD": NEW_PASSWORD, "userAttributes.email_verified": "true"}, "NotAuthorizedException"),
    ],
)
def test_bad_responses(public, signin, make_user, responses, code):
    pool_id, client = signin()
    make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client)["Session"]
    assert _respond_error(public, client, session, **responses) == code
    assert user_named(pool_id, "alice").status == User.Status.FORCE_CHANGE_PASSWORD


def test_respond_checks_the_secret_hash(public, signin, make_user):
    pool_id, client = signin(GenerateSecret=True)
    user = make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client, SECRET_HASH=hash_for(client, "alice"))["Session"]
    assert _respond_error(public, client, session, NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
    result = _respond(public, client, session, NEW_PASSWORD=NEW_PASSWORD, SECRET_HASH=hash_for(client, "alice"))
    assert_signed_in(result, user, client["ClientId"])


def test_a_user_disabled_during_the_challenge_is_refused(public, idp, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    session = _challenged(public, client)["Session"]
    idp.admin_disable_user(UserPoolId=pool_id, Username="alice")
    assert _respond_error(public, client, session, NEW_PASSWORD=NEW_PASSWORD) == "NotAuthorizedException"
