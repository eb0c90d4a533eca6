"""The classic hosted UI CSS sanitizer (hostedui.services.css): Cognito's classes and
properties only, rebuilt from tokens; nothing that could leave the <style> element or load
anything survives."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hostedui.services.css import ALLOWED, sanitize_css
from userpools.errors import ErrorCode, ServiceError

# Cognito's own template (the AWS CLI's get-ui-customization example output).
COGNITO_TEMPLATE = """
.logo-customizable {
  max-width: 80%;
  max-height: 30%;
}
.banner-customizable {
  padding: 25px 0px 25px 0px;
  background-color: lightgray;
}
.label-customizable {
  font-weight: 400;
}
.textDescription-customizable {
  padding-top: 100px;
  padding-bottom: 10px;
  display: block;
  font-size: 12px;
}
.idpDescription-customizable {
  padding-top: 10px;
  padding-bottom: 10px;
  display: block;
  font-size: 16px;
}
.legalText-customizable {
  color: #747474;
  font-size: 11px;
}
.submitButton-customizable {
  font-size: 14px;
  font-weight: bold;
  margin: 20px 0px 10px 0px;
  height: 50px;
  width: 100%;
  color: #fff;
  background-color: #337ab7;
}
.submitButton-customizable:hover {
  color: #fff;
  background-color: #286090;
}
.errorMessage-customizable {
  padding: 5px;
  font-size: 12px;
  width: 100%;
  background: #F5F5F5;
  border: 2px solid #D64958;
  color: #D64958;
}
.inputField-customizable {
  width: 100%;
  height: 34px;
  color: #555;
  background-color: #fff;
  border: 1px solid #ccc;
}
.inputField-customizable:focus {
  border-color: #66afe9;
  outline: 0;
}
.idpButton-customizable {
  height: 40px;
  width: 100%;
  text-align: center;
  margin-bottom: 15px;
  color: #fff;
  background-color: #5bc0de;
  border-color: #46b8da;
}
.idpButton-customizable:hover {
  color: #fff;
  background-color: #31b0d5;
}
.socialButton-customizable {
  border-radius: 2px;
  height: 60px;
  margin-bottom: 15px;
  padding: 1px;
  text-align: left;
  width: 100%;
}
.redirect-customizable {
  text-align: center;
}
.passwordCheck-notValid-customizable {
  color: #DF3312;
}
.passwordCheck-valid-customizable {
  color: #19BF00;
}
.background-customizable {
  background-color: #fff;
}
"""


def refused(css: str) -> None:
    with pytest.raises(ServiceError) as exc:
        sanitize_css(css)
    assert exc.value.code == ErrorCode.INVALID_PARAMETER


def test_cognito_template_passes_and_normalizes_to_a_fixed_point():
    out = sanitize_css(COGNITO_TEMPLATE)
    assert sanitize_css(out) == out
    for selector in ALLOWED:
        assert f"{selector} {{" in out
    assert ".submitButton-customizable:hover {\n  color: #fff;\n  background-color: #286090;\n}\n" in out


def test_normalized_form():
    css = "/* brand */ .label-customizable{COLOR : RED ;font-weight:700!important}\n\n.banner-customizable,.logo-customizable{background-color:rgb(1, 2, 3)}"
    assert sanitize_css(css) == (
        ".label-customizable {\n  color: RED;\n  font-weight: 700 !important;\n}\n\n"
        ".banner-customizable, .logo-customizable {\n  background-color: rgb(1, 2, 3);\n}\n"
    )


def test_prefix_is_added_for_the_pages():
    assert (
        sanitize_css(".label-customizable{color:red}", prefix=":root ")
        == ":root .label-customizable {\n  color: red;\n}\n"
    )


def test_empty_and_comment_only():
    assert sanitize_css("") == ""
    assert sanitize_css("  /* nothing */  ") == ""


@pytest.mark.parametrize(
    "css",
    [
        # at-rules, anywhere
        "@import url(https://evil.example/x.css);",
        "@media screen { .label-customizable { color: red } }",
        "@supports (color: red) {}",
        "@page { margin: 0 }",
        "@font-face { font-family: x; src: url(x) }",
        ".label-customizable { @media screen { color: red } }",
        # other selectors
        "body { color: red }",
        "* { color: red }",
        "#id { color: red }",
        ".other { color: red }",
        ".label-customizable .x { color: red }",
        ".label-customizable > .x { color: red }",
        ".label-customizable, body { color: red }",
        ".label-customizable:hover { color: red }",
        ".submitButton-customizable:focus { color: red }",
        ".submitButton-customizable::after { content: 'x' }",
        "a.label-customizable { color: red }",
        ".label-customizable[x] { color: red }",
        ".Label-customizable { color: red }",
        # properties not allowed for the class
        ".label-customizable { background-image: none }",
        ".label-customizable { position: fixed }",
        ".label-customizable { content: 'x' }",
        ".background-customizable { color: red }",
        ".label-customizable { behavior: url(x.htc) }",
        ".label-customizable { -moz-binding: url(x) }",
        # values that load or run something, or hide something
        ".label-customizable { color: url(https://evil.example/) }",
        ".label-customizable { color: expression(alert(1)) }",
        ".label-customizable { color: var(--x) }",
        ".label-customizable { color: rgb(1, 2, url(x)) }",
        ".label-customizable { color: attr(x) }",
        ".label-customizable { color: 'red' }",
        ".label-customizable { color: red; } </style><script>alert(1)</script>",
        "</STYLE ><script>alert(1)</script>",
        "<!-- .label-customizable { color: red } -->",
        ".label-customizable { color: r\\65 d }",
        ".label-cust\\6fmizable { color: red }",
        "\\40import 'x';",
        ".label-customizable { co\\lor: red }",
        # values of the wrong kind
        ".label-customizable { font-weight: 450 }",
        ".label-customizable { color: 12px }",
        ".inputField-customizable { width: 10parsecs }",
        ".textDescription-customizable { display: grid }",
        ".inputField-customizable { border: 1px solid red blue green }",
        ".label-customizable { color: red blue }",
        ".label-customizable { color: }",
        ".errorMessage-customizable { background: url(x) }",
        ".label-customizable { .nested { color: red } }",
        # not CSS
        "}",
        ".label-customizable",
        "color: red",
    ],
)
def test_refused(css):
    refused(css)


def test_too_many_rules():
    refused(".label-customizable{color:red}" * 201)


@pytest.mark.parametrize(
    "css",
    [
        ".label-customizable { color: transparent }",
        ".label-customizable { color: #ABCDEF80 }",
        ".label-customizable { color: hsla(120, 50%, 50%, 0.5) }",
        ".label-customizable { color: inherit }",
        ".submitButton-customizable { margin: 0 auto }",
        ".submitButton-customizable { margin: -1px 2em 3rem 4% }",
        ".inputField-customizable { border: none }",
        ".inputField-customizable:FOCUS { outline: 2px dashed #000 }",
        ".submitButton-customizable { font-weight: italic }",
        ".textDescription-customizable { font-size: larger }",
    ],
)
def test_accepted(css):
    assert sanitize_css(css)


# --- Property: whatever is accepted is harmless ----------------------------------------------------

FORBIDDEN = ("url(", "@", "</", "expression", "\\", "<", "javascript")

_fragments = st.sampled_from(
    [
        *ALLOWED,
        "body",
        ".x",
        "*",
        "@import",
        "@media",
        "url(",
        ")",
        "expression(",
        "javascript:",
        "\\",
        "\\65",
        "</style>",
        "<",
        ">",
        "{",
        "}",
        ";",
        ":",
        ",",
        "'",
        '"',
        "/*",
        "*/",
        "!important",
        "color",
        "background",
        "background-color",
        "border",
        "width",
        "font-weight",
        "display",
        "red",
        "#fff",
        "#12345678",
        "rgb(",
        "1px",
        "100%",
        "400",
        "solid",
        "block",
        "var(--x)",
        "attr(x)",
        "\n",
        " ",
        "&#x3c;",
        "\x00",
        "\u00a0",
        "-",
        "--x",
    ]
)
css_like = st.lists(_fragments, max_size=40).map("".join) | st.text(max_size=200)


@settings(max_examples=400, deadline=None)
@given(css=css_like)
@example(css=".label-customizable{color:red}")
@example(css=".label-customizable{color:url(x)}")
def test_sanitized_output_is_harmless(css):
    try:
        out = sanitize_css(css)
    except ServiceError as exc:
        assert exc.code == ErrorCode.INVALID_PARAMETER
        return
    lowered = out.lower()
    for bad in FORBIDDEN:
        assert bad not in lowered, (css, out)
    assert sanitize_css(out) == out


_values = st.sampled_from(
    [
        "red",
        "#fff",
        "#0b57d0ff",
        "rgb(1,2,3)",
        "1px",
        "0",
        "50%",
        "auto",
        "bold",
        "700",
        "block",
        "center",
        "border-box",
        "1px solid #ccc",
        "inherit",
        "2px 4px",
    ]
)


@st.composite
def _rules(draw):
    selector = draw(st.sampled_from(sorted(ALLOWED)))
    props = draw(st.lists(st.sampled_from(sorted(ALLOWED[selector])), min_size=1, max_size=4))
    body = ";".join(f"{p}:{draw(_values)}" for p in props)
    return f"{selector}{{{body}}}"


@settings(max_examples=200, deadline=None)
@given(css=st.lists(_rules(), max_size=5).map("\n".join))
def test_well_formed_css_is_either_refused_or_kept_harmless(css):
    try:
        out = sanitize_css(css)
    except ServiceError as exc:
        assert exc.code == ErrorCode.INVALID_PARAMETER
        return
    assert not any(bad in out.lower() for bad in FORBIDDEN)
    assert sanitize_css(out) == out
