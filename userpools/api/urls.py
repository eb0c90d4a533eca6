"""Routes of the REST API under ``/api/v1/``, with its OpenAPI schema and Swagger UI.

Everything under a pool is served at ``user-pools/{pool_id}/...`` and at the shorter
alias ``pools/{pool_id}/...``: the same views, the same authorization. The OpenAPI
document describes the ``user-pools/`` routes only (an alias would repeat every
operation under a second operationId). The self-service routes under
``clients/{client_id}/`` are unsigned, as their Cognito operations are.

The schema and the docs page are public (no authentication, ``AllowAny``): they
describe the API, they do not expose data, and a browser cannot sign SigV4 requests.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from userpools.api import group_views as g
from userpools.api import selfservice_views as ss
from userpools.api import user_views as u
from userpools.api import views

# (route below the prefix, view, name); the names are the ``user-pools/`` routes'.
POOL_ROUTES = [
    ("", views.UserPoolListApi, "api-user-pool-list"),
    ("<str:pool_id>/", views.UserPoolDetailApi, "api-user-pool-detail"),
    ("<str:pool_id>/clients/", views.UserPoolClientListApi, "api-user-pool-client-list"),
    ("<str:pool_id>/clients/<str:client_id>/", views.UserPoolClientDetailApi, "api-user-pool-client-detail"),
    ("<str:pool_id>/resource-servers/", views.ResourceServerListApi, "api-resource-server-list"),
    # An identifier is often a URL: ``path`` takes the rest of the path, slashes and colons included.
    ("<str:pool_id>/resource-servers/<path:identifier>", views.ResourceServerDetailApi, "api-resource-server-detail"),
    ("<str:pool_id>/users/", u.UserListApi, "api-user-list"),
    ("<str:pool_id>/users/<str:username>/", u.UserDetailApi, "api-user-detail"),
    ("<str:pool_id>/users/<str:username>/enable", u.UserEnableApi, "api-user-enable"),
    ("<str:pool_id>/users/<str:username>/disable", u.UserDisableApi, "api-user-disable"),
    ("<str:pool_id>/users/<str:username>/confirm", u.UserConfirmApi, "api-user-confirm"),
    ("<str:pool_id>/users/<str:username>/reset-password", u.UserPasswordResetApi, "api-user-reset-password"),
    ("<str:pool_id>/users/<str:username>/password", u.UserPasswordApi, "api-user-password"),
    ("<str:pool_id>/users/<str:username>/attributes/delete", u.UserAttributesDeleteApi, "api-user-attributes-delete"),
    ("<str:pool_id>/users/<str:username>/groups/", u.UserGroupListApi, "api-user-group-list"),
    ("<str:pool_id>/groups/", g.GroupListApi, "api-group-list"),
    ("<str:pool_id>/groups/<str:group_name>/", g.GroupDetailApi, "api-group-detail"),
    ("<str:pool_id>/groups/<str:group_name>/members/", g.GroupMemberListApi, "api-group-member-list"),
    ("<str:pool_id>/groups/<str:group_name>/members/<str:username>", g.GroupMemberApi, "api-group-member"),
]
ALIAS_PREFIX = "pools/"

urlpatterns = [
    *(path(f"user-pools/{route}", view.as_view(), name=name) for route, view, name in POOL_ROUTES),
    # The alias: left out of the schema (schema=None), named "<name>-alias".
    *(
        path(f"{ALIAS_PREFIX}{route}", view.as_view(schema=None), name=f"{name}-alias")
        for route, view, name in POOL_ROUTES
    ),
    path("clients/<str:client_id>/sign-up", ss.SignUpApi.as_view(), name="api-sign-up"),
    path("clients/<str:client_id>/confirm-sign-up", ss.ConfirmSignUpApi.as_view(), name="api-confirm-sign-up"),
    path(
        "clients/<str:client_id>/resend-confirmation-code",
        ss.ResendConfirmationCodeApi.as_view(),
        name="api-resend-confirmation-code",
    ),
    path("clients/<str:client_id>/forgot-password", ss.ForgotPasswordApi.as_view(), name="api-forgot-password"),
    path(
        "clients/<str:client_id>/confirm-forgot-password",
        ss.ConfirmForgotPasswordApi.as_view(),
        name="api-confirm-forgot-password",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=[], permission_classes=[AllowAny]),
        name="api-docs",
    ),
]
