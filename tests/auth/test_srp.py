"""USER_SRP_AUTH and PASSWORD_VERIFIER: Cognito's SRP, driven through boto3 by the SRP
client in userpools.srp and by pycognito's (an SDK's own arithmetic, unmodified)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.auth.conftest import PASSWORD, assert_signed_in, call_error, hash_for, user_named
from userpools import srp
from userpools.models import User

pytestmark = pytest.mark.django_db(transaction=True)

SRP_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def srp_begin(api, client: dict, pool_id: str, username: str, **extra):
    helper = srp.Client(pool_id)
    params = {"USERNAME": username, "SRP_A": helper.srp_a, **extra}
    answer = api.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    return helper, answer


def srp_sign_in(api, client: dict, pool_id: str, username: str, password: str = PASSWORD, **extra) -> dict:
    helper, answer = srp_begin(api, client, pool_id, username, **extra)
    assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.respond(answer["ChallengeParameters"], password)
    if "SECRET_HASH" in extra:
        responses["SECRET_HASH"] = hash_for(client, responses["USERNAME"])
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


def srp_error(*args, **kwargs) -> str:
    """The error code an SRP sign-in ends in."""
    with pytest.raises(ClientError) as exc:
        srp_sign_in(*args, **kwargs)
    return exc.value.response["Error"]["Code"]


def test_srp_sign_in_issues_tokens(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "alice")
    helper, answer = srp_begin(public, client, pool_id, "alice")
    params = answer["ChallengeParameters"]
    assert set(params) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    assert params["USER_ID_FOR_SRP"] == params["USERNAME"] == "alice"
    int(params["SRP_B"], 16), int(params["SALT"], 16)  # both hex
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(params, PASSWORD),
    )
    assert_signed_in(result, user, client["ClientId"])


def test_pycognito_signs_in_with_srp(public, signin, make_user):
    """pycognito's AWSSRP, unmodified, against Cognate."""
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "bob")
    result = AWSSRP(
        username="bob", password=PASSWORD, pool_id=pool_id, client_id=client["ClientId"], client=public
    ).authenticate_user()
    assert_signed_in({"ChallengeParameters": {}, **result}, user, client["ClientId"])


def test_srp_with_a_client_secret_and_an_alias(public, signin, make_user):
    pool_id, client = signin({"AliasAttributes": ["email"]}, ExplicitAuthFlows=SRP_FLOWS, GenerateSecret=True)
    user = make_user(pool_id, "carol", email="carol@example.com")
    helper, answer = srp_begin(
        public, client, pool_id, "carol@example.com", SECRET_HASH=hash_for(client, "carol@example.com")
    )
    params = answer["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == "carol"  # the real username, which the verifier was made for
    responses = helper.respond(params, PASSWORD) | {"SECRET_HASH": hash_for(client, "carol")}
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert_signed_in(result, user, client["ClientId"])


def test_srp_needs_the_flow_enabled(public, signin, make_user):
    pool_id, client = signin()  # the password flows only
    make_user(pool_id, "alice")
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "alice", "SRP_A": srp.Client(pool_id).srp_a},
    )
    assert code == "InvalidParameterException"


def test_wrong_password_is_refused_and_counts_towards_lockout(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    code = srp_error(public, client, pool_id, "alice", "Wrong-Passw0rd!")
    assert code == "NotAuthorizedException"
    assert user_named(pool_id, "alice").failed_sign_ins == 1
    srp_sign_in(public, client, pool_id, "alice")  # the right one still works, and clears the count
    assert user_named(pool_id, "alice").failed_sign_ins == 0


def test_a_locked_out_user_is_refused_even_with_the_right_password(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    User.objects.filter(username="alice").update(
        failed_sign_ins=5, locked_until=datetime.now(UTC) + timedelta(minutes=1)
    )
    with pytest.raises(ClientError) as exc:
        srp_sign_in(public, client, pool_id, "alice")
    assert exc.value.response["Error"]["Message"] == "Password attempts exceeded"


def test_the_claim_is_single_use(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    helper, answer = srp_begin(public, client, pool_id, "alice")
    responses = helper.respond(answer["ChallengeParameters"], PASSWORD)
    public.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    )
    assert code == "NotAuthorizedException"


def test_a_forged_secret_block_is_refused(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    helper, answer = srp_begin(public, client, pool_id, "alice")
    params = dict(answer["ChallengeParameters"], SECRET_BLOCK=srp.secret_block_new())
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(params, PASSWORD),
    )
    assert code == "NotAuthorizedException"


@pytest.mark.parametrize(
    "timestamp",
    [
        "Thu Nov 26 15:00:00 2026",
        "Thu Nov 05 15:00:00 UTC 2026",
        "Fri Nov 26 15:00:00 UTC 2026",
        "2026-11-26T15:00:00Z",
    ],
)
def test_a_malformed_timestamp_is_refused(public, signin, make_user, timestamp):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    helper, answer = srp_begin(public, client, pool_id, "alice")
    responses = helper.respond(answer["ChallengeParameters"], PASSWORD) | {"TIMESTAMP": timestamp}
    with pytest.raises(ClientError) as exc:
        public.respond_to_auth_challenge(
            ClientId=client["ClientId"], ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "TIMESTAMP format" in exc.value.response["Error"]["Message"]


def test_a_stale_timestamp_is_refused(public, signin, make_user):
    """A claim signed for a time far from now (a replayed or precomputed one) fails."""
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    helper, answer = srp_begin(public, client, pool_id, "alice")
    responses = helper.respond(answer["ChallengeParameters"], PASSWORD, now=datetime.now(UTC) - timedelta(hours=1))
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    )
    assert code == "NotAuthorizedException"


def test_srp_a_zero_mod_n_is_refused(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    for value in ("0", f"{srp.N:x}", "not-hex"):
        code = call_error(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "alice", "SRP_A": value},
        )
        assert code == "InvalidParameterException"


def test_unknown_user_with_prevent_user_existence_errors_gets_a_stable_challenge(public, signin):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS, PreventUserExistenceErrors="ENABLED")
    _, first = srp_begin(public, client, pool_id, "nobody")
    _, second = srp_begin(public, client, pool_id, "nobody")
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert first["ChallengeParameters"]["SALT"] == second["ChallengeParameters"]["SALT"]
    assert first["ChallengeParameters"]["SRP_B"] != second["ChallengeParameters"]["SRP_B"]
    with pytest.raises(ClientError) as exc:
        srp_sign_in(public, client, pool_id, "nobody")
    assert exc.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == "Incorrect username or password."


def test_unknown_user_without_prevent_user_existence_errors(public, signin):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS, PreventUserExistenceErrors="LEGACY")
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "nobody", "SRP_A": srp.Client(pool_id).srp_a},
    )
    assert code == "UserNotFoundException"


