"""Cognito's SRP-6a, server side: the arithmetic behind USER_SRP_AUTH and PASSWORD_VERIFIER.

Cognito's clients (amazon-cognito-identity-js, Amplify, pycognito, the mobile SDKs) all
implement the same variant, and this module matches them number for number:

* the 3072-bit group of RFC 5054 / RFC 3526 with g = 2, SHA-256 as H;
* numbers are hashed as "padded hex": even length, with a 00 byte in front when the top
  bit is set (:func:`pad_hex`), and H works on the bytes that hex spells;
* k = H(pad(N) | pad(g)); u = H(pad(A) | pad(B));
* x = H(pad(salt) | SHA256_hex(pool_name + user_id + ":" + password)), where pool_name is
  the part of the pool id after the underscore and user_id is ``USER_ID_FOR_SRP``;
* the session key is HKDF-SHA256 of pad(S), salted with pad(u), info
  "Caldera Derived Key", first 16 bytes;
* the client proves it with HMAC-SHA256(key, pool_name | user_id | SECRET_BLOCK bytes |
  TIMESTAMP), base64.

Device authentication (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) is the same protocol with
another realm: the device group key takes the pool name's place, the device key the user
id's, and the password is the random one the client made for the device. The client sends
the device's salt and verifier in ConfirmDevice as base64 of their padded-hex bytes
(:func:`device_verifier_parse`).

The verifier v = g^x is made when the password is set and stored encrypted. The server's
ephemeral b is 256 random bits from :mod:`secrets` for every challenge (RFC 5054 section
2.5.3 and RFC 2945: SRP's security rests on b being secret and fresh). It is kept only on
the server, in the challenge's session state, encrypted like every secret at rest
(:func:`ephemeral_seal`), and it is never derived from anything the client sees: an earlier
release derived it from the SECRET_BLOCK it sent to the client, which let anyone recover a
user's verifier from B and sign in without the password (tests/security/test_srp.py).
Big-number powers go through gmpy2 (GMP) when it is installed: a 3072-bit ``pow`` is
much slower in pure Python (measured: benchmarks/README.md, Performance mechanisms).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

try:  # GMP's modular power, far faster on 3072-bit numbers (benchmarks/README.md, Performance mechanisms)
    import gmpy2

    def _powmod(base: int, exponent: int, modulus: int) -> int:
        return int(gmpy2.powmod(base, exponent, modulus))

    FAST = True
except ImportError:  # pragma: no cover - gmpy2 is a dependency; kept for odd platforms

    def _powmod(base: int, exponent: int, modulus: int) -> int:
        return pow(base, exponent, modulus)

    FAST = False

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"
SECRET_BLOCK_BYTES = 48  # 64 base64 characters; the client echoes them back
EPHEMERAL_BYTES = 32  # b: 256 bits, as RFC 5054 asks at least
TIMESTAMP_SKEW = timedelta(minutes=5)

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# "Tue Nov 3 04:05:06 UTC 2026": the day of the month is not padded, the rest is.
TIMESTAMP_RE = re.compile(
    r"(?P<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(?P<day>[1-9]|[12][0-9]|3[01]) (?P<h>[01][0-9]|2[0-3]):(?P<m>[0-5][0-9]):(?P<s>[0-5][0-9]) UTC (?P<y>[0-9]{4})"
)


class SrpError(ValueError):
    """A value from the client that SRP cannot work with (A = 0 mod N, bad hex ...)."""


def pad_hex(value: int | str) -> str:
    """Cognito's padded hex of a number: even length, and a 00 byte first if the top bit is set."""
    text = f"{value:x}" if isinstance(value, int) else value
    if len(text) % 2:
        return "0" + text
    if text[0] in "89abcdefABCDEF":
        return "00" + text
    return text


def _hash_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(_hash_hex(pad_hex(N) + pad_hex(G)), 16)


def pool_name(pool_id: str) -> str:
    """The part of ``us-east-1_AbCd`` that SRP hashes: ``AbCd``."""
    return pool_id.split("_", 1)[1]


