"""Verify Cognate (or Amazon Cognito) ID and access tokens in a resource server.

Standalone: this module needs PyJWT[crypto] and the standard library only -- no Django,
no Cognate models -- so any Python service can use it. The Django adapters are
:mod:`userpools.verify.drf` (DRF authentication and permissions) and
:mod:`userpools.verify.middleware`.

What a token must satisfy to be accepted (Cognito Developer Guide, "Verifying a JSON
Web Token"; RFC 7519 §7.2; RFC 8725 §3.1):

* header ``alg`` is ``RS256`` -- nothing else, so ``none`` and HMAC-with-the-public-key
  tricks fail before any key is looked at -- and ``kid`` names a key in the JWKS;
* ``iss`` is one of the configured issuers. The JWKS URL comes from the configuration
  (by default ``{iss}/.well-known/jwks.json``), never from the token;
* the RS256 signature verifies; ``exp`` (and ``iat``/``nbf``) hold, within ``leeway``;
* ``token_use`` is allowed; the client is allowed (``client_id`` of an access token,
  ``aud`` of an ID token);
* optionally, all required groups (``cognito:groups``) and scopes (``scope``).

Each JWKS is cached per URL, process-wide, for ``cache_seconds`` (default 5 minutes).
A ``kid`` not in a fresh cached set (the pool's key was rotated) triggers one refetch;
such refetches happen at most once per ``refetch_interval`` (default 10 s) per JWKS, so
tokens with made-up ``kid`` values cannot make the verifier hammer the issuer. A failed
fetch is not retried within ``refetch_interval`` either.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

import jwt

ALGORITHM = "RS256"
TOKEN_USES = ("access", "id")
DEFAULT_CACHE_SECONDS = 300.0
DEFAULT_REFETCH_INTERVAL = 10.0
DEFAULT_TIMEOUT = 5.0
MAX_TOKEN_BYTES = 16 * 1024  # Cognito tokens are a few KB; refuse to parse anything huge
MAX_JWKS_BYTES = 1024 * 1024
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "token_use"]

__all__ = [
    "ExpiredToken",
    "InsufficientScope",
    "InvalidToken",
    "Issuer",
    "JwksUnavailable",
    "MissingGroup",
    "TokenError",
    "TokenErrorCode",
    "TokenUser",
    "TokenVerifier",
    "VerifiedToken",
    "WrongAudience",
    "WrongIssuer",
    "WrongTokenUse",
    "jwks_cache_clear",
    "verify",
]


def _clock() -> float:
    """The one clock of this module (tests move it)."""
    return time.monotonic()


# --- Errors ----------------------------------------------------------------------------------


class TokenErrorCode(StrEnum):
    MALFORMED = "malformed_token"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    UNKNOWN_KEY = "unknown_key"
    INVALID_SIGNATURE = "invalid_signature"
    INVALID_CLAIMS = "invalid_claims"
    EXPIRED = "expired_token"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_TOKEN_USE = "wrong_token_use"
    MISSING_GROUP = "missing_group"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    JWKS_UNAVAILABLE = "jwks_unavailable"


class TokenError(Exception):
    """Why a token was refused. Messages never contain the token or its claims.

    ``code`` is stable (assert on it, not on the message); ``http_status`` and
    ``bearer_error`` are what a resource server answers (RFC 6750 §3.1).
    """

    code: TokenErrorCode = TokenErrorCode.MALFORMED
    http_status: ClassVar[int] = 401
    bearer_error: ClassVar[str | None] = "invalid_token"

    def __init__(self, message: str, *, code: TokenErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidToken(TokenError):
    """Malformed, not RS256, unknown ``kid``, bad signature or bad/missing claims."""


class ExpiredToken(TokenError):
    code = TokenErrorCode.EXPIRED


class WrongIssuer(TokenError):
    code = TokenErrorCode.WRONG_ISSUER


class WrongAudience(TokenError):
    """The token was issued to a client that is not allowed."""

    code = TokenErrorCode.WRONG_AUDIENCE


class WrongTokenUse(TokenError):
    code = TokenErrorCode.WRONG_TOKEN_USE


class MissingGroup(TokenError):
    """A valid token whose user is not in every required group."""

    code = TokenErrorCode.MISSING_GROUP
    http_status = 403
    bearer_error = "insufficient_scope"


class InsufficientScope(TokenError):
    """A valid token without every required scope."""

    code = TokenErrorCode.INSUFFICIENT_SCOPE
    http_status = 403
    bearer_error = "insufficient_scope"


class JwksUnavailable(TokenError):
    """The issuer's JWKS could not be fetched: not the token's fault, so 503, not 401."""

    code = TokenErrorCode.JWKS_UNAVAILABLE
    http_status = 503
    bearer_error = None


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedToken:
    """A token that passed verification, with Cognito's claims picked out.

    ``username`` is ``username`` (access token) or ``cognito:username`` (ID token),
    falling back to ``sub``. ``client_id`` is ``client_id`` (access) or ``aud`` (ID; of a
    list, the accepted entry).
    """

    claims: Mapping[str, Any] = field(hash=False, repr=False)
    sub: str
    username: str
    groups: tuple[str, ...]
    scopes: tuple[str, ...]
    token_use: str
    client_id: str
    issuer: str

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], *, client_id: str) -> VerifiedToken:
        groups = claims.get("cognito:groups") or ()
        scope = claims.get("scope")
        return cls(
            claims=MappingProxyType(dict(claims)),
            sub=str(claims["sub"]),
            username=str(claims.get("username") or claims.get("cognito:username") or claims["sub"]),
            groups=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
            scopes=tuple(scope.split()) if isinstance(scope, str) else (),
            token_use=str(claims["token_use"]),
            client_id=str(client_id),
            issuer=str(claims["iss"]),
        )

    def require(self, *, groups: Iterable[str] = (), scopes: Iterable[str] = ()) -> None:
        """Raise :class:`MissingGroup` unless the token has every one of ``groups``, and
        :class:`InsufficientScope` unless it has every one of ``scopes``."""
        missing_groups = [g for g in _strings(groups, "groups") if g not in self.groups]
        if missing_groups:
            raise MissingGroup(f"Token is not in the required group(s): {', '.join(missing_groups)}")
        missing_scopes = [s for s in _strings(scopes, "scopes") if s not in self.scopes]
        if missing_scopes:
            raise InsufficientScope(f"Token lacks the required scope(s): {', '.join(missing_scopes)}")


@dataclass(frozen=True)
class TokenUser:
    """A request's user, made from a verified token: no database row behind it.

    Enough of Django's user interface for views, templates and DRF's permission classes.
    """

    token: VerifiedToken

    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False

    @property
    def username(self) -> str:
        return self.token.username

    @property
    def sub(self) -> str:
        return self.token.sub

    @property
    def pk(self) -> str:
        return self.token.sub

    id = pk

    @property
    def groups(self) -> tuple[str, ...]:
        return self.token.groups

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


# --- Configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """An accepted ``iss`` and where its keys are: ``{url}/.well-known/jwks.json`` unless
    ``jwks_url`` says otherwise (a proxy, a mirror, a test server)."""

    url: str
    jwks_url: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", _http_url(self.url, "issuer").rstrip("/"))
        if self.jwks_url is not None:
            object.__setattr__(self, "jwks_url", _http_url(self.jwks_url, "jwks_url"))

    @property
    def jwks(self) -> str:
        return self.jwks_url or f"{self.url}/.well-known/jwks.json"


IssuersOption = str | Issuer | Iterable[str | Issuer] | Mapping[str, str | None]


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ValueError(f"{what} must be an http(s) URL")
    return value


def _strings(value: str | Iterable[str] | None, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    items = tuple(value)
    if not all(isinstance(v, str) for v in items):
        raise ValueError(f"{what} must be strings")
    return items


def _issuers(value: IssuersOption) -> dict[str, Issuer]:
    if isinstance(value, (str, Issuer)):
        items: list[Issuer | str] = [value]
    elif isinstance(value, Mapping):
        items = [Issuer(url, jwks_url) for url, jwks_url in value.items()]
    else:
        items = list(value)
    issuers = [item if isinstance(item, Issuer) else Issuer(item) for item in items]
    if not issuers:
        raise ValueError("at least one issuer is required")
    return {issuer.url: issuer for issuer in issuers}


# --- Key sets --------------------------------------------------------------------------------


def _fetch_jwks(url: str, timeout: float) -> Any:
    """GET and parse a JWKS document; http(s) only (checked in :class:`Issuer`)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "cognate-verify"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("JWKS document too large")
    return json.loads(body)


