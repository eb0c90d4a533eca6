"""A software WebAuthn authenticator and client for the passkey tests.

It plays both halves a browser and a passkey provider play: given the options a server
sent (PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON) it
makes a key pair, builds the authenticator data and client data, signs, and answers the
RegistrationResponseJSON / AuthenticationResponseJSON documents of WebAuthn Level 3
(https://www.w3.org/TR/webauthn-3/#dictdef-registrationresponsejson). Every field a
test needs to get wrong (origin, relying party, user verification, signature, counter,
algorithm, attestation format) is a keyword argument.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

UP, UV, AT = 0x01, 0x04, 0x40
ES256, EDDSA = -7, -8
NO_AAGUID = bytes(16)
ICLOUD_KEYCHAIN = bytes.fromhex("fbfc3007154e4ecc8c0b6e020557d7bd")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredKey:
    """A credential the authenticator holds: the private key, whose it is, its counter."""

    credential_id: bytes
    private_key: Any
    rp_id: str
    user_handle: bytes
    algorithm: int
    sign_count: int = 0

    def public_cose(self) -> bytes:
        public = self.private_key.public_key()
        if self.algorithm == EDDSA:
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return cbor2.dumps({1: 1, 3: EDDSA, -1: 6, -2: raw})
        numbers = public.public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: ES256, -1: 1, -2: x, -3: y})

    def public_spki(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == EDDSA:
            return self.private_key.sign(data)
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))


@dataclass
class SoftwareAuthenticator:
    """A platform authenticator at ``origin`` (a browser tab) that verifies its user unless
    told otherwise. ``keys`` holds the credentials it made, by credential ID."""

    origin: str
    aaguid: bytes = ICLOUD_KEYCHAIN
    attachment: str = "platform"
    transports: tuple[str, ...] = ("hybrid", "internal")
    keys: dict[bytes, StoredKey] = field(default_factory=dict)

    # --- navigator.credentials.create() ------------------------------------------------

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        algorithm: int = ES256,
        fmt: str = "none",
        bad_attestation_signature: bool = False,
        ceremony: str = "webauthn.create",
        credential_id: bytes | None = None,
    ) -> dict[str, Any]:
        """A RegistrationResponseJSON answering ``options``; the overrides falsify one part."""
        rp_id = rp_id or options["rp"]["id"]
        credential_id = credential_id or secrets.token_bytes(32)
        if algorithm == EDDSA:
            private: Any = ed25519.Ed25519PrivateKey.generate()
        else:
            private = ec.generate_private_key(ec.SECP256R1())
        key = StoredKey(credential_id, private, rp_id, unb64url(options["user"]["id"]), algorithm)
        self.keys[credential_id] = key
        client_data = self._client_data(ceremony, challenge or options["challenge"], origin)
        flags = UP | AT | (UV if user_verified else 0)
        attested = self.aaguid + struct.pack(">H", len(credential_id)) + credential_id + key.public_cose()
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", key.sign_count) + attested
        )
        statement: dict[str, Any] = {}
        if fmt == "packed":  # self attestation: signed with the credential's own key
            signature = key.sign(auth_data + hashlib.sha256(client_data).digest())
            if bad_attestation_signature:
                signature = key.sign(b"something else")
            statement = {"alg": algorithm, "sig": signature}
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": statement, "authData": auth_data})
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "authenticatorData": b64url(auth_data),
                "transports": list(self.transports),
                "publicKeyAlgorithm": algorithm,
                "publicKey": b64url(key.public_spki()),
            },
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
        }

    # --- navigator.credentials.get() -------------------------------------------------------

    def get(
        self,
        options: dict[str, Any] | str,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        credential_id: bytes | None = None,
        bad_signature: bool = False,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
        ceremony: str = "webauthn.get",
    ) -> dict[str, Any]:
        """An AuthenticationResponseJSON answering ``options`` (a dict or the JSON string of
        CREDENTIAL_REQUEST_OPTIONS) with the first allowed credential it holds; the counter
        goes up by one unless ``sign_count`` says otherwise."""
        if isinstance(options, str):
            options = json.loads(options)
        if credential_id is None:
            allowed = [unb64url(c["id"]) for c in options.get("allowCredentials", [])]
            credential_id = next(cid for cid in allowed if cid in self.keys)
        key = self.keys[credential_id]
        key.sign_count = key.sign_count + 1 if sign_count is None else sign_count
        rp_id = rp_id or options.get("rpId") or key.rp_id
        client_data = self._client_data(ceremony, challenge or options["challenge"], origin)
        flags = UP | (UV if user_verified else 0)
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", key.sign_count)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = key.sign(b"tampered" + signed if bad_signature else signed)
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(key.user_handle if user_handle is None else user_handle),
            },
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
        }

    def _client_data(self, ceremony: str, challenge: str, origin: str | None) -> bytes:
        document = {"type": ceremony, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(document, separators=(",", ":")).encode()
