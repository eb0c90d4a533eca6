"""Every ``x-amz-*`` header of a signed request must be signed (issue G0, finding 8).

The attack: a request signed without ``X-Amz-Target`` (a harmless AdminGetUser) is
replayed with another target (AdminDisableUser) and the same body, within the clock-skew
window. Requests go over HTTP to live_server, signed by botocore's SigV4Auth; a subclass
of it leaves chosen headers out of SignedHeaders, as a careless or hostile signer would.
"""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import REGION
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import pools, users

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = "AWSCognitoIdentityProviderService."
INVALID_SIGNATURE = "InvalidSignatureException"


class _SignOnly(SigV4Auth):
    """SigV4Auth that leaves the headers in ``skip`` out of SignedHeaders."""

    skip: frozenset[str] = frozenset()

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        for name in self.skip:
            if name in headers:
                del headers[name]
        return headers


def _send(
    base_url: str,
    key: tuple[str, str],
    body: dict,
    *,
    headers: dict[str, str],
    skip: tuple[str, ...] = (),
    after: dict[str, str] | None = None,
) -> requests.Response:
    """Sign ``headers`` (but ``skip``), then add ``after`` unsigned, and POST to ``/``."""
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST", url=f"{base_url}/", data=data, headers={"Content-Type": "application/x-amz-json-1.1", **headers}
    )
    signer = type("Signer", (_SignOnly,), {"skip": frozenset(h.lower() for h in skip)})
    signer(Credentials(*key), "cognito-idp", REGION).add_auth(request)
    prepared = dict(request.prepare().headers)
    prepared.update(after or {})
    return requests.post(f"{base_url}/", data=data, headers=prepared, timeout=10)


@pytest.fixture
def victim(ctx):
    pool = pools.user_pool_create(ctx, {"PoolName": "victims"})
    users.user_create(
        SYSTEM, pool=pool, username="victim", password="Passw0rd!-long", attributes={}, status=User.Status.CONFIRMED
    )
    return {"UserPoolId": pool.id, "Username": "victim"}


def _code(response: requests.Response) -> str:
    return response.json().get("__type", "") if response.status_code != 200 else ""


def test_a_request_signed_without_its_target_cannot_be_replayed_as_another_operation(
    live_server, make_access_key, victim
):
    key = make_access_key()
    # The operator's own request: the target travels, but is not signed.
    first = _send(live_server.url, key, victim, headers={}, after={"X-Amz-Target": TARGET + "AdminGetUser"})
    # The attacker's replay: the same signature and body, another target.
    replay = _send(live_server.url, key, victim, headers={}, after={"X-Amz-Target": TARGET + "AdminDisableUser"})
    assert (replay.status_code, _code(replay)) == (400, INVALID_SIGNATURE), replay.text
    assert (first.status_code, _code(first)) == (400, INVALID_SIGNATURE), first.text
    assert User.objects.get(pool_id=victim["UserPoolId"], username="victim").is_active
    # The same request with its target signed is served.
    signed = _send(live_server.url, key, victim, headers={"X-Amz-Target": TARGET + "AdminGetUser"})
    assert signed.status_code == 200, signed.text


@pytest.mark.parametrize(
    "skip, after",
    [
        (("X-Amz-Target",), {}),
        (("X-Amz-Date",), {}),
        ((), {"X-Amz-User-Agent": "aws-sdk-js/3.0.0"}),
        ((), {"X-Amz-Security-Token": "not-signed"}),
        ((), {"x-amz-anything-else": "1"}),
    ],
)
def test_every_x_amz_header_present_must_be_signed(live_server, make_access_key, victim, skip, after):
    response = _send(
        live_server.url,
        make_access_key(),
        victim,
        headers={"X-Amz-Target": TARGET + "AdminGetUser"},
        skip=skip,
        after=after,
    )
    assert (response.status_code, _code(response)) == (400, INVALID_SIGNATURE), response.text


def test_a_date_header_standing_for_x_amz_date_must_be_signed(live_server, make_access_key, victim):
    key = make_access_key()
    headers = {"X-Amz-Target": TARGET + "AdminGetUser", "Date": formatdate(usegmt=True)}
    unsigned = _send(live_server.url, key, victim, headers=headers, skip=("Date",))
    assert (unsigned.status_code, _code(unsigned)) == (400, INVALID_SIGNATURE), unsigned.text
    assert _send(live_server.url, key, victim, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "after",
    [
        {"User-Agent": "curl/8"},  # botocore never signs it
        {"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793"},  # a load balancer's, not x-amz-
        {"X-Amz-Cf-Id": "added-by-cloudfront"},  # CloudFront adds it to what it forwards
    ],
)
def test_headers_a_proxy_adds_after_signing_are_allowed(live_server, make_access_key, victim, after):
    response = _send(
        live_server.url, make_access_key(), victim, headers={"X-Amz-Target": TARGET + "AdminGetUser"}, after=after
    )
    assert response.status_code == 200, response.text
