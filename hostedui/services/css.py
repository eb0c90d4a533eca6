"""The CSS that SetUICustomization accepts for the classic hosted pages, parsed and rebuilt.

Cognito lets a pool style its classic pages with a fixed set of class selectors (two of
them with a pseudo-class), each with a fixed set of properties, and no at-rules
(developer guide, "Customizing hosted UI (classic) branding":
https://docs.aws.amazon.com/cognito/latest/developerguide/hosted-ui-classic-branding.html).
The pages inline the CSS in a ``<style>`` element, so the sanitizer is an allowlist that
rebuilds the stylesheet from what it understood instead of passing text through:

* the text is tokenized with tinycss2; a backslash anywhere (escapes could hide a
  selector, a ``url(`` or an at-keyword) and ``</style`` are refused outright;
* every rule's selector must be one of :data:`ALLOWED` exactly; at-rules, nested
  rules, other selectors and combinators are refused;
* every declaration's property must be one the docs (and Cognito's own ``CSS
  template.css``) list for that class, and its value must parse as that property's
  kind (a colour, a length, a keyword ...) from a small token vocabulary: no strings,
  no ``url()``, no functions but ``rgb()``/``rgba()``/``hsl()``/``hsla()``;
* the output is re-serialized from those tokens, one declaration per line.

Anything else is an :class:`~userpools.errors.InvalidParameter`, never silently dropped,
so what GetUICustomization returns is what the pages apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import tinycss2
import tinycss2.color3
from tinycss2 import ast

from userpools.errors import InvalidParameter

# Properties per class selector: the developer guide's lists, plus what Cognito's own
# downloadable template uses (border-radius and padding on socialButton-customizable).
ALLOWED: dict[str, frozenset[str]] = {
    ".background-customizable": frozenset({"background-color"}),
    ".banner-customizable": frozenset({"padding", "background-color"}),
    ".errorMessage-customizable": frozenset(
        {"margin", "padding", "font-size", "width", "background", "border", "color", "box-sizing"}
    ),
    ".idpButton-customizable": frozenset(
        {"height", "width", "text-align", "margin-bottom", "color", "background-color", "border-color"}
    ),
    ".idpButton-customizable:hover": frozenset({"color", "background-color"}),
    ".idpDescription-customizable": frozenset({"padding-top", "padding-bottom", "display", "font-size", "color"}),
    ".inputField-customizable": frozenset({"width", "height", "color", "background-color", "border"}),
    ".inputField-customizable:focus": frozenset({"border-color", "outline"}),
    ".label-customizable": frozenset({"font-weight", "color"}),
    ".legalText-customizable": frozenset({"color", "font-size"}),
    ".logo-customizable": frozenset({"max-width", "max-height", "background-color"}),
    ".passwordCheck-valid-customizable": frozenset({"color"}),
    ".passwordCheck-notValid-customizable": frozenset({"color"}),
    ".redirect-customizable": frozenset({"text-align"}),
    ".socialButton-customizable": frozenset(
        {"height", "text-align", "width", "margin-bottom", "border-radius", "padding"}
    ),
    ".submitButton-customizable": frozenset(
        {"font-size", "font-weight", "margin", "width", "height", "color", "background-color"}
    ),
    ".submitButton-customizable:hover": frozenset({"color", "background-color"}),
    ".textDescription-customizable": frozenset({"padding-top", "padding-bottom", "display", "font-size", "color"}),
}

LENGTH_UNITS = frozenset({"px", "em", "rem", "vh", "vw", "vmin", "vmax", "pt", "ex", "ch", "cm", "mm", "in", "pc"})
GLOBAL_KEYWORDS = frozenset({"inherit", "initial", "unset", "revert"})
BORDER_STYLES = frozenset(
    {"none", "hidden", "dotted", "dashed", "solid", "double", "groove", "ridge", "inset", "outset", "auto"}
)
BORDER_WIDTHS = frozenset({"thin", "medium", "thick"})
FONT_SIZES = frozenset(
    {"xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "smaller", "larger"}
)
# "italic" is not a CSS font-weight, but Cognito's guide lists it for the submit button.
FONT_WEIGHTS = frozenset({"normal", "bold", "bolder", "lighter", "italic"})
DISPLAYS = frozenset({"block", "inline", "inline-block", "none"})
TEXT_ALIGNS = frozenset({"left", "right", "center", "justify", "start", "end"})
BOX_SIZINGS = frozenset({"border-box", "content-box"})
COLOR_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
MAX_RULES = 200

_STYLE_CLOSE = re.compile(r"</\s*style", re.IGNORECASE)


def _refuse(message: str) -> InvalidParameter:
    return InvalidParameter(f"CSS is not valid for the hosted UI: {message}")


# --- Value kinds ----------------------------------------------------------------------------------


def _is_color(token: ast.Node) -> bool:
    if token.type == "function" and token.lower_name not in COLOR_FUNCTIONS:
        return False
    if token.type == "function" and any(
        arg.type not in ("number", "percentage", "whitespace", "literal") for arg in token.arguments
    ):
        return False
    if token.type not in ("hash", "ident", "function"):
        return False
    return tinycss2.color3.parse_color(token) is not None


def _is_length(token: ast.Node, *, auto: bool = True) -> bool:
    if token.type == "dimension":
        return token.lower_unit in LENGTH_UNITS
    if token.type == "percentage":
        return True
    if token.type == "number":
        return token.value == 0
    return auto and token.type == "ident" and token.lower_value == "auto"


def _keyword(token: ast.Node, words: frozenset[str]) -> bool:
    return token.type == "ident" and token.lower_value in words


def _one(check: Callable[[ast.Node], bool]) -> Callable[[list[ast.Node]], bool]:
    return lambda values: len(values) == 1 and check(values[0])


def _box(values: list[ast.Node]) -> bool:
    return 1 <= len(values) <= 4 and all(_is_length(v) for v in values)


def _border(values: list[ast.Node]) -> bool:
    return 1 <= len(values) <= 3 and all(
        _is_length(v, auto=False) or _keyword(v, BORDER_STYLES | BORDER_WIDTHS) or _is_color(v) for v in values
    )


def _font_weight(token: ast.Node) -> bool:
    if token.type == "number":
        return token.is_integer and 100 <= token.int_value <= 900 and token.int_value % 100 == 0
    return _keyword(token, FONT_WEIGHTS)


KINDS: dict[str, Callable[[list[ast.Node]], bool]] = {
    "color": _one(_is_color),
    "background-color": _one(_is_color),
    "border-color": _one(_is_color),
    "background": _one(_is_color),  # errorMessage-customizable: "the background color of the error message"
    "width": _one(_is_length),
    "height": _one(_is_length),
    "max-width": _one(_is_length),
    "max-height": _one(_is_length),
    "padding-top": _one(_is_length),
    "padding-bottom": _one(_is_length),
    "margin-bottom": _one(_is_length),
    "border-radius": _box,
    "padding": _box,
    "margin": _box,
    "font-size": _one(lambda t: _is_length(t, auto=False) or _keyword(t, FONT_SIZES)),
    "font-weight": _one(_font_weight),
    "display": _one(lambda t: _keyword(t, DISPLAYS)),
    "text-align": _one(lambda t: _keyword(t, TEXT_ALIGNS)),
    "box-sizing": _one(lambda t: _keyword(t, BOX_SIZINGS)),
    "border": _border,
    "outline": _border,
}


# --- Parsing --------------------------------------------------------------------------------------


def _selectors(prelude: Sequence[ast.Node]) -> list[str]:
    """The rule's selectors, each one of :data:`ALLOWED` (in its canonical spelling)."""
    groups: list[list[ast.Node]] = [[]]
    for token in prelude:
        if token.type == "comment":
            continue
        if token.type == "literal" and token.value == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    selectors = []
    for group in groups:
        while group and group[0].type == "whitespace":
            group.pop(0)
        while group and group[-1].type == "whitespace":
            group.pop()
        selector = None
        if len(group) in (2, 4) and group[0].type == "literal" and group[0].value == "." and group[1].type == "ident":
            selector = f".{group[1].value}"
            if len(group) == 4:
                if group[2].type == "literal" and group[2].value == ":" and group[3].type == "ident":
                    selector += f":{group[3].lower_value}"
                else:
                    selector = None
        if selector is None or selector not in ALLOWED:
            shown = tinycss2.serialize(group).strip()[:80]
            raise _refuse(f"selector {shown!r} is not one of the customizable classes ({', '.join(sorted(ALLOWED))}).")
        selectors.append(selector)
    return selectors


