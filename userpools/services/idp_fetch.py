"""Server-side GETs of URLs a caller chose: an OIDC provider's discovery document and a
SAML provider's MetadataURL (userpools.services.idp_details).

Such a request must not become a way into the network Cognate runs in (SSRF), so:

* only ``https`` URLs, with no credentials in them;
* the host's every address must be public: no loopback, private, link-local (the cloud
  metadata service), shared, multicast, reserved or unspecified address, IPv4-mapped IPv6
  included. ``COGNATE_IDP_PRIVATE_ADDRESSES`` (config/settings.py) names addresses or
  networks allowed all the same, which may then be reached over ``http`` too;
* the connection goes to the address that was checked (no second DNS answer in between:
  the TLS name and certificate check still use the host name), and never through a proxy
  from the environment;
* redirects are followed by hand, at most three, each target checked like the first URL;
* a timeout (``IDENTITY_PROVIDER_TIMEOUT_SECONDS``) and a size limit on the answer.

Failures raise :class:`FetchError` with a message fit to show the caller.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from userpools.conf import cognate_settings

MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
MAX_ADDRESSES = 4  # tried in turn, each with the whole timeout
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; not is_private in every Python
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # an IPv4 address behind a NAT64 gateway


class FetchError(Exception):
    """The URL may not be fetched, or fetching it failed."""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in getattr(settings, "COGNATE_IDP_PRIVATE_ADDRESSES", []) or []:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a mistyped entry allows nothing
    return networks


def _excepted(address: _Address) -> bool:
    return any(address in network for network in _allowed_networks() if network.version == address.version)


def _public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _public(embedded)
        if address.is_site_local:
            return False
    elif address in _SHARED:
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _resolve(host: str, port: int) -> list[_Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise FetchError(f"the host {host} could not be resolved") from None
    addresses = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise FetchError(f"the host {host} could not be resolved")
    return addresses


def checked_target(url: str) -> tuple[str, int, list[_Address], str]:
    """(host, port, the addresses to connect to, scheme) for ``url``, or FetchError when the
    URL may not be fetched."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError("the URL is not valid") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in {"https", "http"} or not host:
        raise FetchError("the URL must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise FetchError("the URL must not contain credentials")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    excepted = all(_excepted(a) for a in addresses)
    if not excepted and not all(_public(a) for a in addresses):
        raise FetchError(f"the host {host} is not a public address")
    if scheme == "http" and not excepted:
        raise FetchError("the URL must be an https URL")
    return host, port, list(dict.fromkeys(addresses)), scheme


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address; TLS still verifies the certificate for the host name."""

    def __init__(self, host: str) -> None:
        self._host = host
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self._host
            pool_kwargs["assert_hostname"] = self._host
        return host_params, pool_kwargs


def _get_once(url: str, timeout: float) -> requests.Response:
    """GET ``url`` from the first of its checked addresses that accepts a connection."""
    host, port, addresses, scheme = checked_target(url)
    parts = urlsplit(url)
    default_port = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    named = f"[{host}]" if ":" in host else host  # an IPv6 literal
    host_header = named if default_port else f"{named}:{port}"
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would connect elsewhere
    session.mount("https://", _PinnedAdapter(host))
    session.mount("http://", _PinnedAdapter(host))
    for address in addresses[:MAX_ADDRESSES]:
        literal = f"[{address}]" if address.version == 6 else str(address)
        pinned = parts._replace(scheme=scheme, netloc=f"{literal}:{port}").geturl()
        try:
            return session.get(
                pinned,
                headers={"Host": host_header, "Accept": "application/json, application/xml, */*"},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectionError:  # refused, unreachable, TLS failure: the next address
            continue
        except requests.Timeout:
            raise FetchError("the request timed out") from None
        except requests.RequestException:
            raise FetchError("the request failed") from None
    raise FetchError("the server could not be reached")


def fetch(url: str) -> bytes:
    """The body of a 200 answer to GET ``url``, under the rules of the module docstring."""
    timeout = cognate_settings().IDENTITY_PROVIDER_TIMEOUT_SECONDS
    for _ in range(MAX_REDIRECTS + 1):
        response = _get_once(url, timeout)
        with response:
            if response.is_redirect:
                location = response.headers.get("Location", "")
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                raise FetchError(f"the server answered HTTP {response.status_code}")
            body = bytearray()
            try:
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise FetchError("the document is too large")
            except requests.RequestException:
                raise FetchError("the request failed") from None
            return bytes(body)
    raise FetchError("too many redirects")
