"""Model patterns run on the standard library's ``re`` where it can express them
(``userpools.awsmodel.patterns._compile_pattern``): every such pattern must accept exactly what the
``regex`` module (V0, the engine for the rest) accepts."""

from __future__ import annotations

import random
import re

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from userpools.awsmodel import ServiceSpec
from userpools.awsmodel.patterns import _LINEAR_EQUIVALENTS, _compile_pattern, _java_to_python


def _patterns() -> list[str]:
    found = set()
    for service in ("cognito-idp", "cognito-identity"):
        found |= {s["pattern"] for s in ServiceSpec.load(service).model["shapes"].values() if "pattern" in s}
    return sorted(found)


def _translated(java: str) -> str:
    return _LINEAR_EQUIVALENTS.get(java) or _java_to_python(java)


STDLIB = [p for p in _patterns() if isinstance(_compile_pattern(p), re.Pattern)]
ALPHABET = [chr(c) for c in range(0x80)] + list("éß日😀\u00a0\u2028\u2029\x85٣\U0010ffff")


def test_most_patterns_take_the_stdlib_engine_and_the_rest_regex():
    assert len(STDLIB) >= 40
    for java in _patterns():
        if java not in STDLIB:
            assert "\\p{" in _translated(java), java  # only what re cannot express goes to regex


@pytest.mark.parametrize("java", STDLIB)
def test_same_answers_on_random_and_mutated_text(java):
    fast, slow = _compile_pattern(java), regex.compile(_translated(java), regex.V0)
    rng = random.Random(java)
    for _ in range(2000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 16)))
        assert (fast.fullmatch(text) is None) == (slow.fullmatch(text) is None), (java, text)


# Hypothesis builds text for a class spanning all of Unicode (Java's \S) too slowly; the
# random test above covers those.
NARROW = [p for p in STDLIB if r"\U0010FFFF" not in _translated(p)]


@pytest.mark.parametrize("java", NARROW)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_same_answers_near_matching_text(java, data):
    """Text the pattern matches, and that text with one character changed, inserted or dropped."""
    fast, slow = _compile_pattern(java), regex.compile(_translated(java), regex.V0)
    text = data.draw(st.from_regex(fast, fullmatch=True).filter(lambda t: len(t) < 200))
    assert slow.fullmatch(text) is not None
    if text:
        at = data.draw(st.integers(0, len(text) - 1))
        char = data.draw(st.sampled_from(ALPHABET))
        for variant in (text[:at] + char + text[at + 1 :], text[:at] + char + text[at:], text[:at] + text[at + 1 :]):
            assert (fast.fullmatch(variant) is None) == (slow.fullmatch(variant) is None), (java, variant)
