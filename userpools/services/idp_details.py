"""ProviderDetails of an identity provider, per ProviderType: which keys a request may and
must give, and the keys Cognito adds itself (botocore's model documents both, as
"Create or update request" and "Describe response", for each type).

* Google, Facebook, LoginWithAmazon: ``client_id``, ``client_secret``, ``authorize_scopes``
  ("client_id, client_secret and authorize_scopes are all required idp details", Cognito's
  own message); Facebook may name an ``api_version``. Cognito adds the provider's fixed
  endpoints (``authorize_url``, ``token_url``, ``attributes_url``, ...).
* SignInWithApple: ``client_id``, ``team_id``, ``key_id``, ``private_key`` (an EC P-256 key,
  as Apple issues), ``authorize_scopes``; the private key is never shown again, and an
  update that leaves it out keeps the one stored.
* OIDC: ``client_id``, ``client_secret``, ``authorize_scopes`` (with ``openid``),
  ``oidc_issuer``, ``attributes_request_method`` (GET or POST; GET when absent); the four
  endpoints ``authorize_url``, ``token_url``, ``attributes_url``, ``jwks_uri`` may be given,
  and those that are not are read from ``{oidc_issuer}/.well-known/openid-configuration``,
  whose ``issuer`` must be ``oidc_issuer``.
* SAML: exactly one of ``MetadataFile`` and ``MetadataURL`` (fetched), parsed with
  python3-saml: the metadata must describe an IdP with a single sign-on endpoint and a
  signing certificate; Cognito adds ``SSORedirectBindingURI`` and ``SLORedirectBindingURI``
  from it. ``IDPSignout``, ``IDPInit``, ``EncryptedResponses`` are "true" or "false"
  (``IDPSignout`` "false" when absent); ``RequestSigningAlgorithm`` is ``rsa-sha256``.
  ``EncryptedResponses`` "true" gives the provider an encryption key pair whose certificate
  is ``ActiveEncryptionCertificate`` (kept while it stays "true").

Keys Cognito adds may be sent back (a Describe-then-Update round trip); for the social
types and SAML they are recomputed. Any other key is InvalidParameterException. URLs fetched
go through :mod:`userpools.services.idp_fetch` (SSRF rules).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from userpools.errors import InvalidParameter
from userpools.services.idp_fetch import FetchError, checked_target, fetch

SOCIAL_ENDPOINTS: dict[str, dict[str, str]] = {
    "Google": {
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    },
    "LoginWithAmazon": {
        "attributes_url": "https://api.amazon.com/user/profile",
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://www.amazon.com/ap/oa",
        "token_request_method": "POST",
        "token_url": "https://api.amazon.com/auth/o2/token",
    },
    "SignInWithApple": {
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://appleid.apple.com/auth/authorize",
        "oidc_issuer": "https://appleid.apple.com",
        "token_request_method": "POST",
        "token_url": "https://appleid.apple.com/auth/token",
    },
}
OIDC_ENDPOINTS = {
    "authorize_url": "authorization_endpoint",
    "token_url": "token_endpoint",
    "attributes_url": "userinfo_endpoint",
    "jwks_uri": "jwks_uri",
}
_REQUIRED = {
    "Google": ("client_id", "client_secret", "authorize_scopes"),
    "Facebook": ("client_id", "client_secret", "authorize_scopes"),
    "LoginWithAmazon": ("client_id", "client_secret", "authorize_scopes"),
    "SignInWithApple": ("client_id", "team_id", "key_id", "private_key", "authorize_scopes"),
    "OIDC": ("client_id", "client_secret", "authorize_scopes", "oidc_issuer"),
}
_GIVEN = {
    "Google": frozenset(_REQUIRED["Google"]),
    "Facebook": frozenset({*_REQUIRED["Facebook"], "api_version"}),
    "LoginWithAmazon": frozenset(_REQUIRED["LoginWithAmazon"]),
    "SignInWithApple": frozenset(_REQUIRED["SignInWithApple"]),
    "OIDC": frozenset({*_REQUIRED["OIDC"], "attributes_request_method", *OIDC_ENDPOINTS}),
    "SAML": frozenset({"MetadataFile", "MetadataURL", "IDPSignout", "IDPInit", "EncryptedResponses"})
    | {"RequestSigningAlgorithm"},
}
_ADDED = {
    "Google": frozenset(SOCIAL_ENDPOINTS["Google"]),
    "Facebook": frozenset(
        {"attributes_url", "attributes_url_add_attributes", "authorize_url", "token_request_method", "token_url"}
    ),
    "LoginWithAmazon": frozenset(SOCIAL_ENDPOINTS["LoginWithAmazon"]),
    "SignInWithApple": frozenset(SOCIAL_ENDPOINTS["SignInWithApple"]),
    "OIDC": frozenset({"attributes_url_add_attributes"}),
    "SAML": frozenset({"SSORedirectBindingURI", "SLORedirectBindingURI", "ActiveEncryptionCertificate"}),
}
# The secret ProviderDetails key of each type (stored encrypted, outside ``details``).
SECRET_KEY = {"Google": "client_secret", "Facebook": "client_secret", "LoginWithAmazon": "client_secret"}
SECRET_KEY |= {"OIDC": "client_secret", "SignInWithApple": "private_key"}
SAML_BOOLEANS = ("IDPSignout", "IDPInit", "EncryptedResponses")
_FACEBOOK_VERSION = re.compile(r"v[0-9]{1,3}\.[0-9]{1,3}")


@dataclass
class Details:
    """What a request's ProviderDetails come to: the details DescribeIdentityProvider shows
    except the secret (never stored in plain text), the secret, and for SAML the metadata and
    encryption key."""

    details: dict[str, str]
    secret: str = ""
    saml_metadata: str = ""
    encryption_key: str = ""


@dataclass(frozen=True)
class Stored:
    """What the provider holds already (an update): kept where the request leaves it to us."""

    secret: str = ""
    encryption_key: str = ""
    details: Mapping[str, str] | None = None


def _required(provider_type: str, given: Mapping[str, str], stored: Stored | None) -> None:
    required = _REQUIRED[provider_type]
    missing = [k for k in required if not given.get(k)]
    if provider_type == "SignInWithApple" and stored is not None and stored.secret:
        missing = [k for k in missing if k != "private_key"]  # Describe never shows it
    if missing:
        names = list(required)
        raise InvalidParameter(f"{', '.join(names[:-1])} and {names[-1]} are all required idp details.")


def _unknown_keys(provider_type: str, given: Mapping[str, str]) -> None:
    unknown = sorted(set(given) - _GIVEN[provider_type] - _ADDED[provider_type])
    if unknown:
        raise InvalidParameter(f"Invalid ProviderDetails for {provider_type}: {', '.join(unknown)} not supported.")


def url_check(url: str, key: str) -> None:
    """An endpoint URL in ProviderDetails: https (http only for an address
    COGNATE_IDP_PRIVATE_ADDRESSES allows), with a host and no credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InvalidParameter(f"{key} is not a valid URL.") from None
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise InvalidParameter(f"{key} is not a valid URL.")
    if parts.scheme == "https":
        return
    if parts.scheme == "http":
        try:
            checked_target(url)  # accepts http only for an excepted address
            return
        except FetchError:
            pass
    raise InvalidParameter(f"{key} must be an https URL.")


