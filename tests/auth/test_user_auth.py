"""USER_AUTH: choice-based sign-in with the PASSWORD and PASSWORD_SRP first factors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.auth.conftest import PASSWORD, assert_signed_in, call_error
from userpools import srp

pytestmark = pytest.mark.django_db(transaction=True)

FLOWS = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def user_auth(api, client: dict, **params) -> dict:
    return api.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters=params)


def test_without_a_preference_the_user_selects_a_challenge(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    user = make_user(pool_id, "alice")
    answer = user_auth(public, client, USERNAME="alice")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    assert answer["Session"]
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert_signed_in(result, user, client["ClientId"])


def test_selecting_password_srp_leads_to_the_password_verifier(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    user = make_user(pool_id, "alice")
    answer = user_auth(public, client, USERNAME="alice")
    helper = srp.Client(pool_id)
    challenge = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "PASSWORD_SRP", "SRP_A": helper.srp_a},
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        Session=challenge["Session"],
        ChallengeResponses=helper.respond(challenge["ChallengeParameters"], PASSWORD),
    )
    assert_signed_in(result, user, client["ClientId"])


def test_preferred_password_signs_in_at_once(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    user = make_user(pool_id, "alice")
    result = user_auth(public, client, USERNAME="alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert_signed_in(result, user, client["ClientId"])
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Wr0ng-pass!"},
    )
    assert code == "NotAuthorizedException"


def test_preferred_password_srp_challenges_at_once(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    user = make_user(pool_id, "alice")
    helper = srp.Client(pool_id)
    challenge = user_auth(public, client, USERNAME="alice", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=helper.srp_a)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(challenge["ChallengeParameters"], PASSWORD),
    )
    assert_signed_in(result, user, client["ClientId"])


def test_a_preference_that_is_not_offered_falls_back_to_selection(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    make_user(pool_id, "alice")
    answer = user_auth(public, client, USERNAME="alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"


def test_answering_a_challenge_that_is_not_offered(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    make_user(pool_id, "alice")
    answer = user_auth(public, client, USERNAME="alice")
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "SMS_OTP"},
    )
    assert code == "InvalidParameterException"


def test_the_selection_session_is_single_use_and_bound_to_its_user(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    make_user(pool_id, "alice")
    make_user(pool_id, "mallory")
    answer = user_auth(public, client, USERNAME="alice")
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "mallory", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert code == "NotAuthorizedException"
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert code == "NotAuthorizedException"  # spent by the refused answer


def test_the_flow_must_be_enabled(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    code = call_error(
        public.initiate_auth, ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "alice"}
    )
    assert code == "InvalidParameterException"


def test_unknown_user_is_not_revealed_with_prevent_user_existence_errors(public, signin):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="ENABLED")
    answer = user_auth(public, client, USERNAME="nobody")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    with pytest.raises(ClientError) as exc:
        public.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="SELECT_CHALLENGE",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "nobody", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD},
        )
    assert exc.value.response["Error"]["Message"] == "Incorrect username or password."


def test_unknown_user_in_legacy_mode(public, signin):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS, PreventUserExistenceErrors="LEGACY")
    code = call_error(
        public.initiate_auth, ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "nobody"}
    )
    assert code == "UserNotFoundException"


def test_admin_initiate_auth_with_user_auth(idp, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    user = make_user(pool_id, "alice")
    result = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD},
    )
    assert_signed_in(result, user, client["ClientId"])