def _parse_jwks(document: Any) -> dict[str, Any]:
    """kid -> public key for the RS256 signing keys of a JWKS (RFC 7517 §5); others are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, Any] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


class _KeySet:
    """One JWKS URL's keys, cached. Lookups of known keys take no lock; fetches happen under
    the lock, so concurrent requests with the same new ``kid`` cause one fetch."""

    def __init__(self, url: str, *, cache_seconds: float, refetch_interval: float, timeout: float) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self._lock = threading.Lock()
        self._keys: Mapping[str, Any] = MappingProxyType({})
        self._fetched_at: float | None = None  # last successful fetch
        self._failed_at: float | None = None  # last failed fetch
        self._missed_at: float | None = None  # last refetch caused by an unknown kid

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.cache_seconds

    def _recent(self, when: float | None, now: float) -> bool:
        return when is not None and now - when < self.refetch_interval

    def key(self, kid: str) -> Any:
        keys = self._keys
        if self._fresh(_clock()) and kid in keys:
            return keys[kid]
        with self._lock:
            now = _clock()
            if self._fresh(now):
                if kid in self._keys:  # another thread fetched while we waited
                    return self._keys[kid]
                if self._recent(self._missed_at, now) or self._recent(self._failed_at, now):
                    raise InvalidToken("Token signing key is not in the issuer's JWKS", code=TokenErrorCode.UNKNOWN_KEY)
                self._missed_at = now
            elif self._recent(self._failed_at, now):
                raise JwksUnavailable("The issuer's JWKS could not be fetched (retrying shortly)")
            self._refresh(now)
            if kid not in self._keys:
                self._missed_at = now  # the fetch just made counts as this kid's refetch
                raise InvalidToken("Token signing key is not in the issuer's JWKS", code=TokenErrorCode.UNKNOWN_KEY)
            return self._keys[kid]

    def _refresh(self, now: float) -> None:
        try:
            keys = _parse_jwks(_fetch_jwks(self.url, self.timeout))
        # URLError, HTTPError and timeouts are OSErrors; truncated responses HTTPExceptions.
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self._failed_at = now
            raise JwksUnavailable(f"The issuer's JWKS could not be fetched ({type(exc).__name__})") from None
        self._keys = MappingProxyType(keys)
        self._fetched_at = now
        self._failed_at = None


_key_sets: dict[tuple[str, float, float, float], _KeySet] = {}
_key_sets_lock = threading.Lock()


def _key_set(url: str, *, cache_seconds: float, refetch_interval: float, timeout: float) -> _KeySet:
    """The process-wide cache for a JWKS URL: verifiers made per request still share it."""
    index = (url, cache_seconds, refetch_interval, timeout)
    found = _key_sets.get(index)
    if found is None:
        with _key_sets_lock:
            found = _key_sets.setdefault(
                index, _KeySet(url, cache_seconds=cache_seconds, refetch_interval=refetch_interval, timeout=timeout)
            )
    return found


def jwks_cache_clear() -> None:
    """Forget every cached JWKS (tests; or after an issuer was reconfigured)."""
    with _key_sets_lock:
        _key_sets.clear()


# --- Verifying -------------------------------------------------------------------------------


class TokenVerifier:
    """Verifies tokens for one configuration. Cheap to build (JWKS caches are shared per
    URL), safe to share between threads.

    ``issuers``: an issuer URL, a list of them (or of :class:`Issuer`), or a mapping of
    issuer URL to JWKS URL (``None``: the default path). Cognate's issuer is
    ``{COGNATE_PUBLIC_URL}/{UserPoolId}``, Cognito's
    ``https://cognito-idp.{region}.amazonaws.com/{UserPoolId}``.

    ``client_ids``: the app client ids accepted, or ``None`` to accept any client (say so
    explicitly: another app's tokens from the same pool are then accepted).

    ``token_use``: ``"access"`` (default), ``"id"``, or both.
    """

    def __init__(
        self,
        issuers: IssuersOption,
        *,
        client_ids: str | Iterable[str] | None,
        token_use: str | Iterable[str] = "access",
        leeway: float = 0,
        required_groups: str | Iterable[str] = (),
        required_scopes: str | Iterable[str] = (),
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.issuers = _issuers(issuers)
        self.client_ids = None if client_ids is None else frozenset(_strings(client_ids, "client_ids"))
        if self.client_ids is not None and not self.client_ids:
            raise ValueError("client_ids is empty: list the accepted app client ids, or pass None to accept any")
        self.token_use = frozenset(_strings(token_use, "token_use"))
        if not self.token_use or not self.token_use <= set(TOKEN_USES):
            raise ValueError(f"token_use must be one or both of {TOKEN_USES}")
        if leeway < 0 or cache_seconds <= 0 or refetch_interval < 0 or timeout <= 0:
            raise ValueError("leeway, cache_seconds, refetch_interval and timeout must be positive")
        self.leeway = float(leeway)
        self.required_groups = _strings(required_groups, "required_groups")
        self.required_scopes = _strings(required_scopes, "required_scopes")
        self.cache_seconds = float(cache_seconds)
        self.refetch_interval = float(refetch_interval)
        self.timeout = float(timeout)

    SETTINGS_KEYS: ClassVar[dict[str, str]] = {
        "ISSUERS": "issuers",
        "CLIENT_IDS": "client_ids",
        "TOKEN_USE": "token_use",
        "LEEWAY": "leeway",
        "REQUIRED_GROUPS": "required_groups",
        "REQUIRED_SCOPES": "required_scopes",
        "CACHE_SECONDS": "cache_seconds",
        "REFETCH_INTERVAL": "refetch_interval",
        "TIMEOUT": "timeout",
    }

    @classmethod
    def from_settings(cls, config: Mapping[str, Any], *, ignore: Iterable[str] = ()) -> TokenVerifier:
        """Build from an upper-case settings dict (``{"ISSUERS": [...], "CLIENT_IDS": [...]}``).

        Keys in ``ignore`` belong to the caller (the middleware's ``REQUIRED_PATHS``);
        any other unknown key is a ValueError, so a typo does not silently drop a check.
        """
        unknown = set(config) - set(cls.SETTINGS_KEYS) - set(ignore)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for required in ("ISSUERS", "CLIENT_IDS"):
            if required not in config:
                raise ValueError(f"{required} is required (CLIENT_IDS may be None to accept any client)")
        options = {cls.SETTINGS_KEYS[k]: v for k, v in config.items() if k in cls.SETTINGS_KEYS}
        return cls(options.pop("issuers"), **options)

    def _key_set(self, issuer: Issuer) -> _KeySet:
        return _key_set(
            issuer.jwks, cache_seconds=self.cache_seconds, refetch_interval=self.refetch_interval, timeout=self.timeout
        )

    def verify(self, token: str) -> VerifiedToken:
        """The verified token, or a :class:`TokenError` saying why it is refused."""
        if isinstance(token, bytes):
            token = token.decode("ascii", "replace")
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise InvalidToken("Token is not a JWT", code=TokenErrorCode.MALFORMED)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("Token is not a JWT", code=TokenErrorCode.MALFORMED) from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("Token is not signed with RS256", code=TokenErrorCode.UNSUPPORTED_ALGORITHM)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("Token header has no key id", code=TokenErrorCode.MALFORMED)
        issuer = self.issuers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if issuer is None:  # before any fetch: the token never chooses where keys come from
            raise WrongIssuer("Token issuer is not accepted")

        key = self._key_set(issuer).key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer.url,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS, "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise ExpiredToken("Token has expired") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("Token signature is invalid", code=TokenErrorCode.INVALID_SIGNATURE) from None
        except jwt.InvalidIssuerError:
            raise WrongIssuer("Token issuer is not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"Token lacks the {exc.claim!r} claim", code=TokenErrorCode.INVALID_CLAIMS) from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("Token is not valid yet", code=TokenErrorCode.INVALID_CLAIMS) from None
        except jwt.DecodeError:
            raise InvalidToken("Token signature is invalid", code=TokenErrorCode.INVALID_SIGNATURE) from None
        except jwt.PyJWTError:
            raise InvalidToken("Token claims are invalid", code=TokenErrorCode.INVALID_CLAIMS) from None

        # RFC 7519 section 2: exp, iat and nbf are NumericDates (JSON numbers). PyJWT converts a
        # string with int(), so "exp": "1900000000" would pass; no issuer of ours writes one.
        for name in ("exp", "iat", "nbf"):
            if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], (int, float))):
                raise InvalidToken(f"Token's {name!r} is not a number", code=TokenErrorCode.INVALID_CLAIMS)
        use = claims["token_use"]
        if use not in self.token_use:
            raise WrongTokenUse(f"Token is not an accepted kind of token ({' or '.join(sorted(self.token_use))})")
        verified = VerifiedToken.from_claims(claims, client_id=self._client(claims))
        verified.require(groups=self.required_groups, scopes=self.required_scopes)
        return verified

    def _client(self, claims: Mapping[str, Any]) -> str:
        """The client the token was issued to, if it is accepted."""
        # Cognito access tokens carry the client in ``client_id`` and have no ``aud``;
        # ID tokens carry it in ``aud`` (a string; a list is accepted per RFC 7519 §4.1.3).
        if claims["token_use"] == "access":
            clients = [claims.get("client_id")]
        else:
            aud = claims.get("aud")
            clients = aud if isinstance(aud, list) else [aud]
        if not clients or not all(isinstance(c, str) and c for c in clients):
            raise InvalidToken("Token names no client", code=TokenErrorCode.INVALID_CLAIMS)
        if self.client_ids is None:
            return clients[0]
        for client in clients:
            if client in self.client_ids:
                return client
        raise WrongAudience("Token was issued to a client that is not accepted")


def verify(
    token: str, *, issuers: IssuersOption, client_ids: str | Iterable[str] | None, **options: Any
) -> VerifiedToken:
    """One-call verification: ``verify(token, issuers=..., client_ids=..., token_use=...)``.

    Takes the :class:`TokenVerifier` options; JWKS caches are shared, so calling this per
    request costs no extra fetches.
    """
    return TokenVerifier(issuers, client_ids=client_ids, **options).verify(token)
