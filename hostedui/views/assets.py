"""Images of a pool's page styles: UI customization logos and managed login assets."""

from __future__ import annotations

urlpatterns: list = []
