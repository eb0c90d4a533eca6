"""What both styles share: the image formats (recognised by their bytes), blobs as the JSON
protocol carries them, the hex colour form, the app client a request names."""

from __future__ import annotations

import base64
import binascii
import re

from userpools.errors import InvalidParameter, ResourceNotFound
from userpools.models import AppClient, UserPool

_HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")

CONTENT_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "ICO": "image/x-icon",
    "SVG": "image/svg+xml",
    "WEBP": "image/webp",
}
FILE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "ICO": "ico", "SVG": "svg", "WEBP": "webp"}
# What each asset category may hold: the favicons their own format, the images any web format.
_CATEGORY_TYPES = {"FAVICON_ICO": {"ICO"}, "FAVICON_SVG": {"SVG"}}
_IMAGE_TYPES = {"PNG", "JPEG", "SVG", "WEBP"}


def image_type(data: bytes) -> str | None:
    """The format the bytes really are (by their magic numbers), as an AssetExtensionType."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x00\x00\x01\x00") and len(data) > 6:
        return "ICO"
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if _is_svg(data[:4096]):
        return "SVG"
    return None


def _is_svg(head: bytes) -> bool:
    """An XML document whose root element is <svg>: skip a BOM, the XML declaration, comments
    and a DOCTYPE by scanning (a regular expression over them can backtrack exponentially)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    while text.startswith((b"<?", b"<!--", b"<!")):
        end = {b"<?": b"?>", b"<!--": b"-->", b"<!": b">"}[b"<!--" if text.startswith(b"<!--") else text[:2]]
        index = text.find(end, 2)
        if index < 0:
            return False
        text = text[index + len(end) :].lstrip()
    return text[:4].lower() == b"<svg" and text[4:5] in (b" ", b"\t", b"\n", b"\r", b">", b"/")


def decode_blob(value: str | bytes, member: str) -> bytes:
    """A blob member of a request: base64 text as the JSON protocol carries it (bytes pass)."""
    if isinstance(value, bytes):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidParameter(f"{member} must be base64-encoded binary data.") from None


def _client(pool: UserPool, client_id: str) -> AppClient:
    client = AppClient.objects.filter(pool=pool, client_id=client_id).first()
    if client is None:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    return client