def _x(pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    return _realm_x(pool_name(pool_id), user_id, password, salt_hex)


def _realm_x(realm: str, user_id: str, password: str, salt_hex: str) -> int:
    """x for ``user_id`` in ``realm``: a pool's name, or a device group key (device SRP)."""
    inner = hashlib.sha256(f"{realm}{user_id}:{password}".encode("utf-8", "surrogatepass")).hexdigest()
    return int(_hash_hex(pad_hex(salt_hex) + inner), 16)


def _new_salt() -> str:
    """16 random bytes whose hex has no leading zero nibble and a clear top bit, so that
    clients that re-encode the salt as a number (amazon-cognito-identity-js) and clients
    that pad the string as received (pycognito) hash the same bytes."""
    first = secrets.randbelow(0x70) + 0x10
    return f"{first:02x}" + secrets.token_hex(15)


def verifier_make(pool_id: str, user_id: str, password: str) -> tuple[str, int]:
    """A fresh (salt hex, verifier) for ``password``."""
    salt = _new_salt()
    return salt, _powmod(G, _x(pool_id, user_id, password, salt), N)


def secret_block_new() -> str:
    """A new SECRET_BLOCK: random, standard base64 (clients base64-decode it into the proof)."""
    return base64.b64encode(secrets.token_bytes(SECRET_BLOCK_BYTES)).decode("ascii")


def ephemeral_new() -> int:
    """A fresh private b for one challenge: EPHEMERAL_BYTES random bytes from :mod:`secrets`."""
    while True:
        b = secrets.randbits(EPHEMERAL_BYTES * 8)
        if b > 1:
            return b


def ephemeral_seal(b: int) -> str:
    """``b`` as stored in a challenge's server-side state: encrypted under the keys for secrets
    at rest (userpools/crypto.py), so a database reader does not learn it either."""
    from userpools import crypto

    return crypto.encrypt(f"{b:x}")


def ephemeral_open(sealed: object) -> int:
    """The b :func:`ephemeral_seal` stored; SrpError when there is none or it does not decrypt."""
    from userpools import crypto

    if not isinstance(sealed, str) or not sealed:
        raise SrpError("The challenge holds no server secret.")
    try:
        return int(crypto.decrypt(sealed), 16)
    except (crypto.DecryptionError, ValueError):
        raise SrpError("The challenge's server secret does not decrypt.") from None


def parse_public(hex_text: str | None, name: str = "SRP_A") -> int:
    """The client's public value A: hex, and not 0 mod N (which would make S guessable)."""
    try:
        value = int(hex_text or "", 16)
    except ValueError:
        raise SrpError(f"{name} must be a hexadecimal number.") from None
    if value % N == 0:
        raise SrpError(f"{name} must not be 0 mod N.")
    return value


def server_public(verifier: int, b: int) -> int:
    """B = k·v + g^b mod N for this sign-in (``b`` from :func:`ephemeral_new`)."""
    return (K * verifier + _powmod(G, b, N)) % N


def session_key(*, big_a: int, big_b: int, verifier: int, b: int) -> bytes:
    """The 16-byte key both sides derive: HKDF(pad(S), salt = pad(u))."""
    u = int(_hash_hex(pad_hex(big_a) + pad_hex(big_b)), 16)
    if u == 0:
        raise SrpError("u must not be zero.")
    s = _powmod(big_a * _powmod(verifier, u, N) % N, b, N)
    prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
    return hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]


def claim_signature(
    key: bytes, *, user_id: str, secret_block: str, timestamp: str, pool_id: str | None = None, realm: str | None = None
) -> str:
    """What a client that knows the password sends as PASSWORD_CLAIM_SIGNATURE. The realm is
    the pool's name (``pool_id``), or for a device the device group key (``realm``, with the
    device key as ``user_id``)."""
    if realm is None:
        if pool_id is None:
            raise TypeError("claim_signature needs pool_id or realm")
        realm = pool_name(pool_id)
    message = realm.encode() + user_id.encode() + base64.b64decode(secret_block) + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def signature_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def _b64_strict(text: str | None, name: str) -> bytes:
    try:
        raw = base64.b64decode(text or "", validate=True)
    except (ValueError, TypeError):
        raise SrpError(f"{name} must be base64.") from None
    if not raw:
        raise SrpError(f"{name} must not be empty.")
    return raw


def device_verifier_parse(salt_b64: str | None, verifier_b64: str | None) -> tuple[str, int]:
    """ConfirmDevice's DeviceSecretVerifierConfig as (salt hex, verifier): both base64 of the
    padded-hex bytes the SDKs make (amazon-cognito-identity-js ``generateHashDevice``,
    pycognito ``generate_hash_device``). The verifier g^x must lie in 1 < v < N."""
    salt = _b64_strict(salt_b64, "Salt")
    if len(salt) > 64:
        raise SrpError("Salt must be at most 64 bytes.")
    verifier = int.from_bytes(_b64_strict(verifier_b64, "PasswordVerifier"), "big")
    if not 1 < verifier < N:
        raise SrpError("PasswordVerifier must be a number between 1 and N.")
    return salt.hex(), verifier


