"""Unit tests for identity.sigv4 -- pure Python, no Django.

Requests are signed by botocore itself (the reference implementation) and
then fed to the verifier the way the web layer would see them on the wire.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from unittest import mock
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the repo root is not necessarily importable under plain pytest
    sys.path.insert(0, _ROOT)

from identity import sigv4  # noqa: E402
from identity.sigv4 import (  # noqa: E402
    Credential,
    SignedRequest,
    SigV4Error,
    derive_signing_key,
    parse_authorization,
    require_authorization,
    verify,
)

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "cognito-idp"
ENDPOINT = "https://cognito-idp.us-east-1.amazonaws.com/"
# botocore's get_current_datetime returns naive UTC.
SIGNED_AT = datetime(2026, 11, 26, 12, 0, 0)
NOW = SIGNED_AT.replace(tzinfo=UTC)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def sign(
    method: str = "POST",
    url: str = ENDPOINT,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    params=None,
    secret: str = SECRET_KEY,
    token: str | None = None,
    when: datetime = SIGNED_AT,
    auth_cls: type[SigV4Auth] = SigV4Auth,
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {}, params=params)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        auth_cls(Credentials(ACCESS_KEY, secret, token), SERVICE, REGION).add_auth(request)
    return request


def on_the_wire(request: AWSRequest, **overrides) -> SignedRequest:
    """What the server sees: raw path/query, headers incl. Host, body bytes."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = dict(prepared.headers.items())
    headers.setdefault("Host", parts.netloc)  # added by the HTTP client
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    fields = dict(
        method=prepared.method,
        path=parts.path or "/",
        query_string=parts.query,
        headers=headers,
        body=body,
    )
    fields.update(overrides)
    return SignedRequest(**fields)


def json_request(**kwargs) -> AWSRequest:
    return sign(
        body=b'{"UserPoolId": "us-east-1_abc", "Limit": 10}',
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUsers",
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": "Boto3/1.35.0 md/Botocore#1.35.0",
        },
        **kwargs,
    )


def replace_header(req: SignedRequest, name: str, value: str | None) -> SignedRequest:
    headers = {k: v for k, v in req.headers.items() if k.lower() != name.lower()}
    if value is not None:
        headers[name] = value
    return SignedRequest(req.method, req.path, req.query_string, headers, req.body)


def expect_error(code: str, fn, *args, **kwargs) -> SigV4Error:
    with pytest.raises(SigV4Error) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --------------------------------------------------------------------------
# happy paths
# --------------------------------------------------------------------------


class _Captured(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def test_real_boto3_client_request_verifies():
    """A request produced by an actual boto3 cognito-idp client verifies."""
    client = boto3.client(
        "cognito-idp",
        region_name=REGION,
        endpoint_url="http://localhost:8000",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}),
    )

    def capture(request, **_):
        raise _Captured(request)

    client.meta.events.register("before-send.cognito-idp.ListUsers", capture)
    with pytest.raises(_Captured) as info:
        client.list_users(UserPoolId="us-east-1_abc", Limit=5)
    sent = info.value.request
    parts = urlsplit(sent.url)
    # The prepared request holds some header values as bytes; the server sees text.
    headers = {k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in sent.headers.items()}
    headers.setdefault("Host", parts.netloc)
    body = sent.body if isinstance(sent.body, bytes) else (sent.body or "").encode()
    req = SignedRequest(sent.method, parts.path or "/", parts.query, headers, body)

    assert req.header("x-amz-target") == "AWSCognitoIdentityProviderService.ListUsers"
    signed_at = datetime.strptime(req.header("x-amz-date"), "%Y%m%dT%H%M%SZ")
    cred = verify(req, SECRET_KEY, now=signed_at.replace(tzinfo=UTC))
    assert cred.access_key_id == ACCESS_KEY
    assert (cred.region, cred.service) == (REGION, SERVICE)
    expect_error("InvalidSignatureException", verify, req, "not-the-secret", now=signed_at)


