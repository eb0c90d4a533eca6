"""Fixtures for the hosted pages in a real browser: Debian's Chromium driven by Playwright
(tests/chromium.py), the live server as the token issuer, pools and app clients made through
the services, and a small app of our own on another origin (``app_site``): it is the clients'
callback and sign-out URL, records what reached it, and serves a page that frames others.

One Chromium for the session; each test gets a new context (cookies, storage, virtual
authenticators apart). Codes are delivered after commit, so the tests use ``transactional_db``.
"""

from __future__ import annotations

import contextlib
import html
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from hostedui.services.hosts import hosts_cache_clear
from tests.chromium import SCREENSHOTS, screenshot
from tests.hostedui.conftest import ALL_SCOPES, PASSWORD, PKCE_UNUSED, pkce_pair  # noqa: F401 - re-exported
from userpools.context import SYSTEM
from userpools.models import AppClient, User
from userpools.services import tokens, users
from userpools.services.clients import user_pool_client_create
from userpools.services.domains import user_pool_domain_create
from userpools.services.pools import user_pool_create, user_pool_get

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Signing keys and domain look-ups are cached per process; the database is flushed between tests."""
    tokens.keys_cache_clear()
    hosts_cache_clear()
    yield
    tokens.keys_cache_clear()
    hosts_cache_clear()


# --- The app on another origin ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    path: str
    query: dict[str, str]


class _Recorder:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.lock = threading.Lock()


class AppSite:
    """A test's view of the app: ``url`` is ``http://127.0.0.1:{port}`` (another origin than the
    live server's ``http://localhost:{port}``); ``hits`` are the requests since the test began."""

    def __init__(self, recorder: _Recorder, port: int) -> None:
        self._recorder = recorder
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        with recorder.lock:
            self._start = len(recorder.hits)

    @property
    def callback(self) -> str:
        return f"{self.url}/callback"

    @property
    def callback2(self) -> str:
        return f"{self.url}/callback2"

    @property
    def signed_out(self) -> str:
        return f"{self.url}/signed-out"

    def frame_page(self, src: str, *, origin: str | None = None) -> str:
        """A page of ``origin`` (default: the app's) that frames ``src``."""
        return f"{origin or self.url}/frame?" + urlencode({"src": src})

    def hits(self, path: str | None = None) -> list[Hit]:
        with self._recorder.lock:
            found = self._recorder.hits[self._start :]
        return [h for h in found if path is None or h.path == path]


def _handler(recorder: _Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/frame":
                body = (
                    f'<!DOCTYPE html><html lang="en"><title>Framing page</title><h1>Another site</h1>'
                    f'<iframe id="target" title="framed" width="600" height="400" '
                    f'src="{html.escape(query.get("src", ""))}"></iframe></html>'
                )
            else:
                with recorder.lock:
                    recorder.hits.append(Hit(parts.path, query))
                body = (
                    f'<!DOCTYPE html><html lang="en"><title>The app</title>'
                    f'<h1 id="app">The app: {html.escape(parts.path)}</h1></html>'
                )
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's signature
            pass

    return Handler


@pytest.fixture(scope="session")
def _app_server():
    recorder = _Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="app-site", daemon=True)
    thread.start()
    try:
        yield recorder, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app_site(_app_server) -> AppSite:
    recorder, port = _app_server
    return AppSite(recorder, port)


# --- The live server as issuer, a browser context per test ---------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_failed = report.failed


@pytest.fixture
def new_context(chromium, public_url, request):  # noqa: F811 - chromium is the fixture imported above
    """new_context(**options) -> a fresh browser context (closed after the test; a failed
    test leaves screenshots of its pages as var/screenshots/failed-<test>-<n>.png)."""
    made = []

    def make(**options):
        context = chromium.new_context(**{"locale": "en-US", **options})
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    failed = getattr(request.node, "browser_failed", False)
    for context in made:
        if failed:
            for page in context.pages:
                with contextlib.suppress(Exception):  # a closed or crashed page: nothing to show
                    screenshot(page, f"failed-{request.node.name}-{len(list(SCREENSHOTS.glob('failed-*')))}")
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


