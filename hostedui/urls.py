"""The hosted pages and OAuth 2.0 endpoints of one pool, at Cognito's paths.

Mounted twice: under ``{PUBLIC_URL}/{UserPoolId}/`` (:mod:`config.urls`, ``pool_id`` in
the path) and at the root of the pool's domains (:mod:`hostedui.domain_urls`).
"""

from django.urls import path

from hostedui.views import assets, oauth, pages, passkeys

urlpatterns = [
    path("oauth2/authorize", oauth.authorize, name="hosted-authorize"),
    path("oauth2/token", oauth.token, name="hosted-token"),
    path("oauth2/userInfo", oauth.userinfo, name="hosted-userinfo"),
    path("oauth2/revoke", oauth.revoke, name="hosted-revoke"),
    path("logout", oauth.logout, name="hosted-logout"),
    path("login", pages.login, name="hosted-login"),
    path("login/challenge", pages.challenge, name="hosted-challenge"),
    path("login/passkey/options", passkeys.passkey_options, name="hosted-passkey-options"),
    path("login/passkey", passkeys.passkey_sign_in, name="hosted-passkey"),
    path("signup", pages.signup, name="hosted-signup"),
    path("confirm", pages.confirm, name="hosted-confirm"),
    path("forgotPassword", pages.forgot_password, name="hosted-forgot-password"),
    path("confirmForgotPassword", pages.confirm_forgot_password, name="hosted-confirm-forgot-password"),
    path("passkeys/add", passkeys.passkey_add, name="hosted-passkey-add"),
    path("passkeys/add/options", passkeys.passkey_add_options, name="hosted-passkey-add-options"),
    path("error", pages.error, name="hosted-error"),
    *assets.urlpatterns,
]
