"""Project routing: the Cognito wire protocol at ``POST /``, the admin console, the REST API."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.wire.views import wire_endpoint

admin.site.site_header = "Cognate administration"
admin.site.site_title = "Cognate"
admin.site.index_title = "User pools, app clients and access keys"

urlpatterns = [
    path("", wire_endpoint, name="wire"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("userpools.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