@pytest.mark.parametrize(
    "status,error",
    [
        (User.Status.UNCONFIRMED, "UserNotConfirmedException"),
        (User.Status.RESET_REQUIRED, "PasswordResetRequiredException"),
    ],
)
def test_account_state_is_checked_after_the_claim(public, signin, make_user, status, error):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice", status=status)
    assert srp_error(public, client, pool_id, "alice") == error


def test_disabled_user(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "alice")
    User.objects.filter(username="alice").update(is_active=False)
    with pytest.raises(ClientError) as exc:
        srp_sign_in(public, client, pool_id, "alice")
    assert exc.value.response["Error"]["Message"] == "User is disabled."


def test_temporary_password_leads_to_new_password_required(idp, public, signin):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    idp.admin_create_user(
        UserPoolId=pool_id, Username="dora", TemporaryPassword="Temp-Passw0rd!", MessageAction="SUPPRESS"
    )
    answer = srp_sign_in(public, client, pool_id, "dora", "Temp-Passw0rd!")
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "dora", "NEW_PASSWORD": PASSWORD},
    )
    assert_signed_in(result, user_named(pool_id, "dora"), client["ClientId"])
    # The new password has its own verifier: SRP with it works, with the temporary one not.
    assert "AuthenticationResult" in srp_sign_in(public, client, pool_id, "dora")
    assert srp_error(public, client, pool_id, "dora", "Temp-Passw0rd!") == "NotAuthorizedException"


def test_a_password_from_before_srp_gets_its_verifier_at_the_next_password_sign_in(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=[*SRP_FLOWS, "ALLOW_USER_PASSWORD_AUTH"])
    make_user(pool_id, "old")
    User.objects.filter(username="old").update(srp_verifier="")
    assert srp_error(public, client, pool_id, "old") == "NotAuthorizedException"
    public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "old", "PASSWORD": PASSWORD},
    )
    assert "AuthenticationResult" in srp_sign_in(public, client, pool_id, "old")


def test_the_verifier_is_stored_encrypted(signin, make_user):
    pool_id, _ = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "alice")
    salt, _, sealed = user.srp_verifier.partition("$")
    stored_salt, verifier = srp.verifier_make(pool_id, "alice", PASSWORD)[0], None
    assert len(salt) == len(stored_salt) == 32 and sealed
    verifier = int(__import__("userpools.crypto", fromlist=["decrypt"]).decrypt(sealed), 16)
    assert f"{verifier:x}" not in user.srp_verifier


def test_timestamp_format_matches_the_sdks():
    moment = datetime(2026, 11, 3, 4, 5, 6, tzinfo=UTC)
    assert srp.timestamp_format(moment) == "Tue Nov 3 04:05:06 UTC 2026"
    assert AWSSRP.get_cognito_formatted_timestamp(moment.replace(tzinfo=None)) == srp.timestamp_format(moment)
    assert srp.timestamp_parse("Tue Nov 3 04:05:06 UTC 2026") == moment
    assert srp.timestamp_parse("Wed Nov 3 04:05:06 UTC 2026") is None  # wrong weekday
    assert srp.timestamp_parse("Tue Feb 30 04:05:06 UTC 2026") is None