def test_post_json_body_as_boto3_sends_it():
    req = on_the_wire(json_request())
    cred = verify(req, SECRET_KEY, now=NOW)
    assert cred == Credential(ACCESS_KEY, "20261126", REGION, SERVICE, None)
    assert parse_authorization(req) == cred
    assert require_authorization(req) == cred


def test_verify_defaults_to_current_time():
    req = on_the_wire(json_request(when=datetime.now(UTC).replace(tzinfo=None)))
    assert verify(req, SECRET_KEY).access_key_id == ACCESS_KEY


def test_naive_now_is_utc():
    req = on_the_wire(json_request())
    assert verify(req, SECRET_KEY, now=SIGNED_AT).access_key_id == ACCESS_KEY


def test_query_params_and_odd_path_characters():
    req = on_the_wire(
        sign(
            "GET",
            "https://cognito-idp.us-east-1.amazonaws.com/foo/./b%20r/../x~y//%E2%9C%93/a+b=c;d/",
            params=[("b", "x y"), ("a", "1~2+3"), ("c", "\u00fc"), ("a", "0"), ("empty", "")],
        )
    )
    assert "+" in req.query_string  # form-encoded on the wire, re-encoded in the signature
    assert verify(req, SECRET_KEY, now=NOW)


def test_query_already_in_url():
    req = on_the_wire(sign("GET", "https://cognito-idp.us-east-1.amazonaws.com/p?z=1&a=2&a=1&flag&e=%7E"))
    assert req.query_string == "z=1&a=2&a=1&flag&e=%7E"
    assert verify(req, SECRET_KEY, now=NOW)


def test_port_in_host_and_http():
    req = on_the_wire(sign(url="http://localhost:8000/", body=b"{}"))
    assert req.header("host") == "localhost:8000"
    assert verify(req, SECRET_KEY, now=NOW)


def test_session_token_is_exposed():
    req = on_the_wire(json_request(token="FwoGZXIvYXdzEXAMPLETOKEN"))
    cred = verify(req, SECRET_KEY, now=NOW)
    assert cred.session_token == "FwoGZXIvYXdzEXAMPLETOKEN"
    assert parse_authorization(req).session_token == "FwoGZXIvYXdzEXAMPLETOKEN"
    # The token is a signed header: swapping it breaks the signature.
    swapped = replace_header(req, "X-Amz-Security-Token", "other-token")
    expect_error("InvalidSignatureException", verify, swapped, SECRET_KEY, now=NOW)


def test_date_header_instead_of_x_amz_date():
    http_date = formatdate(0)  # any Date header: botocore replaces it with the signing time
    req = on_the_wire(sign(body=b"{}", headers={"Date": http_date}))
    assert req.header("x-amz-date") is None
    assert req.header("date") == "Thu, 26 Nov 2026 12:00:00 -0000"
    assert verify(req, SECRET_KEY, now=NOW)


def test_header_lookup_is_case_insensitive():
    req = on_the_wire(json_request())
    shouted = SignedRequest(
        req.method,
        req.path,
        req.query_string,
        {k.upper(): v for k, v in req.headers.items()},
        req.body,
    )
    assert verify(shouted, SECRET_KEY, now=NOW)