def _apple_key_check(value: str) -> None:
    text = value.strip()
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = serialization.load_der_private_key(base64.b64decode(text, validate=True), password=None)
    except (ValueError, TypeError):
        raise InvalidParameter("private_key is not a valid private key.") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidParameter("private_key must be an EC P-256 private key.")


def _social(provider_type: str, given: Mapping[str, str], stored: Stored | None) -> Details:
    secret_key = SECRET_KEY[provider_type]
    details = {k: given[k] for k in _GIVEN[provider_type] if k in given and k != secret_key}
    secret = given.get(secret_key) or (stored.secret if stored is not None else "")
    if provider_type == "SignInWithApple":
        _apple_key_check(secret)
    if provider_type == "Facebook":
        version = given.get("api_version")
        if version is not None and not _FACEBOOK_VERSION.fullmatch(version):
            raise InvalidParameter("api_version must look like v17.0.")
        base = f"/{version}" if version else ""
        details |= {
            "attributes_url": f"https://graph.facebook.com{base}/me?fields=",
            "attributes_url_add_attributes": "true",
            "authorize_url": f"https://www.facebook.com{base}/dialog/oauth",
            "token_request_method": "GET",
            "token_url": f"https://graph.facebook.com{base}/oauth/access_token",
        }
    else:
        details |= SOCIAL_ENDPOINTS[provider_type]
    return Details(details=details, secret=secret)


def _discover(issuer: str) -> dict:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    failure = f"Unable to retrieve the OpenID Connect configuration of {issuer} from {url}"
    try:
        document = json.loads(fetch(url))
    except FetchError as exc:
        raise InvalidParameter(f"{failure}: {exc}.") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidParameter(f"{failure}: the document is not JSON.") from None
    if not isinstance(document, dict):
        raise InvalidParameter(f"{failure}: the document is not a JSON object.")
    if not isinstance(document.get("issuer"), str) or document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise InvalidParameter(f"{failure}: its issuer is not {issuer}.")
    return document


