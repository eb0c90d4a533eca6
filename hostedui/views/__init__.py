"""What every hosted page and OAuth endpoint shares: the pool the request is for, the
language, security headers, the service context, rendering with the pool's style and
template overrides, and redirects to a client's registered URLs.

Views parse input, call one service, render; the rules are in ``hostedui.services`` and
``userpools.services``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import select_template
from django.utils import translation

from hostedui.services import oauth, sessions
from userpools.context import ServiceContext
from userpools.models import AppClient, UserPool

SECURITY_HEADERS = {
    # No other origin may frame the pages (clickjacking); X-Frame-Options DENY is set too.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    # Not no-referrer: with it, browsers send "Origin: null" on the pages' own form posts, which
    # Django's CSRF check refuses. same-origin still gives other sites (callbacks, logos, terms
    # links) no Referer, so the authorization request's query never leaks.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Hosted:
    """The pool a hosted request is for and where its pages are (``base`` ends in ``/``)."""

    pool: UserPool
    base: str
    on_domain: bool

    @property
    def cookie_path(self) -> str:
        return self.base


def hosted_request(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the pool (the domain's, or the ``pool_id`` in the path), activate the
    language the request asks for (``lang``), call ``view(request, hosted, ...)`` and add
    the security headers. An unknown pool is a 404 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, pool_id: str | None = None, **kwargs: Any) -> HttpResponse:
        domain_pool = getattr(request, "cognate_pool_id", None)
        pool = UserPool.objects.filter(pk=domain_pool or pool_id).first() if (domain_pool or pool_id) else None
        language = language_of(request)
        with translation.override(language):
            if pool is None:
                response = render_page(
                    request, None, "error.html", {"message": "This user pool does not exist."}, status=404
                )
            else:
                hosted = Hosted(pool=pool, base="/" if domain_pool else f"/{pool.id}/", on_domain=bool(domain_pool))
                request.hosted = hosted
                response = view(request, hosted, **kwargs)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return wrapper


def language_of(request: HttpRequest) -> str:
    """The page language: a supported ``lang`` parameter, else the browser's, else English."""
    asked = request.GET.get("lang") or request.POST.get("lang")
    if asked:
        try:
            return translation.get_supported_language_variant(asked.replace("_", "-").lower())
        except LookupError:
            pass
    return translation.get_language_from_request(request)


def service_context(request: HttpRequest, client: AppClient | None = None) -> ServiceContext:
    return ServiceContext(
        actor=f"client:{client.client_id}" if client is not None else "hostedui",
        source_ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent"),
    )


def render_page(
    request: HttpRequest,
    hosted: Hosted | None,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    client: AppClient | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``templates/hostedui/<name>``, or the pool's own copy of it
    (``hostedui/pools/<UserPoolId>/<name>``), with the pool's and client's style."""
    from hostedui.services.branding import page_style

    pool = hosted.pool if hosted is not None else None
    names = ([f"hostedui/pools/{pool.id}/{name}"] if pool is not None else []) + [f"hostedui/{name}"]
    template = select_template(names)
    full = {
        "pool": pool,
        "client": client,
        "base": hosted.base if hosted is not None else "/",
        "style": page_style(pool, client) if pool is not None else None,
        "language": translation.get_language(),
        "preview": False,
        **(context or {}),
    }
    return HttpResponse(template.render(full, request), status=status)


class AppRedirect(HttpResponseRedirect):
    """A redirect to a client's registered callback or sign-out URL, which may use an
    app's own scheme (``myapp://callback``); never a script or data URL."""

    class _Schemes:
        def __contains__(self, scheme: object) -> bool:
            return isinstance(scheme, str) and scheme.lower() not in {"javascript", "data", "vbscript", "file", "blob"}

    allowed_schemes = _Schemes()  # type: ignore[assignment]


def redirect_with(uri: str, params: Mapping[str, str], *, fragment: bool = False) -> AppRedirect:
    """``uri`` with ``params`` added to its query, or as its fragment (the implicit grant)."""
    parts = urlsplit(uri)
    encoded = urlencode(dict(params))
    if fragment:
        return AppRedirect(urlunsplit(parts._replace(fragment=encoded)))
    query = f"{parts.query}&{encoded}" if parts.query else encoded
    return AppRedirect(urlunsplit(parts._replace(query=query)))


def oauth_error_redirect(exc: oauth.OAuthError) -> AppRedirect:
    params = exc.body()
    if exc.state is not None:
        params["state"] = exc.state
    return redirect_with(exc.redirect_uri, params, fragment=exc.fragment)


def error_page(
    request: HttpRequest, hosted: Hosted | None, exc: oauth.OAuthError, *, client: AppClient | None = None
) -> HttpResponse:
    return render_page(
        request, hosted, "error.html", {"error": exc.error, "message": exc.description}, client=client, status=400
    )


def page_url(hosted: Hosted, name: str, params: Mapping[str, str] | None = None) -> str:
    """A hosted page's path with query parameters (the authorization request carried on)."""
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    return f"{hosted.base}{name}" + (f"?{query}" if query else "")


def current_session(request: HttpRequest, hosted: Hosted):
    return sessions.hosted_session_find(hosted.pool, request.COOKIES.get(sessions.COOKIE_NAME))


def set_session_cookie(response: HttpResponse, request: HttpRequest, hosted: Hosted, token: str) -> None:
    # Secure on a secure request, and whenever Cognate is served over HTTPS (SESSION_COOKIE_SECURE,
    # config/settings.py) even where a proxy does not tell each request's scheme.
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=int(sessions.lifetime().total_seconds()),
        path=hosted.cookie_path,
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: HttpResponse, hosted: Hosted) -> None:
    response.delete_cookie(sessions.COOKIE_NAME, path=hosted.cookie_path, samesite="Lax")
