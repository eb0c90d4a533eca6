"""The managed login pages: sign-in and its challenges (new password, MFA codes, MFA type,
TOTP set-up), passkeys, sign-up and confirmation, password recovery, and the error page.

Every page carries the authorization request (``client_id``, ``redirect_uri``,
``response_type``, ``scope``, ``state`` ...) and checks it again on every step, so no
step can be reached with a request ``/oauth2/authorize`` would refuse; a finished sign-in
starts the pool's browser session and returns to the client (hostedui.views.oauth).
The pages work without JavaScript; only passkeys (WebAuthn is a browser API) need it.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import quote, urlencode

import segno
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hostedui.services import oauth, sessions
from hostedui.services.terms import terms_for_client
from hostedui.views import (
    AppRedirect,
    Hosted,
    current_session,
    error_page,
    hosted_request,
    oauth_error_redirect,
    page_url,
    render_page,
    service_context,
    set_session_cookie,
)
from hostedui.views.oauth import authorization_response
from userpools import jsonbody
from userpools import signin as auth
from userpools.errors import SESSION_REASONS, ErrorCode, ServiceError
from userpools.models import AppClient
from userpools.services import passkeys, recovery, users
from userpools.services import signup as signups
from userpools.services.clientauth import client_load, secret_hash

MAX_FIELD = 2048
MAX_PASSWORD = 256
# Messages of the user pool's services that the pages show in the page's language.
gettext_noop("Incorrect username or password.")
gettext_noop("Password attempts exceeded")
gettext_noop("User is disabled.")
gettext_noop("Invalid session for the user.")
gettext_noop("Invalid session for the user, session is expired.")
gettext_noop("Invalid code received for user")
FRIENDLY: dict[str, str] = {
    ErrorCode.CODE_MISMATCH: gettext_noop("The code is wrong. Check it and try again."),
    ErrorCode.EXPIRED_CODE: gettext_noop("The code has expired. Ask for a new one."),
    ErrorCode.TOO_MANY_FAILED_ATTEMPTS: gettext_noop("Too many wrong codes. Ask for a new one."),
    ErrorCode.LIMIT_EXCEEDED: gettext_noop("Too many attempts. Wait a while and try again."),
    ErrorCode.USERNAME_EXISTS: gettext_noop("An account with this username already exists."),
    ErrorCode.USER_NOT_FOUND: gettext_noop("Incorrect username or password."),
}


def _message(exc: ServiceError) -> str:
    """What a page says about a refused step: the pool's message, in the page's language."""
    if exc.code in FRIENDLY:
        return _(FRIENDLY[exc.code])
    return _(exc.message)


def _field(request: HttpRequest, name: str, limit: int = MAX_FIELD) -> str:
    value = request.POST.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _authorization(request: HttpRequest, hosted: Hosted) -> oauth.AuthorizeRequest | HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    try:
        return oauth.authorize_request_check(hosted.pool, params)
    except oauth.OAuthError as exc:
        return oauth_error_redirect(exc) if exc.redirect else error_page(request, hosted, exc)


def _page(
    request: HttpRequest,
    hosted: Hosted,
    areq: oauth.AuthorizeRequest,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    carried = {k: v for k, v in areq.params.items() if k not in ("notice",)}
    own = {k: str(context[k]) for k in ("username",) if context and context.get(k)}
    full = {
        "hidden": sorted(carried.items()),
        "qs": urlencode(carried),
        "areq": areq,
        "qs_nolang": urlencode({k: v for k, v in {**carried, **own}.items() if k != "lang"}),
        **(context or {}),
    }
    return render_page(request, hosted, name, full, client=areq.client, status=status)


def _secret_hash(client: AppClient, username: str) -> str | None:
    """The pages are the pool's own: they prove a client secret for the user pool's services."""
    _, held = client_load(client.client_id)
    return secret_hash(client_id=client.client_id, client_secret=held[0], username=username) if held else None


def _signed_in(
    request: HttpRequest, hosted: Hosted, areq: oauth.AuthorizeRequest, outcome: auth.AuthOutcome
) -> HttpResponse:
    assert outcome.user is not None and outcome.auth_time is not None
    session, token = sessions.hosted_session_start(
        service_context(request, areq.client), user=outcome.user, auth_time=outcome.auth_time, methods=outcome.methods
    )
    response = authorization_response(request, hosted, areq, session)
    set_session_cookie(response, request, hosted, token)
    return response


def _outcome(
    request: HttpRequest,
    hosted: Hosted,
    areq: oauth.AuthorizeRequest,
    outcome: auth.AuthOutcome,
    username: str,
    *,
    error: str | None = None,
) -> HttpResponse:
    """Where a sign-in step leads: signed in, or the page of the next challenge."""
    if outcome.user is not None:
        return _signed_in(request, hosted, areq, outcome)
    return _challenge_page(
        request, hosted, areq, outcome.challenge or "", outcome.session or "", outcome.parameters, username, error=error
    )


def _names(text: str | None) -> list[str]:
    """A challenge parameter that lists names (a JSON array of strings). After a refused
    step the parameters are the ones the form echoed back, the client's to change: anything
    else reads as no names, never an error."""
    try:
        loaded = jsonbody.loads(text or "[]")
    except ServiceError:
        return []
    return [name for name in loaded if isinstance(name, str)] if isinstance(loaded, list) else []


def _challenge_page(
    request: HttpRequest,
    hosted: Hosted,
    areq: oauth.AuthorizeRequest,
    challenge: str,
    session: str,
    parameters: dict[str, str],
    username: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "challenge": challenge,
        "session": session,
        "username": username,
        "error": error,
        "parameters": parameters,
        "parameters_json": json.dumps(parameters),
    }
    if challenge == "NEW_PASSWORD_REQUIRED":
        required = _names(parameters.get("requiredAttributes"))
        context["attributes"] = [name.removeprefix("userAttributes.") for name in required]
        return _page(request, hosted, areq, "new_password.html", context, status=status)
    if challenge == "SELECT_MFA_TYPE":
        context["choices"] = _names(parameters.get("MFAS_CAN_CHOOSE"))
        return _page(request, hosted, areq, "select_mfa.html", context, status=status)
    if challenge == "MFA_SETUP":
        return _mfa_setup_page(request, hosted, areq, session, username, error=error, status=status)
    if challenge in ("SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"):
        context["destination"] = parameters.get("CODE_DELIVERY_DESTINATION", "")
        return _page(request, hosted, areq, "mfa_code.html", context, status=status)
    return error_page(
        request,
        hosted,
        oauth.OAuthError("unsupported_challenge", _("This sign-in step cannot be completed on this page.")),
    )


def _mfa_setup_page(
    request: HttpRequest,
    hosted: Hosted,
    areq: oauth.AuthorizeRequest,
    session: str,
    username: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """MFA_SETUP: associate an authenticator app with the sign-in and show its key as a QR code."""
    ctx = service_context(request, areq.client)
    try:
        secret, session = auth.software_token_associate_in_sign_in(ctx, session, hosted=True)
    except ServiceError as exc:
        return _restart(request, hosted, areq, _message(exc))
    return _mfa_setup_render(request, hosted, areq, session, username, secret, error=error, status=status)


def _mfa_setup_render(
    request: HttpRequest,
    hosted: Hosted,
    areq: oauth.AuthorizeRequest,
    session: str,
    username: str,
    secret: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HttpResponse:
    issuer = hosted.pool.name
    uri = f"otpauth://totp/{issuer}:{username}?" + _query({"secret": secret, "issuer": issuer})
    qr = segno.make(uri, error="m")
    # A standalone SVG document: svg_inline() leaves out the namespace, which an <img> needs.
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, dark="#000", light="#fff", xmldecl=False)
    svg = base64.b64encode(buffer.getvalue()).decode()
    context = {
        "challenge": "MFA_SETUP",
        "session": session,
        "username": username,
        "error": error,
        "secret": secret,
        "otpauth": uri,
        "qr": f"data:image/svg+xml;base64,{svg}",
    }
    return _page(request, hosted, areq, "mfa_setup.html", context, status=status)


def _query(params: dict[str, str]) -> str:
    return urlencode(params, quote_via=quote)


def _restart(request: HttpRequest, hosted: Hosted, areq: oauth.AuthorizeRequest, message: str) -> HttpResponse:
    """The sign-in cannot go on (its session expired or was spent): the sign-in page again."""
    return _page(request, hosted, areq, "login.html", _login_context(hosted, areq, error=message), status=400)


def _login_context(hosted: Hosted, areq: oauth.AuthorizeRequest, **extra: Any) -> dict[str, Any]:
    pool = hosted.pool
    admin_only = (pool.settings.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly")
    return {
        "username": areq.login_hint or "",
        "passkeys": passkeys.passkeys_enabled(pool) and "WEB_AUTHN" in auth.available_first_factors(areq.client),
        "signup_allowed": not admin_only,
        "recovery_allowed": recovery.recovery_mechanisms(pool) != ["admin_only"],
        **extra,
    }


# --- Sign-in ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@hosted_request
def login(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    if request.method == "GET":
        session = current_session(request, hosted)
        if session is not None and not areq.reauthenticate:
            return authorization_response(request, hosted, areq, session)
        notice = {
            "confirmed": _("Your account is confirmed. Sign in to continue."),
            "reset": _("Your password has been reset. Sign in with the new one."),
        }.get(request.GET.get("notice", ""))
        return _page(request, hosted, areq, "login.html", _login_context(hosted, areq, notice=notice))
    username, password = _field(request, "username").strip(), _field(request, "password", MAX_PASSWORD)
    ctx = service_context(request, areq.client)
    if not username or not password:
        return _page(
            request,
            hosted,
            areq,
            "login.html",
            _login_context(hosted, areq, username=username, error=_("Enter your username and password.")),
            status=400,
        )
    try:
        outcome = auth.hosted_sign_in(ctx, client=areq.client, username=username, password=password)
    except ServiceError as exc:
        if exc.code == ErrorCode.USER_NOT_CONFIRMED:
            return AppRedirect(page_url(hosted, "confirm", {**areq.params, "username": username}))
        if exc.code == ErrorCode.PASSWORD_RESET_REQUIRED:
            return AppRedirect(
                page_url(hosted, "forgotPassword", {**areq.params, "username": username, "notice": "reset_required"})
            )
        return _page(
            request,
            hosted,
            areq,
            "login.html",
            _login_context(hosted, areq, username=username, error=_message(exc)),
            status=400,
        )
    return _outcome(request, hosted, areq, outcome, username)


CODE_KEYS = {"SMS_MFA": "SMS_MFA_CODE", "EMAIL_OTP": "EMAIL_OTP_CODE", "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE"}


@require_POST
@hosted_request
def challenge(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """The answer to a sign-in challenge: a new password, an MFA code, the MFA type, or the
    first code of a new authenticator app (MFA_SETUP)."""
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    name, session, username = _field(request, "challenge"), _field(request, "session"), _field(request, "username")
    client = areq.client
    ctx = service_context(request, client)
    responses: dict[str, str] = {"USERNAME": username}
    hashed = _secret_hash(client, username)
    if hashed:
        responses["SECRET_HASH"] = hashed
    try:
        if name == "NEW_PASSWORD_REQUIRED":
            password = _field(request, "password", MAX_PASSWORD)
            if password != _field(request, "password_again", MAX_PASSWORD):
                raise _PageError(_("The passwords do not match."))
            responses["NEW_PASSWORD"] = password
            for key in request.POST:
                if key.startswith("attr:") and (value := _field(request, key)):
                    responses[f"userAttributes.{key.removeprefix('attr:')}"] = value
        elif name in CODE_KEYS:
            responses[CODE_KEYS[name]] = _field(request, "code", 64).strip()
        elif name == "SELECT_MFA_TYPE":
            responses["ANSWER"] = _field(request, "answer", 64)
        elif name == "MFA_SETUP":
            session = auth.software_token_verify_in_sign_in(
                ctx,
                session,
                _field(request, "code", 64).strip(),
                _field(request, "device_name", 128) or None,
                hosted=True,
            )
        else:
            raise _PageError(_("This sign-in step cannot be completed on this page."))
        outcome = auth.auth_respond(
            ctx, client_id=client.client_id, challenge_name=name, session=session, responses=responses, hosted=True
        )
    except _PageError as exc:
        return _challenge_page(
            request, hosted, areq, name, session, _parameters(request), username, error=str(exc), status=400
        )
    except ServiceError as exc:
        if exc.reason in SESSION_REASONS:
            return _restart(request, hosted, areq, _("Your sign-in took too long or was interrupted. Sign in again."))
        if name == "MFA_SETUP" and exc.code in (ErrorCode.CODE_MISMATCH, ErrorCode.ENABLE_SOFTWARE_TOKEN_MFA):
            # A refused first code leaves the association (and the session): show the same key again.
            return _mfa_setup_render(
                request,
                hosted,
                areq,
                session,
                username,
                _field(request, "secret", 128),
                error=_message(exc),
                status=400,
            )
        return _challenge_page(
            request, hosted, areq, name, session, _parameters(request), username, error=_message(exc), status=400
        )
    return _outcome(request, hosted, areq, outcome, username)


class _PageError(Exception):
    """A form the page itself refuses (before any service is asked)."""


def _parameters(request: HttpRequest) -> dict[str, str]:
    """The challenge parameters the page was rendered with (echoed back by its form)."""
    try:  # bounded: nesting past the stack's depth raised RecursionError here (a 500)
        loaded = jsonbody.loads(_field(request, "parameters", 65536) or "{}")
    except ServiceError:
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


# --- Sign-up and confirmation ----------------------------------------------------------------------------


def signup_fields(hosted: Hosted, client: AppClient) -> tuple[str | None, list[dict[str, Any]]]:
    """What the sign-up form asks: the username (None when an e-mail address or phone number
    is the username) and the attributes: the pool's required ones and the username attribute."""
    pool = hosted.pool
    username_attributes = users.username_attributes(pool)
    shown: list[dict[str, Any]] = []
    writable = set(client.settings.get("WriteAttributes") or [])
    for attribute in pool.schema:
        name = attribute["Name"]
        if name == "sub" or attribute.get("DeveloperOnlyAttribute"):
            continue
        if attribute.get("Required") or name in username_attributes:
            if writable and name not in writable:
                continue
            shown.append(
                {
                    "name": name,
                    "required": bool(attribute.get("Required")) or name in username_attributes,
                    "type": {"email": "email", "phone_number": "tel", "birthdate": "date"}.get(name, "text"),
                }
            )
    return (None if username_attributes else "username"), shown