def _declaration(node: ast.Declaration, selectors: list[str]) -> str:
    name = node.lower_name
    for selector in selectors:
        if name not in ALLOWED[selector]:
            raise _refuse(
                f"property {name!r} cannot be customized for {selector} "
                f"(allowed: {', '.join(sorted(ALLOWED[selector]))})."
            )
    values = [t for t in node.value if t.type not in ("whitespace", "comment")]
    if not (len(values) == 1 and _keyword(values[0], GLOBAL_KEYWORDS)) and not KINDS[name](values):
        shown = tinycss2.serialize(node.value).strip()[:80]
        raise _refuse(f"{shown!r} is not a valid value for {name} in {', '.join(selectors)}.")
    text = " ".join(tinycss2.serialize([v]) for v in values)
    return f"{name}: {text}{' !important' if node.important else ''};"


def sanitize_css(css: str, *, prefix: str = "") -> str:
    """The normalized form of classic hosted UI CSS, or InvalidParameter saying what is refused.

    ``prefix`` is put before every selector of the output (the pages use ``":root "`` so
    that the pool's rules win over the stylesheet's compound selectors); the stored and
    returned CSS has none. Empty (or only comments and white space) gives ``""``.
    """
    if "\\" in css:
        raise _refuse("backslash escapes are not allowed.")
    if _STYLE_CLOSE.search(css) or "<!--" in css:
        raise _refuse("HTML markup is not allowed.")
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    if len(rules) > MAX_RULES:
        raise _refuse(f"at most {MAX_RULES} rules.")
    out: list[str] = []
    for rule in rules:
        if rule.type == "error":
            raise _refuse(f"{rule.message} at line {rule.source_line}.")
        if rule.type == "at-rule":
            raise _refuse(f"@{rule.lower_at_keyword} rules are not allowed.")
        if rule.type != "qualified-rule":  # pragma: no cover - tinycss2 yields no other top-level node
            raise _refuse("unexpected content.")
        selectors = _selectors(rule.prelude)
        lines = []
        for node in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if node.type == "declaration":
                lines.append(_declaration(node, selectors))
            elif node.type == "error":
                raise _refuse(f"{node.message} at line {node.source_line}.")
            else:
                raise _refuse("nested rules and at-rules are not allowed inside a rule.")
        head = ", ".join(f"{prefix}{s}" for s in selectors)
        body = "".join(f"  {line}\n" for line in lines)
        out.append(f"{head} {{\n{body}}}\n")
    return "\n".join(out)