def test_matching_content_sha256_header_is_accepted():
    import hashlib

    body = b'{"x": 1}'
    req = on_the_wire(sign(body=body, headers={"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}))
    assert verify(req, SECRET_KEY, now=NOW)


def test_aws_test_suite_get_vanilla():
    """Known-answer vector from the AWS SigV4 test suite (get-vanilla)."""
    req = SignedRequest(
        method="GET",
        path="/",
        query_string="",
        headers={
            "Host": "example.amazonaws.com",
            "X-Amz-Date": "20150830T123600Z",
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            ),
        },
        body=b"",
    )
    cred = verify(req, SECRET_KEY, now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC))
    assert cred == Credential("AKIDEXAMPLE", "20150830", "us-east-1", "service")


def test_derive_signing_key_known_answer_and_cache():
    sigv4._clear_signing_key_cache()
    key = derive_signing_key(SECRET_KEY, "20120215", "us-east-1", "iam")
    # From the AWS docs "Examples of how to derive a signing key".
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    assert derive_signing_key(SECRET_KEY, "20120215", "us-east-1", "iam") is key
    assert derive_signing_key("other", "20120215", "us-east-1", "iam") != key
    # Never keyed by the raw secret.
    assert all(SECRET_KEY not in str(k) for k in sigv4._key_cache)


def test_signing_key_cache_is_bounded():
    sigv4._clear_signing_key_cache()
    for i in range(sigv4._KEY_CACHE_MAX + 50):
        derive_signing_key(f"secret-{i}", "20261126", REGION, SERVICE)
    assert len(sigv4._key_cache) == sigv4._KEY_CACHE_MAX
    # LRU: the oldest entries were evicted, the newest kept.
    assert derive_signing_key("secret-0", "20261126", REGION, SERVICE)
    sigv4._clear_signing_key_cache()


# --------------------------------------------------------------------------
# failures
# --------------------------------------------------------------------------


def test_tampered_body():
    req = on_the_wire(json_request())
    tampered = SignedRequest(req.method, req.path, req.query_string, req.headers, req.body.replace(b"10", b"60"))
    err = expect_error("InvalidSignatureException", verify, tampered, SECRET_KEY, now=NOW)
    assert err.message == MISMATCH


def test_tampered_signed_header():
    req = on_the_wire(json_request())
    tampered = replace_header(req, "X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
    expect_error("InvalidSignatureException", verify, tampered, SECRET_KEY, now=NOW)


def test_unsigned_header_may_change():
    req = on_the_wire(json_request())
    assert "user-agent" not in req.header("authorization")
    assert verify(replace_header(req, "User-Agent", "curl/8"), SECRET_KEY, now=NOW)


def test_tampered_path_and_query():
    req = on_the_wire(sign("GET", ENDPOINT + "a", params={"x": "1"}))
    expect_error(
        "InvalidSignatureException",
        verify,
        SignedRequest(req.method, "/b", req.query_string, req.headers, req.body),
        SECRET_KEY,
        now=NOW,
    )
    expect_error(
        "InvalidSignatureException",
        verify,
        SignedRequest(req.method, req.path, "x=2", req.headers, req.body),
        SECRET_KEY,
        now=NOW,
    )
    expect_error(
        "InvalidSignatureException",
        verify,
        SignedRequest("POST", req.path, req.query_string, req.headers, req.body),
        SECRET_KEY,
        now=NOW,
    )


def test_wrong_secret_message_leaks_nothing():
    req = on_the_wire(json_request())
    err = expect_error("InvalidSignatureException", verify, req, "wrong-secret", now=NOW)
    assert err.message == MISMATCH
    assert "wrong-secret" not in str(err) and SECRET_KEY not in str(err)


def test_missing_authorization():
    req = replace_header(on_the_wire(json_request()), "Authorization", None)
    assert parse_authorization(req) is None
    err = expect_error("MissingAuthenticationTokenException", require_authorization, req)
    assert err.message == "Missing Authentication Token"
    expect_error("MissingAuthenticationTokenException", verify, req, SECRET_KEY, now=NOW)
    blank = replace_header(req, "Authorization", "   ")
    assert parse_authorization(blank) is None


GOOD_CRED = f"Credential={ACCESS_KEY}/20261126/us-east-1/cognito-idp/aws4_request"
GOOD_SIG = "Signature=" + "0" * 64


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        ("Bearer abc.def.ghi", "Unsupported Authorization Type"),
        ("AWS4-HMAC-SHA256", "requires 'Credential' parameter"),
        (f"AWS4-HMAC-SHA256 SignedHeaders=host, {GOOD_SIG}", "requires 'Credential'"),
        (f"AWS4-HMAC-SHA256 {GOOD_CRED}, {GOOD_SIG}", "requires 'SignedHeaders'"),
        (f"AWS4-HMAC-SHA256 {GOOD_CRED}, SignedHeaders=host", "requires 'Signature'"),
        (f"AWS4-HMAC-SHA256 {GOOD_CRED}, SignedHeaders=host, Signature=", "requires 'Signature'"),
        (f"AWS4-HMAC-SHA256 {GOOD_CRED}, SignedHeaders=host, {GOOD_SIG}, junk", "name=value"),
        (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261126/us-east-1/aws4_request, SignedHeaders=host, {GOOD_SIG}",
            "exactly 5 slash-delimited",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}//us-east-1/cognito-idp/aws4_request, "
            f"SignedHeaders=host, {GOOD_SIG}",
            "exactly 5 slash-delimited",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20261126/us-east-1/cognito-idp/aws5_request, "
            f"SignedHeaders=host, {GOOD_SIG}",
            "terminator",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/2026-11-26/us-east-1/cognito-idp/aws4_request, "
            f"SignedHeaders=host, {GOOD_SIG}",
            "yyyyMMdd",
        ),
        (f"AWS4-HMAC-SHA256 {GOOD_CRED}, SignedHeaders=host;;x-amz-date, {GOOD_SIG}", "SignedHeaders"),
    ],
)
def test_malformed_authorization(authorization, fragment):
    req = replace_header(on_the_wire(json_request()), "Authorization", authorization)
    err = expect_error("IncompleteSignatureException", parse_authorization, req)
    assert fragment in err.message
    expect_error("IncompleteSignatureException", verify, req, SECRET_KEY, now=NOW)


