"""How a pool's pages look: UI customization (classic CSS and logo) and managed login branding.

(Interim: the default look only; the customization services replace this module's body.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from userpools.models import AppClient, UserPool


@dataclass(frozen=True)
class PageStyle:
    """What the page templates apply: ``css`` (sanitized, safe inside ``<style>``),
    ``variables`` (CSS custom properties with validated values), image URLs."""

    css: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    logo_url: str | None = None
    favicon_url: str | None = None
    background_url: str | None = None
    color_scheme: str = "light"


def page_style(pool: UserPool, client: AppClient | None) -> PageStyle:
    return PageStyle()
