"""The hosted pages' passkey endpoints: sign-in with a passkey (options, assertion) and adding
one after sign-in (userpools/services/passkeys.py does the WebAuthn ceremonies)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hostedui.views import (
    Hosted,
    current_session,
    hosted_request,
    service_context,
)
from hostedui.views.oauth import authorization_response
from hostedui.views.pages import (
    _authorization,
    _field,
    _login_context,
    _message,
    _outcome,
    _page,
    _secret_hash,
)
from userpools import signin as auth
from userpools.errors import ServiceError
from userpools.services import passkeys, users


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
@hosted_request
def passkey_options(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """The request options for signing in with a passkey (the login page's script asks)."""
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return _json_error(_("The sign-in request is not valid."))
    username = _field(request, "username").strip()
    if not username:
        return _json_error(_("Enter your username first."))
    try:
        outcome = auth.hosted_passkey_start(
            service_context(request, areq.client), client=areq.client, username=username
        )
    except ServiceError as exc:
        return _json_error(_message(exc))
    return JsonResponse(
        {"session": outcome.session, "options": json.loads(outcome.parameters["CREDENTIAL_REQUEST_OPTIONS"])}
    )


@require_POST
@hosted_request
def passkey_sign_in(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    username = _field(request, "username").strip()
    responses = {"USERNAME": username, "CREDENTIAL": _field(request, "credential", 65536)}
    if hashed := _secret_hash(areq.client, username):
        responses["SECRET_HASH"] = hashed
    try:
        outcome = auth.auth_respond(
            service_context(request, areq.client),
            client_id=areq.client.client_id,
            challenge_name="WEB_AUTHN",
            session=_field(request, "session"),
            responses=responses,
            hosted=True,
        )
    except ServiceError as exc:
        return _page(
            request,
            hosted,
            areq,
            "login.html",
            _login_context(hosted, areq, username=username, error=_message(exc)),
            status=400,
        )
    return _outcome(request, hosted, areq, outcome, username)


@require_http_methods(["GET", "POST"])
@hosted_request
def passkey_add(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """Register a passkey for the signed-in user; then back to the client."""
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    session = current_session(request, hosted)
    if session is None:
        return _page(
            request,
            hosted,
            areq,
            "login.html",
            _login_context(hosted, areq, error=_("Sign in first to add a passkey.")),
            status=400,
        )
    if request.method == "GET":
        return _page(
            request,
            hosted,
            areq,
            "passkey_add.html",
            {"user": session.user, "shown_name": _shown_name(hosted, session.user)},
        )
    try:
        passkeys.registration_complete(
            service_context(request, areq.client), session.user, _field(request, "credential", 65536)
        )
    except ServiceError as exc:
        return _page(
            request,
            hosted,
            areq,
            "passkey_add.html",
            {"user": session.user, "error": _message(exc), "shown_name": _shown_name(hosted, session.user)},
            status=400,
        )
    return authorization_response(request, hosted, areq, session)


def _shown_name(hosted: Hosted, user) -> str:
    """How a person knows their account: the e-mail address or phone number where that is
    the username (the username itself is then a generated id), else the username."""
    for name in users.username_attributes(hosted.pool):
        if user.attributes.get(name):
            return user.attributes[name]
    return user.username


@require_POST
@hosted_request
def passkey_add_options(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return _json_error(_("The sign-in request is not valid."))
    session = current_session(request, hosted)
    if session is None:
        return _json_error(_("Sign in first to add a passkey."), status=401)
    try:
        options = passkeys.registration_start(service_context(request, areq.client), session.user)
    except ServiceError as exc:
        return _json_error(_message(exc))
    return JsonResponse({"options": options})