def test_missing_x_amz_date():
    req = replace_header(on_the_wire(json_request()), "X-Amz-Date", None)
    err = expect_error("IncompleteSignatureException", verify, req, SECRET_KEY, now=NOW)
    assert "X-Amz-Date" in err.message


@pytest.mark.parametrize("bad_date", ["2026-11-26T12:00:00Z", "20261126T120000", "20261326T120000Z", "yesterday"])
def test_unparseable_x_amz_date(bad_date):
    req = replace_header(on_the_wire(json_request()), "X-Amz-Date", bad_date)
    expect_error("IncompleteSignatureException", verify, req, SECRET_KEY, now=NOW)


def test_unparseable_date_header():
    req = replace_header(on_the_wire(sign(body=b"{}", headers={"Date": formatdate(0)})), "Date", "not a date")
    expect_error("IncompleteSignatureException", verify, req, SECRET_KEY, now=NOW)


@pytest.mark.parametrize(
    ("server_offset", "ok"),
    [
        (timedelta(0), True),
        (timedelta(minutes=4), True),
        (timedelta(minutes=-4), True),
        (timedelta(minutes=5), True),  # the boundary itself is accepted
        (timedelta(minutes=-5), True),
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(minutes=6), False),
        (timedelta(minutes=-6), False),
    ],
)
def test_clock_skew(server_offset, ok):
    req = on_the_wire(json_request())
    now = NOW + server_offset
    if ok:
        assert verify(req, SECRET_KEY, now=now)
    else:
        err = expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=now)
        prefix = "Signature expired" if server_offset > timedelta(0) else "Signature not yet current"
        assert err.message.startswith(prefix)


def test_clock_skew_messages_match_aws():
    req = on_the_wire(json_request())
    err = expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=NOW + timedelta(minutes=20))
    assert err.message == (
        "Signature expired: 20261126T120000Z is now earlier than 20261126T121500Z (20261126T122000Z - 5 min.)"
    )
    err = expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=NOW - timedelta(minutes=20))
    assert err.message == (
        "Signature not yet current: 20261126T120000Z is still later than 20261126T114500Z (20261126T114000Z + 5 min.)"
    )


def test_custom_max_skew():
    req = on_the_wire(json_request())
    later = NOW + timedelta(minutes=10)
    expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=later)
    assert verify(req, SECRET_KEY, now=later, max_skew=timedelta(minutes=15))