# --- Pools, clients, users -------------------------------------------------------------------------------


@dataclass
class HostedPool:
    """A pool whose pages are at ``base`` (``{live_server}/{UserPoolId}/`` or its domain's root)."""

    pool_id: str
    base: str
    issuer: str
    clients: dict[str, AppClient] = field(default_factory=dict)

    def client(self, name: str = "web") -> AppClient:
        return self.clients[name]

    def authorize_url(self, client: str = "web", redirect_uri: str | None = None, **params) -> str:
        app = self.clients[client]
        query = {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri or app.settings["CallbackURLs"][0],
            **params,
        }
        if "code_challenge" not in params:  # public clients must send one (tests/security/test_pkce.py)
            query.update(PKCE_UNUSED)
        return f"{self.base}oauth2/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})

    def logout_url(self, client: str = "web") -> str:
        app = self.clients[client]
        return f"{self.base}logout?" + urlencode(
            {"client_id": app.client_id, "logout_uri": app.settings["LogoutURLs"][0]}
        )

    def make_user(self, username: str = "alice", *, email: str | None = None, **attrs) -> User:
        attributes = dict(attrs)
        if email:
            attributes.update(email=email, email_verified="true")
        return users.user_create(
            SYSTEM,
            pool=user_pool_get(self.pool_id),
            username=username,
            password=PASSWORD,
            attributes=attributes,
            status=User.Status.CONFIRMED,
        )


@pytest.fixture
def hosted_pool(public_url, app_site):
    """hosted_pool(domain=None, clients=("web",), **CreateUserPool) -> HostedPool.

    Each client is a public OAuth client (code flow, every standard scope) whose callback is
    the app's ``/callback`` (the second one's ``/callback2``) and sign-out URL ``/signed-out``.
    With ``domain`` (a prefix), the pages are used on ``http://{prefix}.auth.localhost:{port}/``."""

    def make(*, domain: str | None = None, clients: tuple[str, ...] = ("web",), **request) -> HostedPool:
        pool = user_pool_create(SYSTEM, {"PoolName": "browser", **request})
        base = f"{public_url}/{pool.id}/"
        if domain:
            user_pool_domain_create(SYSTEM, {"UserPoolId": pool.id, "Domain": domain})
            base = f"http://{domain}.auth.localhost:{urlsplit(public_url).port}/"
        hosted = HostedPool(pool_id=pool.id, base=base, issuer=f"{public_url}/{pool.id}")
        for index, name in enumerate(clients):
            callback = app_site.callback if index == 0 else f"{app_site.callback}{index + 1}"
            hosted.clients[name] = user_pool_client_create(
                SYSTEM,
                {
                    "UserPoolId": pool.id,
                    "ClientName": name,
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": ALL_SCOPES,
                    "CallbackURLs": [callback],
                    "LogoutURLs": [app_site.signed_out],
                    "SupportedIdentityProviders": ["COGNITO"],
                },
            )
        return hosted

    return make


def unique_prefix(name: str) -> str:
    """A domain prefix of its own per test (domains are looked up through a process cache)."""
    return f"{name}-{secrets.token_hex(3)}"


# --- Accessibility ---------------------------------------------------------------------------------------

SERIOUS = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is (any impact). Needs a context made with
    ``bypass_csp=True``: the pages' CSP allows no inline script, and the tag is inline."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.target.join(" "))}));
    }""")


def unlabelled_inputs(page) -> list[str]:
    """The visible form controls that have no accessible label (a <label for>, or aria-label(ledby))."""
    return page.evaluate("""() => [...document.querySelectorAll("input, select, textarea")]
        .filter(el => el.type !== "hidden" && el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                      && !el.getAttribute("aria-labelledby"))
        .map(el => el.name || el.id)""")


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