@require_http_methods(["GET", "POST"])
@hosted_request
def signup(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    client = areq.client
    username_field, attributes = signup_fields(hosted, client)
    context: dict[str, Any] = {
        "username_field": username_field,
        "attributes": attributes,
        "terms": terms_for_client(client, translation.get_language()),
        "values": {},
    }
    if request.method == "GET":
        return _page(request, hosted, areq, "signup.html", context)
    values = {a["name"]: _field(request, f"attr:{a['name']}").strip() for a in attributes}
    context["values"] = values
    if username_field:
        username = _field(request, "username").strip()
    else:
        chosen = users.username_attributes(hosted.pool)
        username = next((values[n] for n in chosen if values.get(n)), "")
    password = _field(request, "password", MAX_PASSWORD)
    context["username"] = username
    if password != _field(request, "password_again", MAX_PASSWORD):
        return _page(
            request, hosted, areq, "signup.html", {**context, "error": _("The passwords do not match.")}, status=400
        )
    if not username:
        return _page(request, hosted, areq, "signup.html", {**context, "error": _("Enter a username.")}, status=400)
    try:
        result = signups.user_sign_up(
            service_context(request, client),
            client_id=client.client_id,
            secret_hash=_secret_hash(client, username),
            username=username,
            password=password,
            attributes=[{"Name": n, "Value": v} for n, v in values.items() if v],
        )
    except ServiceError as exc:
        return _page(request, hosted, areq, "signup.html", {**context, "error": _message(exc)}, status=400)
    if result.delivery is None:
        return _page(
            request,
            hosted,
            areq,
            "message.html",
            {
                "title": _("Account created"),
                "message": _("An administrator must confirm your account before you can sign in."),
            },
        )
    # What the person typed (their e-mail address where it is the username), not the generated
    # username (a UUID then): the confirm and sign-in pages show it, and the services accept it.
    return AppRedirect(
        page_url(
            hosted,
            "confirm",
            {**areq.params, "username": username, "destination": result.delivery.get("Destination", "")},
        )
    )


@require_http_methods(["GET", "POST"])
@hosted_request
def confirm(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    """Confirm a sign-up with the code that was sent; or send a new code."""
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    client = areq.client
    source = request.POST if request.method == "POST" else request.GET
    username = str(source.get("username", ""))[:MAX_FIELD].strip()
    context: dict[str, Any] = {"username": username, "destination": str(source.get("destination", ""))[:256]}
    if request.method == "GET":
        return _page(request, hosted, areq, "confirm.html", context)
    ctx = service_context(request, client)
    try:
        if "resend" in request.POST:
            details = signups.user_resend_confirmation_code(
                ctx, client_id=client.client_id, secret_hash=_secret_hash(client, username), username=username
            )
            return _page(
                request,
                hosted,
                areq,
                "confirm.html",
                {**context, "destination": details.get("Destination", ""), "notice": _("We sent you a new code.")},
            )
        signups.user_confirm_sign_up(
            ctx,
            client_id=client.client_id,
            secret_hash=_secret_hash(client, username),
            username=username,
            code=_field(request, "code", 64).strip(),
        )
    except ServiceError as exc:
        return _page(request, hosted, areq, "confirm.html", {**context, "error": _message(exc)}, status=400)
    return AppRedirect(page_url(hosted, "login", {**areq.params, "notice": "confirmed", "login_hint": username}))


# --- Password recovery ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@hosted_request
def forgot_password(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    client = areq.client
    if request.method == "GET":
        notice = (
            _("You must reset your password before you can sign in.")
            if request.GET.get("notice") == "reset_required"
            else None
        )
        return _page(
            request,
            hosted,
            areq,
            "forgot_password.html",
            {"username": str(request.GET.get("username", ""))[:MAX_FIELD], "notice": notice},
        )
    username = _field(request, "username").strip()
    try:
        details = recovery.password_reset_start(
            service_context(request, client),
            client_id=client.client_id,
            secret_hash=_secret_hash(client, username),
            username=username,
        )
    except ServiceError as exc:
        return _page(
            request, hosted, areq, "forgot_password.html", {"username": username, "error": _message(exc)}, status=400
        )
    return AppRedirect(
        page_url(
            hosted,
            "confirmForgotPassword",
            {**areq.params, "username": username, "destination": details.get("Destination", "")},
        )
    )


@require_http_methods(["GET", "POST"])
@hosted_request
def confirm_forgot_password(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    areq = _authorization(request, hosted)
    if isinstance(areq, HttpResponse):
        return areq
    client = areq.client
    source = request.POST if request.method == "POST" else request.GET
    context: dict[str, Any] = {
        "username": str(source.get("username", ""))[:MAX_FIELD].strip(),
        "destination": str(source.get("destination", ""))[:256],
    }
    if request.method == "GET":
        return _page(request, hosted, areq, "confirm_forgot_password.html", context)
    username = context["username"]
    password = _field(request, "password", MAX_PASSWORD)
    if password != _field(request, "password_again", MAX_PASSWORD):
        return _page(
            request,
            hosted,
            areq,
            "confirm_forgot_password.html",
            {**context, "error": _("The passwords do not match.")},
            status=400,
        )
    try:
        recovery.password_reset_confirm(
            service_context(request, client),
            client_id=client.client_id,
            secret_hash=_secret_hash(client, username),
            username=username,
            code=_field(request, "code", 64).strip(),
            password=password,
        )
    except ServiceError as exc:
        return _page(
            request, hosted, areq, "confirm_forgot_password.html", {**context, "error": _message(exc)}, status=400
        )
    return AppRedirect(page_url(hosted, "login", {**areq.params, "notice": "reset", "login_hint": username}))


@require_GET
@hosted_request
def error(request: HttpRequest, hosted: Hosted) -> HttpResponse:
    return render_page(
        request,
        hosted,
        "error.html",
        {
            "error": str(request.GET.get("error", ""))[:64],
            "message": _("An error was encountered with the requested page."),
        },
        status=400,
    )
