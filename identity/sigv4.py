"""AWS Signature Version 4 verification for incoming requests.

This module checks ``Authorization: AWS4-HMAC-SHA256 ...`` headers exactly the
way botocore's :class:`botocore.auth.SigV4Auth` produces them, so that any
boto3 / AWS CLI client pointed at Cognate authenticates transparently.

Only *header* authentication is supported (no pre-signed query-string URLs,
no SigV4a / ``AWS4-ECDSA-P256-SHA256``, no chunked ``STREAMING-*`` payloads).

The module is framework-free: the web layer builds a :class:`SignedRequest`
from whatever it received and calls :func:`verify` with the secret belonging
to ``parse_authorization(request).access_key_id``.

Reference: "Create a signed AWS API request" / "Elements of an AWS API request
signature" in the AWS IAM User Guide, and ``botocore/auth.py`` (``SigV4Auth``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_plus

__all__ = [
    "ALGORITHM",
    "Credential",
    "SignedRequest",
    "SigV4Error",
    "derive_signing_key",
    "parse_authorization",
    "require_authorization",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
TERMINATOR = "aws4_request"

MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException"
INCOMPLETE_SIGNATURE = "IncompleteSignatureException"
INVALID_SIGNATURE = "InvalidSignatureException"

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

_AMZ_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
_SCOPE_DATE_RE = re.compile(r"\d{8}")
_UNSIGNED_PAYLOADS = frozenset(
    {
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)
# Cap on how much of attacker-controlled input is echoed back in messages.
_ECHO_LIMIT = 64


class SigV4Error(Exception):
    """A request failed SigV4 authentication.

    ``code`` is the AWS error name to put in the ``__type`` of the JSON error
    response (``MissingAuthenticationTokenException``,
    ``IncompleteSignatureException`` or ``InvalidSignatureException``).
    """

    code: str
    message: str

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    """The parts of an HTTP request that SigV4 covers.

    ``path`` is the raw, still percent-encoded path as it appeared on the wire
    (e.g. ``"/"`` or ``"/a%20b"``); ``query_string`` is the raw query string
    without the ``?`` (``""`` if none). Header names are matched
    case-insensitively; if the same name appears more than once (in different
    cases) the values are joined with ``","`` like an HTTP proxy would.
    """

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    _lower_headers: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lowered: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.strip().lower()
            if key in lowered:
                lowered[key] = f"{lowered[key]},{value}"
            else:
                lowered[key] = value
        object.__setattr__(self, "_lower_headers", lowered)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        return self._lower_headers.get(name.lower())


@dataclass(frozen=True)
class Credential:
    """The credential scope from an ``Authorization`` header."""

    access_key_id: str
    date: str  # yyyymmdd
    region: str
    service: str
    session_token: str | None = None


@dataclass(frozen=True)
class _ParsedAuthorization:
    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str


# --------------------------------------------------------------------------
# Signing key derivation (cached: it is on the hot path of every request).
# --------------------------------------------------------------------------

_KEY_CACHE_MAX = 1024
_key_cache: OrderedDict[tuple[bytes, str, str, str], bytes] = OrderedDict()
_key_cache_lock = threading.Lock()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def derive_signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Return the SigV4 signing key ``kSigning`` for the given scope.

    Results are kept in a small LRU cache keyed by a SHA-256 of the secret
    (never the secret itself) plus the scope.
    """
    cache_key = (hashlib.sha256(secret.encode("utf-8")).digest(), date, region, service)
    with _key_cache_lock:
        cached = _key_cache.get(cache_key)
        if cached is not None:
            _key_cache.move_to_end(cache_key)
            return cached
    k_date = _hmac(f"AWS4{secret}".encode(), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    k_signing = _hmac(k_service, TERMINATOR)
    with _key_cache_lock:
        _key_cache[cache_key] = k_signing
        _key_cache.move_to_end(cache_key)
        while len(_key_cache) > _KEY_CACHE_MAX:
            _key_cache.popitem(last=False)
    return k_signing


def _clear_signing_key_cache() -> None:
    """For tests."""
    with _key_cache_lock:
        _key_cache.clear()


# --------------------------------------------------------------------------
# Authorization header parsing.
# --------------------------------------------------------------------------


def _echo(value: str) -> str:
    return value if len(value) <= _ECHO_LIMIT else value[:_ECHO_LIMIT] + "..."


def _incomplete(message: str) -> SigV4Error:
    return SigV4Error(INCOMPLETE_SIGNATURE, message)


def _invalid(message: str) -> SigV4Error:
    return SigV4Error(INVALID_SIGNATURE, message)


# A pure function of its arguments (no database row behind it, nothing that can change), so
# a bounded lru_cache and not a userpools.services.memo.ProcessCache: there is nothing to
# invalidate and no age to keep. Kept because the parse costs far more than the lookup and
# every request needs it twice; a malformed header raises, and exceptions are not cached.
@lru_cache(maxsize=64)
def _parse_authorization_header(value: str, session_token: str | None) -> _ParsedAuthorization:
    """The parts of an ``Authorization`` header (IncompleteSignatureException if malformed).
    A request's header is parsed twice, for the caller's key and for the signature; the
    last few results are kept for the second time (any two requests' headers differ)."""
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme != ALGORITHM:
        raise _incomplete(
            f"Unsupported Authorization Type: '{_echo(scheme)}'. Only '{ALGORITHM}' header authentication is supported."
        )

    params: dict[str, str] = {}
    for component in rest.split(","):
        component = component.strip()
        if not component:
            continue
        name, sep, param_value = component.partition("=")
        if not sep:
            raise _incomplete(f"Authorization header component '{_echo(name)}' is not of the form name=value.")
        params[name.strip()] = param_value.strip()

    missing = [p for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p)]
    if missing:
        raise _incomplete(" ".join(f"Authorization header requires '{p}' parameter." for p in missing))

    raw_credential = params["Credential"]
    parts = raw_credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{_echo(raw_credential)}'"
        )
    access_key_id, scope_date, region, service, terminator = parts
    if terminator != TERMINATOR:
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{_echo(terminator)}'."
        )
    if not _SCOPE_DATE_RE.fullmatch(scope_date):
        raise _incomplete(f"Credential scope date must be in yyyyMMdd format, got '{_echo(scope_date)}'.")

    signed_headers = tuple(h.strip().lower() for h in params["SignedHeaders"].split(";"))
    if not all(signed_headers):
        raise _incomplete("SignedHeaders must be a ';'-separated list of header names.")

    return _ParsedAuthorization(
        credential=Credential(
            access_key_id=access_key_id,
            date=scope_date,
            region=region,
            service=service,
            session_token=session_token,
        ),
        signed_headers=signed_headers,
        signature=params["Signature"],
    )


