"""pycognito's ``Cognito`` class, unmodified, against Cognate: registration and
confirmation, SRP sign-in, token checks and renewal, password change, sign-out.

``Cognito`` is pointed at the live server through its ``boto3_client_kwargs``
(``endpoint_url``), which also makes its ``user_pool_url`` -- the issuer it expects and
where it fetches the JWKS -- ``{endpoint}/{pool_id}``: Cognate's issuer when
COGNATE_PUBLIC_URL is the live server. So every sign-in and renewal below also checks the
tokens' signatures, issuer, audience and ``token_use`` the way pycognito's users rely on.
(tests/auth/test_srp.py covers its lower-level AWSSRP on its own.)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pycognito
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.exceptions import TokenVerificationException

from tests.clients.conftest import PASSWORD, user_named
from tests.userpools.conftest import call_error
from userpools.models import User

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "N3w-Passw0rd!"
CONFIG = Config(signature_version=UNSIGNED, retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


@pytest.fixture
def cognito(public_url, monkeypatch):
    """cognito(pool_id, client dict, username) -> a pycognito ``Cognito`` for the live server."""
    monkeypatch.delenv("COGNITO_JWKS", raising=False)  # pycognito would trust these keys instead
    made: list[Cognito] = []

    def make(pool_id: str, client: dict, username: str, **kwargs) -> Cognito:
        instance = Cognito(
            pool_id,
            client["ClientId"],
            username=username,
            client_secret=client.get("ClientSecret"),
            botocore_config=CONFIG,
            boto3_client_kwargs={"endpoint_url": public_url},
            **kwargs,
        )
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.client.close()


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def client_clock_ahead(monkeypatch, hours: int = 2) -> None:
    """pycognito's clock (and only its) ``hours`` later, so it finds its access token expired."""

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + dt.timedelta(hours=hours)

    monkeypatch.setattr(pycognito, "datetime", SimpleNamespace(datetime=Later))


def test_register_confirm_and_sign_in_with_srp(app, cognito, public_url, mailbox):
    pool_id, client = app()
    address = mailbox.address("py")
    user = cognito(pool_id, client, "pyuser")
    user.set_base_attributes(email=address, given_name="Py")
    registered = user.register("pyuser", PASSWORD)
    assert registered["UserConfirmed"] is False
    assert registered["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert user_named(pool_id, "pyuser").status == User.Status.UNCONFIRMED

    user.confirm_sign_up(mailbox.code_for(address))
    user.authenticate(password=PASSWORD)  # SRP; pycognito verifies both tokens against Cognate's JWKS

    assert user.user_pool_url == f"{public_url}/{pool_id}"
    assert user.token_type == "Bearer" and user.refresh_token
    stored = user_named(pool_id, "pyuser")
    assert user.id_claims["sub"] == user.access_claims["sub"] == str(stored.sub)
    assert user.id_claims["email"] == address and user.id_claims["email_verified"] is True
    assert user.id_claims["aud"] == user.access_claims["client_id"] == client["ClientId"]
    assert user.access_claims["username"] == "pyuser"
    user.verify_tokens()

    profile = user.get_user()
    # (pycognito turns "true" into True)
    assert (profile.sub, profile.email, profile.given_name, profile.email_verified) == (
        str(stored.sub),
        address,
        "Py",
        True,
    )


@pytest.mark.parametrize("secret", [False, True], ids=["public-client", "client-with-secret"])
def test_renew_change_password_and_sign_in_with_the_new_one(app, cognito, make_user, monkeypatch, secret):
    pool_id, client = app(GenerateSecret=secret)
    make_user(pool_id, "carol", email="carol@example.com")
    user = cognito(pool_id, client, "carol")
    user.authenticate(password=PASSWORD)
    first_access, first_claims, refresh = user.access_token, user.access_claims, user.refresh_token

    assert user.check_token() is False  # fresh: nothing to do
    assert user.access_token == first_access

    with monkeypatch.context() as later:
        client_clock_ahead(later)
        assert user.check_token() is True  # expired by pycognito's clock: renewed with the refresh token
    assert user.access_token != first_access
    assert user.refresh_token == refresh  # no rotation configured: the same refresh token stays
    assert user.access_claims["origin_jti"] == first_claims["origin_jti"]
    assert user.access_claims["auth_time"] == first_claims["auth_time"]
    assert user.access_claims["jti"] != first_claims["jti"]
    user.renew_access_token()  # directly, as apps do on a 401
    user.verify_tokens()

    user.change_password(PASSWORD, NEW_PASSWORD)
    assert user.password == NEW_PASSWORD

    again = cognito(pool_id, client, "carol")
    again.authenticate(password=NEW_PASSWORD)
    assert again.access_claims["sub"] == first_claims["sub"]
    with pytest.raises(ClientError) as exc:
        cognito(pool_id, client, "carol").authenticate(password=PASSWORD)
    assert error_code(exc) == "NotAuthorizedException"


def test_wrong_current_password_is_refused_by_change_password(app, cognito, make_user):
    pool_id, client = app()
    make_user(pool_id, "dave")
    user = cognito(pool_id, client, "dave")
    user.authenticate(password=PASSWORD)
    with pytest.raises(ClientError) as exc:
        user.change_password("Not-the-Passw0rd!", NEW_PASSWORD)
    assert error_code(exc) == "NotAuthorizedException"
    cognito(pool_id, client, "dave").authenticate(password=PASSWORD)  # unchanged


def test_logout_revokes_the_session(app, cognito, make_user, public):
    pool_id, client = app()
    make_user(pool_id, "erin")
    user = cognito(pool_id, client, "erin")
    user.authenticate(password=PASSWORD)
    access, refresh = user.access_token, user.refresh_token
    user.logout()  # GlobalSignOut
    assert user.access_token is None and user.refresh_token is None

    assert call_error(public.get_user, AccessToken=access) == "NotAuthorizedException"
    revoked = cognito(pool_id, client, "erin", access_token=access, refresh_token=refresh)
    with pytest.raises(ClientError) as exc:
        revoked.renew_access_token()
    assert error_code(exc) == "NotAuthorizedException"


def test_tokens_of_another_client_do_not_verify(app, cognito, make_client, make_user):
    """pycognito's check of the ID token's audience, with Cognate's real keys and issuer."""
    pool_id, client = app()
    other = make_client(pool_id, "other", ExplicitAuthFlows=client["ExplicitAuthFlows"])
    make_user(pool_id, "fay")
    user = cognito(pool_id, client, "fay")
    user.authenticate(password=PASSWORD)
    stranger = cognito(pool_id, other, "fay", id_token=user.id_token, access_token=user.access_token)
    with pytest.raises(TokenVerificationException):
        stranger.verify_tokens()
