"""Terms documents of app clients (CreateTerms ...), shown on the sign-up page.

An app client has at most one document of each kind, ``terms-of-use`` and
``privacy-policy`` (TermsExists otherwise), each a map from a managed login language
(``cognito:english``, ``cognito:german`` ..., the model's LanguageIdType) or
``cognito:default`` to an https URL. The sign-up page links to both once both exist:
"You must provide both types of terms documents in at least one language before Amazon
Cognito displays your terms documents", each in the page's language "with fallback to
default if no document exists for the language" (API reference, CreateTerms:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateTerms.html;
developer guide, "Terms documents" in
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-managed-login.html).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Q

from hostedui.models import Terms
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, ResourceNotFound, TermsExists
from userpools.models import AppClient
from userpools.services.audit import audit_record
from userpools.services.pagination import Page
from userpools.services.pools import user_pool_get
from userpools.spec import validate_request

DEFAULT_LINK = "cognito:default"
DEFAULT_PAGE_SIZE = 60
# Managed login's languages (developer guide, "Managed login localization") as the Django
# language codes of the pages, to the model's LanguageIdType names.
LANGUAGES = {
    "en": "cognito:english",
    "de": "cognito:german",
    "fr": "cognito:french",
    "es": "cognito:spanish",
    "nl": "cognito:dutch",
    "it": "cognito:italian",
    "ja": "cognito:japanese",
    "ko": "cognito:korean",
    "id": "cognito:bahasa-indonesia",
    "pt": "cognito:portuguese-brazil",
    "pt-br": "cognito:portuguese-brazil",
    "zh": "cognito:chinese-simplified",
    "zh-hans": "cognito:chinese-simplified",
    "zh-cn": "cognito:chinese-simplified",
    "zh-sg": "cognito:chinese-simplified",
    "zh-hant": "cognito:chinese-traditional",
    "zh-tw": "cognito:chinese-traditional",
    "zh-hk": "cognito:chinese-traditional",
}
ORDER = (Terms.Name.TERMS_OF_USE, Terms.Name.PRIVACY_POLICY)


def _check_links(links: Mapping[str, str]) -> dict[str, str]:
    for language, url in links.items():
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            raise InvalidParameter(f"Links.{language} must be an https URL.")
    return dict(links)


def _client(pool_id: str, client_id: str) -> AppClient:
    pool = user_pool_get(pool_id)
    client = AppClient.objects.filter(pool=pool, client_id=client_id).first()
    if client is None:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    return client


def _terms(pool_id: str, terms_id: str, *, lock: bool = False) -> Terms:
    user_pool_get(pool_id)
    qs = Terms.objects.select_for_update() if lock else Terms.objects
    try:
        return qs.select_related("client").get(pool_id=pool_id, id=uuid.UUID(terms_id))
    except (Terms.DoesNotExist, ValueError):
        raise ResourceNotFound(f"Terms {terms_id} do not exist.") from None


def _exists(client: AppClient, name: str) -> TermsExists:
    return TermsExists(f"App client {client.client_id} already has {name} terms.")


@transaction.atomic
def terms_create(ctx: ServiceContext, request: Mapping[str, Any]) -> Terms:
    """CreateTerms. Raises ResourceNotFound (pool, client), TermsExists, InvalidParameter."""
    validate_request("CreateTerms", request)
    client = _client(request["UserPoolId"], request["ClientId"])
    if "Links" not in request:
        raise InvalidParameter("Links is required: at least one URL, e.g. for cognito:default.")
    links = _check_links(request["Links"])
    name = request["TermsName"]
    if Terms.objects.filter(client=client, name=name).exists():
        raise _exists(client, name)
    try:
        with transaction.atomic():
            terms = Terms.objects.create(
                pool_id=client.pool_id,
                client=client,
                name=name,
                links=links,
                source=request["TermsSource"],
                enforcement=request["Enforcement"],
            )
    except IntegrityError:
        raise _exists(client, name) from None
    audit_record(
        ctx, "terms.create", pool_id=client.pool_id, target=str(terms.id), client_id=client.client_id, name=name
    )
    return terms


def terms_describe(*, pool_id: str, terms_id: str) -> Terms:
    """DescribeTerms. Raises ResourceNotFound."""
    return _terms(pool_id, terms_id)


def terms_describe_by_client(*, pool_id: str, client_id: str, name: str) -> Terms:
    """DescribeTermsByClient. Raises ResourceNotFound (pool, client, or no such terms)."""
    client = _client(pool_id, client_id)
    terms = Terms.objects.select_related("client").filter(client=client, name=name).first()
    if terms is None:
        raise ResourceNotFound(f"App client {client_id} has no {name} terms.")
    return terms


@transaction.atomic
def terms_update(ctx: ServiceContext, request: Mapping[str, Any]) -> Terms:
    """UpdateTerms: what is given replaces (Links as a whole); a new TermsName must be free
    on the client. Raises ResourceNotFound, TermsExists, InvalidParameter."""
    validate_request("UpdateTerms", request)
    terms = _terms(request["UserPoolId"], request["TermsId"], lock=True)
    name = request.get("TermsName", terms.name)
    if name != terms.name and Terms.objects.filter(client=terms.client, name=name).exists():
        raise _exists(terms.client, name)
    terms.name = name
    if "Links" in request:
        terms.links = _check_links(request["Links"])
    terms.source = request.get("TermsSource", terms.source)
    terms.enforcement = request.get("Enforcement", terms.enforcement)
    try:
        with transaction.atomic():
            terms.save()
    except IntegrityError:
        raise _exists(terms.client, name) from None
    audit_record(
        ctx, "terms.update", pool_id=terms.pool_id, target=str(terms.id), client_id=terms.client.client_id, name=name
    )
    return terms


@transaction.atomic
def terms_delete(ctx: ServiceContext, *, pool_id: str, terms_id: str) -> None:
    """DeleteTerms. Raises ResourceNotFound."""
    terms = _terms(pool_id, terms_id, lock=True)
    terms.delete()
    audit_record(
        ctx, "terms.delete", pool_id=pool_id, target=terms_id, client_id=terms.client.client_id, name=terms.name
    )


def _token(record: Terms) -> str:
    raw = json.dumps([record.created_at.isoformat(), str(record.id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(token: str) -> Q:
    """Rows after a NextToken: (created_at, id) keyset, as userpools.services.pagination does
    (whose tokens hold no UUIDs)."""
    invalid = InvalidParameter("The pagination token is not valid.")
    try:
        created, terms_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
        created_at = datetime.fromisoformat(created)
        key = uuid.UUID(terms_id)
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError, binascii.Error):
        raise invalid from None
    if created_at.tzinfo is None:
        raise invalid
    return Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=key)


def terms_list(*, pool_id: str, max_results: int | None, next_token: str | None) -> Page[Terms]:
    """ListTerms: the pool's terms documents, oldest first, in pages (opaque NextToken)."""
    user_pool_get(pool_id)
    limit = max_results or DEFAULT_PAGE_SIZE
    qs = Terms.objects.select_related("client").filter(pool_id=pool_id).order_by("created_at", "id")
    if next_token:
        qs = qs.filter(_after(next_token))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    return Page(rows[:limit], _token(rows[limit - 1]))


def _link(links: Mapping[str, str], language: str | None) -> str | None:
    code = (language or "").lower().replace("_", "-")
    for candidate in (code, code.split("-")[0]):
        key = LANGUAGES.get(candidate)
        if key and links.get(key):
            return links[key]
    return links.get(DEFAULT_LINK)


def terms_for_client(client: AppClient, language: str | None) -> list[dict[str, str]]:
    """The client's terms for the sign-up page: [{"name": "terms-of-use", "url": ...}].

    Empty until the client has both documents (Cognito shows them only then); each link is
    the one for the page's language (Django's ``de`` or ``de-at`` is ``cognito:german``),
    else ``cognito:default``; a document with neither is left out.
    """
    documents = {t.name: t for t in Terms.objects.filter(client=client)}
    if any(name not in documents for name in ORDER):
        return []
    out = []
    for name in ORDER:
        url = _link(documents[name].links, language)
        if url:
            out.append({"name": str(name), "url": url})
    return out