def timestamp_format(moment: datetime) -> str:
    """Cognito's TIMESTAMP: ``Tue Nov 3 04:05:06 UTC 2026`` (UTC, day of month unpadded)."""
    moment = moment.astimezone(UTC)
    return f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} {moment:%H:%M:%S} UTC {moment.year}"


def timestamp_parse(text: str | None) -> datetime | None:
    """The instant a TIMESTAMP names, or None if it is not in Cognito's format (or not a real date)."""
    match = TIMESTAMP_RE.fullmatch(text or "")
    if match is None:
        return None
    try:
        moment = datetime(
            int(match["y"]),
            _MONTHS.index(match["month"]) + 1,
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    return moment if _WEEKDAYS[moment.weekday()] == match["weekday"] else None


# --- The client side, for tests and the benchmark (the SDKs carry their own) ------------------


class Client:
    """An SRP client exactly as Cognito's SDKs compute it; used by tests and benchmarks."""

    def __init__(self, pool_id: str) -> None:
        self.pool_id = pool_id
        self.a = secrets.randbits(1024) % N or 1
        self.big_a = _powmod(G, self.a, N)

    @property
    def srp_a(self) -> str:
        return f"{self.big_a:x}"

    def respond(self, params: dict[str, str], password: str, *, now: datetime | None = None) -> dict[str, str]:
        """PASSWORD_VERIFIER responses for the challenge ``params`` (SALT, SRP_B, SECRET_BLOCK, USER_ID_FOR_SRP)."""
        user_id, block = params["USER_ID_FOR_SRP"], params["SECRET_BLOCK"]
        big_b = int(params["SRP_B"], 16)
        u = int(_hash_hex(pad_hex(self.big_a) + pad_hex(big_b)), 16)
        x = _x(self.pool_id, user_id, password, params["SALT"])
        s = _powmod((big_b - K * _powmod(G, x, N)) % N, self.a + u * x, N)
        prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
        key = hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]
        timestamp = timestamp_format(now or datetime.now(UTC))
        return {
            "USERNAME": params.get("USERNAME", user_id),
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": claim_signature(
                key, pool_id=self.pool_id, user_id=user_id, secret_block=block, timestamp=timestamp
            ),
        }

    def respond_device(
        self, params: dict[str, str], *, group_key: str, device_key: str, password: str, now: datetime | None = None
    ) -> dict[str, str]:
        """DEVICE_PASSWORD_VERIFIER responses for the challenge ``params`` (SALT, SRP_B,
        SECRET_BLOCK, USERNAME): SRP in the device's realm, with its random password."""
        block = params["SECRET_BLOCK"]
        big_b = int(params["SRP_B"], 16)
        u = int(_hash_hex(pad_hex(self.big_a) + pad_hex(big_b)), 16)
        x = _realm_x(group_key, device_key, password, params["SALT"])
        s = _powmod((big_b - K * _powmod(G, x, N)) % N, self.a + u * x, N)
        prk = hmac.new(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(s)), hashlib.sha256).digest()
        key = hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]
        timestamp = timestamp_format(now or datetime.now(UTC))
        return {
            "USERNAME": params["USERNAME"],
            "DEVICE_KEY": device_key,
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SIGNATURE": claim_signature(
                key, realm=group_key, user_id=device_key, secret_block=block, timestamp=timestamp
            ),
        }


def device_secret_new(group_key: str, device_key: str) -> tuple[str, dict[str, str]]:
    """A new device's (random password, DeviceSecretVerifierConfig), as the SDKs make them
    after a sign-in returns NewDeviceMetadata."""
    password = base64.b64encode(secrets.token_bytes(40)).decode("ascii")
    salt = pad_hex(int.from_bytes(secrets.token_bytes(16), "big"))
    verifier = pad_hex(_powmod(G, _realm_x(group_key, device_key, password, salt), N))
    return password, {
        "Salt": base64.b64encode(bytes.fromhex(salt)).decode("ascii"),
        "PasswordVerifier": base64.b64encode(bytes.fromhex(verifier)).decode("ascii"),
    }
