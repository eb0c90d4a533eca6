"""URLs of a request to a pool's own domain (``hostedui.middleware.PoolDomainMiddleware``):
the hosted pages at the root. Static files are served before routing (WhiteNoise)."""

from django.urls import include, path

urlpatterns = [
    path("", include("hostedui.urls")),
]
