"""Cognate's look in the branding editor's shape: the settings ReturnMergedResources fills in."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


def _modes(light: dict[str, Any], dark: dict[str, Any]) -> dict[str, Any]:
    return {"lightMode": light, "darkMode": dark}


@lru_cache(maxsize=1)
def _defaults() -> str:
    """Cognate's look in the branding editor's shape (the colours of ``hosted.css``)."""
    document = {
        "categories": {
            "auth": {
                "authMethodOrder": [[{"display": "INPUT", "type": "USERNAME_PASSWORD"}]],
                "federation": {"interfaceStyle": "BUTTON_LIST", "order": []},
            },
            "form": {
                "displayGraphics": True,
                "instructions": {"enabled": False},
                "languageSelector": {"enabled": False},
                "location": {"horizontal": "CENTER", "vertical": "START"},
                "sessionTimerDisplay": "NONE",
            },
            "global": {
                "colorSchemeMode": "LIGHT",
                "pageFooter": {"enabled": False},
                "pageHeader": {"enabled": False},
                "spacingDensity": "REGULAR",
            },
            "signUp": {"acceptanceElements": [{"enforcement": "NONE", "textKey": "en"}]},
        },
        "componentClasses": {
            "buttons": {"borderRadius": 6.0},
            "focusState": _modes({"borderColor": "174ea6ff"}, {"borderColor": "a8c7faff"}),
            "input": {
                "borderRadius": 6.0,
                **_modes(
                    {"defaults": {"backgroundColor": "ffffffff", "borderColor": "6f7179ff"}},
                    {"defaults": {"backgroundColor": "1e1f23ff", "borderColor": "8e9099ff"}},
                ),
            },
            "link": _modes(
                {"defaults": {"textColor": "0b57d0ff"}, "hover": {"textColor": "0842a0ff"}},
                {"defaults": {"textColor": "a8c7faff"}, "hover": {"textColor": "d3e3fdff"}},
            ),
            "statusIndicator": _modes(
                {"error": {"indicatorColor": "b3261eff"}}, {"error": {"indicatorColor": "ffb4abff"}}
            ),
        },
        "components": {
            "alert": {
                "borderRadius": 6.0,
                **_modes({"error": {"backgroundColor": "fdeceaff"}}, {"error": {"backgroundColor": "410e0bff"}}),
            },
            "favicon": {"enabledTypes": ["ICO", "SVG"]},
            "form": {
                "backgroundImage": {"enabled": False},
                "borderRadius": 8.0,
                **_modes(
                    {"backgroundColor": "ffffffff", "borderColor": "c4c7cfff"},
                    {"backgroundColor": "1e1f23ff", "borderColor": "43464dff"},
                ),
                "logo": {"enabled": True, "formInclusion": "IN", "location": "CENTER", "position": "TOP"},
            },
            "pageBackground": {"image": {"enabled": True}, **_modes({"color": "f4f5f7ff"}, {"color": "121316ff"})},
            "pageHeader": {"backgroundImage": {"enabled": False}, "logo": {"enabled": True, "location": "START"}},
            "pageText": _modes(
                {"bodyColor": "1b1c20ff", "descriptionColor": "45474fff", "headingColor": "1b1c20ff"},
                {"bodyColor": "e3e3e8ff", "descriptionColor": "c4c6ceff", "headingColor": "e3e3e8ff"},
            ),
            "primaryButton": _modes(
                {
                    "defaults": {"backgroundColor": "0b57d0ff", "textColor": "ffffffff"},
                    "hover": {"backgroundColor": "0842a0ff", "textColor": "ffffffff"},
                },
                {
                    "defaults": {"backgroundColor": "a8c7faff", "textColor": "0b1d3dff"},
                    "hover": {"backgroundColor": "d3e3fdff", "textColor": "0b1d3dff"},
                },
            ),
            "secondaryButton": _modes(
                {"defaults": {"backgroundColor": "ffffffff", "borderColor": "0b57d0ff", "textColor": "0b57d0ff"}},
                {"defaults": {"backgroundColor": "1e1f23ff", "borderColor": "a8c7faff", "textColor": "a8c7faff"}},
            ),
        },
    }
    return json.dumps(document)


def default_settings() -> dict[str, Any]:
    return json.loads(_defaults())
