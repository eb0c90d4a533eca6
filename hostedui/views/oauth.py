"""The OAuth 2.0 / OIDC endpoints: ``/oauth2/authorize``, ``/oauth2/token``,
``/oauth2/userInfo``, ``/oauth2/revoke`` and ``/logout`` (rules in hostedui.services.oauth)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hostedui.services import oauth, sessions
from hostedui.services.validator import CognitoOAuthLibCore
from hostedui.views import (
    AppRedirect,
    Hosted,
    clear_session_cookie,
    current_session,
    error_page,
    hosted_request,
    oauth_error_redirect,
    page_url,
    service_context,
)


def authorization_response(request: HttpRequest, hosted: Hosted, areq: oauth.AuthorizeRequest, session) -> HttpResponse:
    """Send the browser back to the client with a code (or the implicit grant's tokens); the
    error page if the request no longer names a good client and redirect URI."""
    try:
        location = oauth.authorization_complete(service_context(request, areq.client), request=areq, session=session)
    except oauth.OAuthError as exc:
        return error_page(request, hosted, exc)
    return AppRedirect(location)


@require_GET
@hosted_request
def authorize(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """``GET /oauth2/authorize``: check the request; a browser already signed in to the pool
    gets its code at once (unless ``prompt=login``), ``prompt=none`` without a session gets
    ``login_required``, everyone else goes to the sign-in page with the request carried."""
    try:
        areq = oauth.authorize_request_check(hosted.pool, request.GET)
    except oauth.OAuthError as exc:
        return oauth_error_redirect(exc) if exc.redirect else error_page(request, hosted, exc)
    session = current_session(request, hosted)
    if session is not None and not areq.reauthenticate:
        return authorization_response(request, hosted, areq, session)
    if areq.prompt == "none":
        exc = oauth.OAuthError("login_required", "The user is not signed in.")
        exc.redirect_uri, exc.state, exc.fragment = areq.redirect_uri, areq.state, areq.response_type == "token"
        return oauth_error_redirect(exc)
    return AppRedirect(page_url(hosted, "login", areq.params))


def _oauthlib_response(headers: dict[str, str], body: str, status: int) -> HttpResponse:
    """oauthlib's answer (its error bodies are JSON, also where it gives no Content-Type)."""
    headers = dict(headers)
    content_type = headers.pop("Content-Type", "application/json" if body else None)
    response = HttpResponse(body or b"", status=status, content_type=content_type)
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    if body:
        response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@require_POST
@hosted_request
def token(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """``POST /oauth2/token``: authorization_code, refresh_token, client_credentials, on
    django-oauth-toolkit's server (hostedui/services/validator.py). One transaction: the
    authorization code's row stays locked from its check until it is spent."""
    core = CognitoOAuthLibCore(hosted.pool, service_context(request))
    with transaction.atomic():
        _, headers, body, status = core.create_token_response(request)
    return _oauthlib_response(headers, body, status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@hosted_request
def userinfo(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """``GET|POST /oauth2/userInfo`` with ``Authorization: Bearer <access token>``, on
    oauthlib's OpenID Connect UserInfoEndpoint (hostedui/services/oauth.py)."""
    headers, body, status = oauth.userinfo_response(hosted.pool, request.headers.get("Authorization"))
    return _oauthlib_response(headers, body, status)


@csrf_exempt
@require_POST
@hosted_request
def revoke(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """``POST /oauth2/revoke`` (RFC 7009): 200 with an empty body, also for an unknown token."""
    core = CognitoOAuthLibCore(hosted.pool, service_context(request))
    _, headers, body, status = core.create_revocation_response(request)
    return _oauthlib_response(headers, body, status)


@require_GET
@hosted_request
def logout(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """``GET /logout``: end the browser's session and go to the client's ``logout_uri``, or
    (``redirect_uri`` + ``response_type``) back to the sign-in page."""
    try:
        target = oauth.logout_request_check(hosted.pool, request.GET)
    except oauth.OAuthError as exc:
        return error_page(request, hosted, exc)
    sessions.hosted_session_end(service_context(request), hosted.pool, request.COOKIES.get(sessions.COOKIE_NAME))
    if target.sign_in_again is not None:
        response = AppRedirect(page_url(hosted, "login", target.sign_in_again.params))
    else:
        response = AppRedirect(target.url)
    clear_session_cookie(response, hosted)
    return response
