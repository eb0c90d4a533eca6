"""Identity routes mounted at the site root: the identity issuer's documents and, when
``COGNATE_EXAMPLE_API`` is true (default: only under tests), the example API at ``/example/``."""

from django.conf import settings
from django.urls import include, path

from identity import views

urlpatterns = [
    path("identity/.well-known/jwks.json", views.jwks, name="identity-jwks"),
    path("identity/.well-known/openid-configuration", views.openid_configuration, name="identity-openid-configuration"),
]

if getattr(settings, "COGNATE_EXAMPLE_API", getattr(settings, "TESTING", False)):
    urlpatterns.append(path("example/", include("identity.example.urls")))