def _parse(request: SignedRequest) -> _ParsedAuthorization | None:
    value = request.header("authorization")
    if value is None or not value.strip():
        return None
    return _parse_authorization_header(value, request.header("x-amz-security-token"))


def parse_authorization(request: SignedRequest) -> Credential | None:
    """Parse the ``Authorization`` header without checking the signature.

    Returns ``None`` when there is no ``Authorization`` header at all, and
    raises :class:`SigV4Error` (``IncompleteSignatureException``) when there is
    one but it is not a well-formed ``AWS4-HMAC-SHA256`` header.
    ``session_token`` is taken from ``X-Amz-Security-Token`` if present.
    """
    parsed = _parse(request)
    return parsed.credential if parsed is not None else None


def require_authorization(request: SignedRequest) -> Credential:
    """Like :func:`parse_authorization` but a missing header is an error."""
    credential = parse_authorization(request)
    if credential is None:
        raise SigV4Error(MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
    return credential


# --------------------------------------------------------------------------
# Canonical request (mirrors botocore.auth.SigV4Auth for non-S3 services).
# --------------------------------------------------------------------------


def _remove_dot_segments(path: str) -> str:
    # Same algorithm as botocore.utils.remove_dot_segments: RFC 3986 5.2.4 plus
    # collapsing of consecutive slashes.
    if not path:
        return ""
    output: list[str] = []
    for segment in path.split("/"):
        if segment and segment != ".":
            if segment == "..":
                if output:
                    output.pop()
            else:
                output.append(segment)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and output else ""
    return first + "/".join(output) + last


def canonical_uri(path: str) -> str:
    """Normalise and URI-encode ``path`` like botocore does for non-S3 services.

    Note that the raw (already percent-encoded) path is encoded *again*,
    so ``/a%20b`` becomes ``/a%2520b`` -- that is what SigV4 specifies for
    every service except S3 and what botocore signs.
    """
    normalized = _remove_dot_segments(path) if path else "/"
    return quote(normalized, safe="/~")


def _canonical_query_raw(query_string: str) -> str:
    # botocore's _canonical_query_string_url: split on '&' and '=', sort the
    # raw (already encoded) pairs, no re-encoding.
    if not query_string:
        return ""
    pairs = []
    for pair in query_string.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _canonical_query_reencoded(query_string: str) -> str:
    # botocore's _canonical_query_string_params: the client passed params, which
    # went on the wire form-encoded (urlencode -> '+' for space); the signature
    # covers the values re-encoded with quote(safe='-_.~').
    if not query_string:
        return ""
    pairs = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        pairs.append(
            (
                quote(unquote_plus(key), safe="-_.~"),
                quote(unquote_plus(value), safe="-_.~"),
            )
        )
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_query_candidates(query_string: str) -> list[str]:
    """Canonical query strings a botocore client may have signed for this query.

    botocore signs the raw query from the URL as-is (sorted) when the query was
    part of the URL, but re-encodes when it came from ``params``; the two only
    differ for queries that were not already canonically encoded.
    """
    raw = _canonical_query_raw(query_string)
    reencoded = _canonical_query_reencoded(query_string)
    return [raw] if raw == reencoded else [raw, reencoded]


def _trimall(value: str) -> str:
    return " ".join(value.split())


def _canonical_headers(request: SignedRequest, signed_headers: tuple[str, ...]) -> tuple[str, str]:
    names = sorted(set(signed_headers))
    lines = []
    for name in names:
        value = request.header(name)
        lines.append(f"{name}:{_trimall(value) if value is not None else ''}")
    return "\n".join(lines) + "\n", ";".join(names)


def _request_timestamp(request: SignedRequest) -> str:
    amz_date = request.header("x-amz-date")
    if amz_date is not None:
        amz_date = amz_date.strip()
        if not _AMZ_DATE_RE.fullmatch(amz_date):
            raise _incomplete(
                "Date must be in ISO-8601 'basic format'. "
                f"Got '{_echo(amz_date)}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )
        try:
            _timestamp_parse(amz_date)
        except ValueError:
            raise _incomplete(f"X-Amz-Date '{_echo(amz_date)}' is not a valid date.") from None
        return amz_date

    # botocore only uses the Date header instead of X-Amz-Date when the caller
    # already set one; the signed timestamp is then that Date in basic format.
    http_date = request.header("date")
    if http_date is not None:
        try:
            parsed = parsedate_to_datetime(http_date.strip())
        except (TypeError, ValueError, IndexError):
            raise _incomplete(f"Date header '{_echo(http_date)}' is not a valid HTTP date.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).strftime(SIGV4_TIMESTAMP)

    raise _incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")


def _payload_hash(request: SignedRequest) -> str:
    body_hash = hashlib.sha256(request.body or b"").hexdigest()
    declared = request.header("x-amz-content-sha256")
    if declared is None:
        return body_hash
    declared = declared.strip()
    if declared in _UNSIGNED_PAYLOADS:
        raise _invalid(f"Payload signing mode '{declared}' is not supported; sign the request body.")
    if declared.lower() != body_hash:
        raise _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
    # botocore puts the header value itself into the canonical request.
    return declared


# Added by CloudFront to what it forwards to an origin, after the client signed; Cognate
# never reads it.
_UNSIGNABLE_AMZ_HEADERS = frozenset({"x-amz-cf-id"})


def _check_signed_headers(request: SignedRequest, signed_headers: tuple[str, ...]) -> None:
    """Every ``x-amz-*`` header present must be signed (botocore and the JS SDK sign them
    all): ``X-Amz-Target`` chooses the operation, ``X-Amz-Date`` the moment the signature
    is checked against, ``X-Amz-Security-Token`` the session; an unsigned one could be
    swapped in a replayed request (another operation on the same signed body). So must the
    ``Date`` header when it stands for X-Amz-Date."""
    signed = set(signed_headers)
    unsigned = sorted(
        name
        for name in request._lower_headers
        if name.startswith("x-amz-") and name not in signed and name not in _UNSIGNABLE_AMZ_HEADERS
    )
    if request.header("x-amz-date") is None and request.header("date") is not None and "date" not in signed:
        unsigned.append("date")
    if unsigned:
        raise _invalid(
            "There were headers present in the request which were not signed: "
            + ", ".join(_echo(name) for name in unsigned[:5])
        )


def _format_skew(max_skew: timedelta) -> str:
    return f"{max_skew.total_seconds() / 60:g} min."


# Pure as well (see _parse_authorization_header): strptime costs far more than the lookup.
@lru_cache(maxsize=1024)
def _timestamp_parse(timestamp: str) -> datetime:
    """The moment (UTC) a basic-format timestamp names; ValueError if none. Kept: every
    request a client signs within one second carries the same timestamp."""
    return datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)


def _check_clock_skew(timestamp: str, now: datetime, max_skew: timedelta) -> None:
    request_time = _timestamp_parse(timestamp)
    if request_time < now - max_skew:
        now_str = now.strftime(SIGV4_TIMESTAMP)
        raise _invalid(
            f"Signature expired: {timestamp} is now earlier than "
            f"{(now - max_skew).strftime(SIGV4_TIMESTAMP)} ({now_str} - {_format_skew(max_skew)})"
        )
    if request_time > now + max_skew:
        now_str = now.strftime(SIGV4_TIMESTAMP)
        raise _invalid(
            f"Signature not yet current: {timestamp} is still later than "
            f"{(now + max_skew).strftime(SIGV4_TIMESTAMP)} ({now_str} + {_format_skew(max_skew)})"
        )


def verify(
    request: SignedRequest,
    secret_key: str,
    *,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=5),
) -> Credential:
    """Verify the SigV4 ``Authorization`` header of ``request``.

    ``secret_key`` is the secret of the access key named in the header (look it
    up with :func:`parse_authorization` first). ``now`` defaults to the current
    UTC time (a naive value is taken as UTC). Returns the parsed credential on
    success, raises :class:`SigV4Error` otherwise. The caller still has to check
    ``credential.region`` / ``credential.service`` if it cares, and judge
    ``credential.session_token``.
    """
    parsed = _parse(request)
    if parsed is None:
        raise SigV4Error(MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
    credential = parsed.credential

    timestamp = _request_timestamp(request)

    if "host" not in parsed.signed_headers:
        raise _invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    _check_signed_headers(request, parsed.signed_headers)

    if credential.date != timestamp[:8]:
        raise _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{credential.date}' != '{timestamp[:8]}', from '{timestamp}'."
        )

    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    else:
        now = now.astimezone(UTC)
    _check_clock_skew(timestamp, now.replace(microsecond=0), max_skew)

    payload_hash = _payload_hash(request)
    canonical_headers, signed_headers = _canonical_headers(request, parsed.signed_headers)
    uri = canonical_uri(request.path)
    method = request.method.upper()
    scope = f"{credential.date}/{credential.region}/{credential.service}/{TERMINATOR}"
    signing_key = derive_signing_key(secret_key, credential.date, credential.region, credential.service)
    provided = parsed.signature.strip().lower().encode("utf-8")

    for query in canonical_query_candidates(request.query_string):
        canonical_request = "\n".join((method, uri, query, canonical_headers, signed_headers, payload_hash))
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                timestamp,
                scope,
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            )
        )
        expected = hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode("ascii"), provided):
            return credential

    raise _invalid(SIGNATURE_MISMATCH_MESSAGE)
