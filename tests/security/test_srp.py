"""SRP as an attacker tries it: the server's secret b must not follow from anything the client
sees (userpools/srp.py).

An earlier release derived b as HMAC-SHA512(b"cognate-srp-b", SECRET_BLOCK) and sent
SECRET_BLOCK to the client. Anyone with a pool id, a client id and a username then computed
b, recovered the verifier v = (B - g^b) / k mod N from the challenge's SRP_B, and signed a
valid PASSWORD_CLAIM: signed in as the victim without the password. The same worked for
USER_AUTH's PASSWORD_SRP and for a remembered device's DEVICE_PASSWORD_VERIFIER (which stands
in for MFA). These tests run that attack, using only what the server sent, through boto3.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth.conftest import PASSWORD, assert_signed_in
from tests.devices.conftest import device_srp_start, remembered_device, srp_sign_in
from tests.mfa.conftest import totp_enroll
from userpools import srp
from userpools.models import AuthSession, User
from userpools.services import users

pytestmark = pytest.mark.django_db(transaction=True)

SRP_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


# --- The attacker's arithmetic: public values only ------------------------------------------


def derived_b(secret_block: str) -> int:
    """b as the vulnerable release derived it from the SECRET_BLOCK it sent out."""
    digest = hmac.new(b"cognate-srp-b", secret_block.encode("ascii"), hashlib.sha512).digest()
    return int.from_bytes(digest[: srp.EPHEMERAL_BYTES], "big") % srp.N or 1


def verifier_from(big_b: int, b: int) -> int:
    """v = (B - g^b) / k mod N: what B gives away to whoever knows b."""
    return (big_b - srp._powmod(srp.G, b, srp.N)) * pow(srp.K, -1, srp.N) % srp.N


class Attacker:
    """An SRP 'client' that knows no password: it guesses b from the challenge and signs with
    the verifier that guess recovers."""

    def __init__(self) -> None:
        self.a = secrets.randbits(1024) or 1
        self.big_a = srp._powmod(srp.G, self.a, srp.N)

    @property
    def srp_a(self) -> str:
        return f"{self.big_a:x}"

    def _signature(self, params: dict[str, str], realm: str, user_id: str, timestamp: str) -> str:
        block, big_b = params["SECRET_BLOCK"], int(params["SRP_B"], 16)
        b = derived_b(block)
        v = verifier_from(big_b, b)
        u = int(hashlib.sha256(bytes.fromhex(srp.pad_hex(self.big_a) + srp.pad_hex(big_b))).hexdigest(), 16)
        s = srp._powmod(self.big_a * srp._powmod(v, u, srp.N) % srp.N, b, srp.N)  # the server's S
        prk = hmac.new(bytes.fromhex(srp.pad_hex(u)), bytes.fromhex(srp.pad_hex(s)), hashlib.sha256).digest()
        key = hmac.new(prk, srp.INFO + b"\x01", hashlib.sha256).digest()[:16]
        return srp.claim_signature(key, realm=realm, user_id=user_id, secret_block=block, timestamp=timestamp)

    def claim(self, params: dict[str, str], pool_id: str) -> dict[str, str]:
        timestamp = srp.timestamp_format(datetime.now(UTC))
        user_id = params["USER_ID_FOR_SRP"]
        return {
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": self._signature(params, srp.pool_name(pool_id), user_id, timestamp),
        }

    def device_claim(self, params: dict[str, str], group_key: str, device_key: str) -> dict[str, str]:
        timestamp = srp.timestamp_format(datetime.now(UTC))
        return {
            "USERNAME": params["USERNAME"],
            "DEVICE_KEY": device_key,
            "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": self._signature(params, group_key, device_key, timestamp),
        }


def refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


# --- The attacks --------------------------------------------------------------------------


def test_user_srp_auth_claim_forged_from_the_challenge_is_refused(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "victim")
    attacker = Attacker()
    challenge = public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "victim", "SRP_A": attacker.srp_a},
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    code = refused(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=attacker.claim(challenge["ChallengeParameters"], pool_id),
    )
    assert code == "NotAuthorizedException"


def test_user_auth_password_srp_claim_forged_from_the_challenge_is_refused(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    make_user(pool_id, "victim")
    attacker = Attacker()
    challenge = public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "victim", "PREFERRED_CHALLENGE": "PASSWORD_SRP", "SRP_A": attacker.srp_a},
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    code = refused(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        Session=challenge["Session"],
        ChallengeResponses=attacker.claim(challenge["ChallengeParameters"], pool_id),
    )
    assert code == "NotAuthorizedException"


def test_device_claim_forged_from_the_challenge_does_not_stand_in_for_mfa(public, device_pool, make_user):
    """A remembered device skips MFA; its proof must not be forgeable by someone who has the
    password (first factor) and the device's keys but not the device's random password."""
    pool_id, client = device_pool(mfa="OPTIONAL")
    make_user(pool_id, "victim")
    device, first = remembered_device(public, client, pool_id, "victim")
    token = first["AuthenticationResult"]["AccessToken"]
    totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    answer = srp_sign_in(public, client, pool_id, "victim", device)
    attacker = Attacker()
    _, verifier = device_srp_start(public, client, pool_id, answer, "victim", device, helper=attacker)
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    responses = attacker.device_claim(verifier["ChallengeParameters"], device.group, device.key)
    code = refused(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=verifier["Session"],
        ChallengeResponses=responses,
    )
    assert code == "NotAuthorizedException"


# --- Properties of B and of the stored state ------------------------------------------------


def _challenge(public, client: dict, username: str, helper) -> dict:
    return public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": username, "SRP_A": helper.srp_a},
    )["ChallengeParameters"]


def test_b_never_reveals_the_verifier(public, signin, make_user):
    """Two challenges for the same user: g^b differs (b is fresh), and neither the challenge's
    public values nor the earlier derivation give back v."""
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "victim")
    _, v = users.srp_verifier_read(User.objects.get(pk=user.pk))
    masks = []
    for _ in range(2):
        params = _challenge(public, client, "victim", srp.Client(pool_id))
        big_b = int(params["SRP_B"], 16)
        assert verifier_from(big_b, derived_b(params["SECRET_BLOCK"])) != v
        masks.append((big_b - srp.K * v) % srp.N)  # g^b, which only the server may know
    assert masks[0] != masks[1]
    assert all(mask not in (0, 1) for mask in masks)


def test_b_is_kept_encrypted_and_only_on_the_server(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "victim")
    _, v = users.srp_verifier_read(User.objects.get(pk=user.pk))
    params = _challenge(public, client, "victim", srp.Client(pool_id))
    session = AuthSession.objects.get(challenge="PASSWORD_VERIFIER", user=user)
    b = srp.ephemeral_open(session.state["srp_secret"])
    assert b.bit_length() > 200
    assert srp.server_public(v, b) == int(params["SRP_B"], 16)
    stored = json.dumps(session.state)
    assert f"{b:x}" not in stored and str(b) not in stored
    assert f"{b:x}" not in json.dumps(params) and params["SECRET_BLOCK"] not in stored


def test_a_claim_with_a_tampered_server_secret_is_refused(public, signin, make_user):
    """The stored b is authenticated encryption: a row edited to hold another value fails closed."""
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "victim")
    helper = srp.Client(pool_id)
    params = _challenge(public, client, "victim", helper)
    session = AuthSession.objects.get(challenge="PASSWORD_VERIFIER", user=user)
    session.state["srp_secret"] = srp.ephemeral_seal(2)[:-4] + "AAAA"
    session.save(update_fields=["state"])
    code = refused(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(params, PASSWORD),
    )
    assert code == "NotAuthorizedException"


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(wrong=st.text(min_size=1, max_size=40).filter(lambda p: p != PASSWORD))
def test_the_claim_fails_for_any_wrong_password(public, signin, make_user, wrong):
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    make_user(pool_id, "victim")
    helper = srp.Client(pool_id)
    params = _challenge(public, client, "victim", helper)
    code = refused(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(params, wrong),
    )
    assert code == "NotAuthorizedException"


def test_the_right_password_still_signs_in_after_many_challenges(public, signin, make_user):
    """Fresh b per challenge does not break honest clients: interleaved challenges each verify."""
    pool_id, client = signin(ExplicitAuthFlows=SRP_FLOWS)
    user = make_user(pool_id, "alice")
    pending = [
        (helper, _challenge(public, client, "alice", helper)) for helper in (srp.Client(pool_id) for _ in range(3))
    ]
    for helper, params in reversed(pending):
        result = public.respond_to_auth_challenge(
            ClientId=client["ClientId"],
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=helper.respond(params, PASSWORD),
        )
        assert_signed_in(result, user, client["ClientId"])
