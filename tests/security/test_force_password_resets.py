"""manage.py force_password_resets: after an incident (SECURITY.md: the SRP verifiers that
earlier releases exposed), every password user must choose a new password and every session
of theirs ends."""

from __future__ import annotations

from io import StringIO

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command

from tests.auth.conftest import PASSWORD
from userpools.models import User

pytestmark = pytest.mark.django_db(transaction=True)

FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def sign_in(public, client_id: str, username: str) -> dict:
    return public.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]


def code_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def test_every_user_of_the_pool_is_reset_and_signed_out(public, signin, make_pool, make_client, make_user, mailbox):
    pool_id, client = signin(ExplicitAuthFlows=FLOWS)
    other_pool = make_pool("other", AutoVerifiedAttributes=["email"])["Id"]
    other_client = make_client(other_pool, ExplicitAuthFlows=FLOWS)
    addresses = {name: mailbox.address(name) for name in ("alice", "bob")}
    for name, address in addresses.items():
        make_user(pool_id, name, email=address)
    make_user(other_pool, "carol")
    tokens = sign_in(public, client["ClientId"], "alice")
    out = StringIO()
    call_command("force_password_resets", "--pool", pool_id, stdout=out, stderr=StringIO())
    assert "Reset 2 user(s)" in out.getvalue()
    assert set(User.objects.filter(pool_id=pool_id).values_list("status", flat=True)) == {"RESET_REQUIRED"}
    assert all(mailbox.code_for(address) for address in addresses.values())  # each was sent a reset code
    assert (
        code_of(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )
        == "PasswordResetRequiredException"
    )
    assert code_of(public.get_user, AccessToken=tokens["AccessToken"]) == "NotAuthorizedException"
    assert (
        code_of(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
        == "NotAuthorizedException"
    )
    assert sign_in(public, other_client["ClientId"], "carol")["AccessToken"]  # another pool is untouched


def test_an_unknown_pool_is_an_error():
    with pytest.raises(CommandError):
        call_command("force_password_resets", "--pool", "us-east-1_Nope", stdout=StringIO())
