"""Security of the hosted pages as a browser enforces it: another site cannot frame the sign-in
page (X-Frame-Options DENY, CSP frame-ancestors 'none'), an unregistered redirect_uri keeps the
browser on Cognate's error page, and the session cookie is out of reach of scripts."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.chromium import screenshot


def _child(page):
    frames = [frame for frame in page.frames if frame.parent_frame is page.main_frame]
    assert len(frames) == 1, page.frames
    return frames[0]


def test_another_site_cannot_frame_the_sign_in_page(hosted_pool, page, app_site, live_server):
    pool = hosted_pool()
    page.goto(pool.authorize_url())
    login_url = page.url
    expect(page.get_by_label("Password")).to_be_visible()

    # The check works: the same framing page shows another origin's page that allows framing
    # (the app at http://localhost:{port} inside a page of http://127.0.0.1:{port}) ...
    page.goto(app_site.frame_page(f"http://localhost:{app_site.port}/callback?framed=1"))
    page.wait_for_load_state()
    expect(page.frame_locator("#target").locator("#app")).to_be_visible()

    # ... but not the sign-in page: Chromium blocks the navigation and shows its error page.
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "frame" in message.text else None)
    page.goto(app_site.frame_page(login_url))
    page.wait_for_load_state()
    frame = _child(page)
    for _ in range(50):  # Chromium reports the refusal on the console, shortly after the load
        if refused:
            break
        page.wait_for_timeout(100)
    assert any("frame-ancestors 'none'" in text or "X-Frame-Options" in text for text in refused), refused
    assert not frame.url.startswith(live_server.url), frame.url  # the frame shows Chromium's error page
    assert frame.locator("#username").count() == 0 and frame.locator("form").count() == 0
    expect(page.get_by_role("heading", name="Another site")).to_be_visible()


def test_an_unregistered_redirect_uri_shows_the_error_page_and_stays(hosted_pool, page, app_site, live_server):
    pool = hosted_pool()
    response = page.goto(pool.authorize_url(redirect_uri=f"{app_site.url}/elsewhere", state="s"))
    assert response.status == 400
    assert page.url.startswith(f"{live_server.url}/{pool.pool_id}/oauth2/authorize?")
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("The redirect_uri is not one of the client's callback URLs.")
    screenshot(page, "error")
    assert app_site.hits() == []


def test_the_session_cookie_is_http_only_and_scoped_to_the_pool(hosted_pool, page, app_site, live_server):
    pool = hosted_pool()
    pool.make_user("alice")
    page.goto(pool.authorize_url())
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # the keyboard submits the form
    page.wait_for_url(f"{app_site.callback}?**")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "cognito"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == f"/{pool.pool_id}/"
    page.goto(f"{live_server.url}/{pool.pool_id}/error")
    assert "cognito" not in page.evaluate("() => document.cookie")
