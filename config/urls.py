"""Project routing: the Cognito wire protocol at ``POST /``, the admin console, the REST API
(with its OpenAPI schema and docs, routed in ``userpools.api.urls``), the identity issuer,
and each pool's OpenID documents, hosted pages and OAuth 2.0 endpoints under
``/{UserPoolId}/`` (also served at the root of a pool's domain: hostedui.middleware)."""

from django.contrib import admin
from django.urls import include, path

from config.wire.views import wire_endpoint

admin.site.site_header = "Cognate administration"
admin.site.site_title = "Cognate"
admin.site.index_title = "User pools, app clients and access keys"

urlpatterns = [
    path("", wire_endpoint, name="wire"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("userpools.api.urls")),
    path("", include("identity.urls")),  # the identity issuer (before the pools' route) and /example/
    path("<str:pool_id>/.well-known/", include("userpools.oidc_views")),
    path("<str:pool_id>/", include("hostedui.urls")),  # the hosted pages and OAuth 2.0 endpoints
]