def test_scope_date_mismatch():
    req = on_the_wire(json_request())
    auth = req.header("authorization").replace("/20261126/", "/20261125/")
    err = expect_error(
        "InvalidSignatureException",
        verify,
        replace_header(req, "Authorization", auth),
        SECRET_KEY,
        now=NOW,
    )
    assert "'20261125' != '20261126'" in err.message


class _NoHostSigV4Auth(SigV4Auth):
    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        del headers["host"]
        return headers


def test_host_must_be_signed():
    req = on_the_wire(json_request(auth_cls=_NoHostSigV4Auth))
    assert "host" not in req.header("authorization").split("SignedHeaders=")[1].split(",")[0]
    err = expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=NOW)
    assert "Host" in err.message


def test_tampered_host():
    req = on_the_wire(json_request())
    expect_error(
        "InvalidSignatureException",
        verify,
        replace_header(req, "Host", "evil.example.com"),
        SECRET_KEY,
        now=NOW,
    )


def test_content_sha256_header_must_match_body():
    import hashlib

    body = b'{"x": 1}'
    req = on_the_wire(sign(body=body, headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()}))
    err = expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=NOW)
    assert "x-amz-content-sha256" in err.message


def test_unsigned_payload_rejected():
    req = on_the_wire(sign(body=b"{}", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    expect_error("InvalidSignatureException", verify, req, SECRET_KEY, now=NOW)


def test_non_ascii_signature_does_not_crash():
    req = on_the_wire(json_request())
    auth = req.header("authorization")
    auth = auth[: auth.index("Signature=")] + "Signature=\u00e9\u00e9\u00e9"
    expect_error(
        "InvalidSignatureException",
        verify,
        replace_header(req, "Authorization", auth),
        SECRET_KEY,
        now=NOW,
    )


def test_error_str_contains_code():
    err = SigV4Error("InvalidSignatureException", "nope")
    assert (err.code, err.message) == ("InvalidSignatureException", "nope")
    assert "InvalidSignatureException" in str(err)


# --------------------------------------------------------------------------
# property: whatever botocore signs, we verify
# --------------------------------------------------------------------------

_SEGMENT = st.one_of(
    st.sampled_from(["", ".", "..", "~", "%", "a b", "\u2713"]),
    st.text(max_size=12),
)
_PATH_SAFE = "!$&'()*+,;=:@-._~"


@st.composite
def _wire_path(draw) -> str:
    segments = draw(st.lists(_SEGMENT, max_size=6))
    path = "/" + "/".join(quote(s, safe=_PATH_SAFE) for s in segments)
    if draw(st.booleans()):
        path += "/"
    return path


_QUERY_TEXT = st.text(max_size=8)
_HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=2048),
    path=_wire_path(),
    pairs=st.lists(st.tuples(_QUERY_TEXT, _QUERY_TEXT), max_size=4),
    query_in_url=st.booleans(),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    header_value=_HEADER_VALUE,
    token=st.one_of(st.none(), st.text(alphabet="abcdefXYZ0123456789/+=", min_size=1, max_size=40)),
)
def test_anything_botocore_signs_verifies(body, path, pairs, query_in_url, method, header_value, token):
    url = "https://cognito-idp.us-east-1.amazonaws.com" + path
    params = None
    if pairs and query_in_url:
        url += "?" + "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    elif pairs:
        params = pairs
    request = sign(
        method,
        url,
        body=body,
        headers={"X-Custom": header_value, "Content-Type": "application/x-amz-json-1.1"},
        params=params,
        token=token,
    )
    wire = on_the_wire(request)
    cred = verify(wire, SECRET_KEY, now=NOW)
    assert cred.access_key_id == ACCESS_KEY
    assert cred.session_token == token
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        with pytest.raises(SigV4Error) as info:
            verify(
                SignedRequest(wire.method, wire.path, wire.query_string, wire.headers, flipped),
                SECRET_KEY,
                now=NOW,
            )
        assert info.value.code == "InvalidSignatureException"
