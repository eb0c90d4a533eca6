"""Terms documents of app clients (CreateTerms ...), shown on the sign-up page.

(Interim: no terms; the terms services replace this module's body.)
"""

from __future__ import annotations

from userpools.models import AppClient


def terms_for_client(client: AppClient, language: str | None) -> list[dict[str, str]]:
    """The client's terms for the sign-up page: [{"name": "terms-of-use", "url": ...}]."""
    return []
