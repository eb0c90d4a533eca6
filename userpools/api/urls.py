"""Routes of the REST API under ``/api/v1/``, with its OpenAPI schema and Swagger UI.

The schema and the docs page are public (no authentication, ``AllowAny``): they
describe the API, they do not expose data, and a browser cannot sign SigV4 requests.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from userpools.api import views

urlpatterns = [
    path("user-pools/", views.UserPoolListApi.as_view(), name="api-user-pool-list"),
    path("user-pools/<str:pool_id>/", views.UserPoolDetailApi.as_view(), name="api-user-pool-detail"),
    path("user-pools/<str:pool_id>/clients/", views.UserPoolClientListApi.as_view(), name="api-user-pool-client-list"),
    path(
        "user-pools/<str:pool_id>/clients/<str:client_id>/",
        views.UserPoolClientDetailApi.as_view(),
        name="api-user-pool-client-detail",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api-schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="api-docs",
    ),
]