def _oidc(given: Mapping[str, str]) -> Details:
    details = {k: given[k] for k in _GIVEN["OIDC"] if k in given}
    details.setdefault("attributes_request_method", "GET")
    if details["attributes_request_method"] not in {"GET", "POST"}:
        raise InvalidParameter("attributes_request_method must be GET or POST.")
    if "openid" not in details["authorize_scopes"].split():
        raise InvalidParameter("authorize_scopes must include openid.")
    url_check(details["oidc_issuer"], "oidc_issuer")
    for key in OIDC_ENDPOINTS:
        if key in details:
            url_check(details[key], key)
    missing = [key for key in OIDC_ENDPOINTS if not details.get(key)]
    if missing:
        document = _discover(details["oidc_issuer"])
        for key in missing:
            value = document.get(OIDC_ENDPOINTS[key])
            if not isinstance(value, str) or not value:
                raise InvalidParameter(
                    f"{key} is not given and the OpenID Connect configuration of {details['oidc_issuer']} "
                    f"has no {OIDC_ENDPOINTS[key]}."
                )
            url_check(value, key)
            details[key] = value
    details["attributes_url_add_attributes"] = "false"
    secret = details.pop("client_secret")
    return Details(details=details, secret=secret)


def _saml_metadata(xml: str) -> dict[str, str]:
    """SSORedirectBindingURI and SLORedirectBindingURI of IdP metadata; InvalidParameter
    when it is not IdP metadata with a sign-on endpoint and a signing certificate."""
    invalid = "The SAML metadata is not valid"
    parsed: dict = {}
    for binding in (OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT, OneLogin_Saml2_Constants.BINDING_HTTP_POST):
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(
                xml, required_sso_binding=binding, required_slo_binding=OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT
            )
        except Exception:  # noqa: BLE001 - lxml and the parser raise many types for bad documents
            raise InvalidParameter(f"{invalid}: it is not a well-formed metadata document.") from None
        if parsed.get("idp", {}).get("singleSignOnService", {}).get("url"):
            break
    idp = parsed.get("idp") or {}
    if not idp.get("entityId"):
        raise InvalidParameter(f"{invalid}: it describes no identity provider (IDPSSODescriptor).")
    sso = idp.get("singleSignOnService") or {}
    if not sso.get("url"):
        raise InvalidParameter(f"{invalid}: it has no SingleSignOnService.")
    certs = idp.get("x509cert") or (idp.get("x509certMulti") or {}).get("signing")
    if not certs:
        raise InvalidParameter(f"{invalid}: it has no signing certificate.")
    out = {}
    if sso.get("binding") == OneLogin_Saml2_Constants.BINDING_HTTP_REDIRECT:
        out["SSORedirectBindingURI"] = sso["url"]
    slo = idp.get("singleLogoutService") or {}
    if slo.get("url"):
        out["SLORedirectBindingURI"] = slo["url"]
    return out


def encryption_key_pair(pool_id: str) -> tuple[str, str]:
    """(private key PEM, certificate as base64 DER) for EncryptedResponses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pool_id)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _saml(given: Mapping[str, str], *, pool_id: str, stored: Stored | None) -> Details:
    has_file, has_url = bool(given.get("MetadataFile")), bool(given.get("MetadataURL"))
    if has_file == has_url:
        raise InvalidParameter("Exactly one of MetadataFile and MetadataURL is required for a SAML provider.")
    details = {k: given[k] for k in _GIVEN["SAML"] if k in given}
    for key in SAML_BOOLEANS:
        if key in details:
            if details[key].lower() not in {"true", "false"}:
                raise InvalidParameter(f"{key} must be true or false.")
            details[key] = details[key].lower()
    details.setdefault("IDPSignout", "false")
    if "RequestSigningAlgorithm" in details and details["RequestSigningAlgorithm"] != "rsa-sha256":
        raise InvalidParameter("RequestSigningAlgorithm must be rsa-sha256.")
    if has_url:
        url_check(given["MetadataURL"], "MetadataURL")
        try:
            xml = fetch(given["MetadataURL"]).decode("utf-8")
        except FetchError as exc:
            raise InvalidParameter(f"Could not retrieve the SAML metadata from MetadataURL: {exc}.") from None
        except UnicodeDecodeError:
            raise InvalidParameter("The SAML metadata at MetadataURL is not UTF-8 text.") from None
    else:
        xml = given["MetadataFile"]
    details |= _saml_metadata(xml)
    result = Details(details=details, saml_metadata=xml)
    if details.get("EncryptedResponses") == "true":
        kept = (
            stored is not None and stored.encryption_key and (stored.details or {}).get("ActiveEncryptionCertificate")
        )
        if kept:
            result.encryption_key = stored.encryption_key
            details["ActiveEncryptionCertificate"] = stored.details["ActiveEncryptionCertificate"]
        else:
            result.encryption_key, details["ActiveEncryptionCertificate"] = encryption_key_pair(pool_id)
    return result


def provider_details(
    provider_type: str, given: Mapping[str, str], *, pool_id: str, stored: Stored | None = None
) -> Details:
    """A request's ProviderDetails checked, completed with the keys Cognito adds, and split
    into what is shown and what is kept secret. ``stored``: the provider's current state (update)."""
    _unknown_keys(provider_type, given)
    if provider_type == "SAML":
        return _saml(given, pool_id=pool_id, stored=stored)
    _required(provider_type, given, stored)
    if provider_type == "OIDC":
        return _oidc(given)
    return _social(provider_type, given, stored)
