"""Hypothesis strategies for request bodies drawn from a botocore input shape, shared by the
wire fuzz (tests/wire/test_fuzz.py) and the unsigned-operation fuzz
(tests/security/test_fuzz_unsigned.py).

``known`` maps member names to real values (pool ids, client ids, tokens ...) that the
fuzz's fixtures fill in at run time, so that drawn bodies get past "not found" into the
services; a non-string member found there (``Logins``, ``AuthParameters``) is drawn from
its real values only.
"""

from __future__ import annotations

import base64
import string

from hypothesis import strategies as st

from userpools.awsmodel import ServiceSpec

json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def _string(shape: dict, known: list | None) -> st.SearchStrategy:
    if "enum" in shape:
        return st.sampled_from(shape["enum"]) | st.text(max_size=8)
    lo, hi = shape.get("min", 0), min(shape.get("max", 40), 40)
    base = st.text(alphabet=string.ascii_letters + string.digits + "_-.:/ {}#@+=,", min_size=lo, max_size=max(lo, hi))
    return (st.sampled_from(known) | base) if known else (base | st.text(max_size=hi + 5))


def shape_strategy(
    spec: ServiceSpec, shape_name: str, known: dict[str, list], member: str = "", depth: int = 0, max_depth: int = 5
) -> st.SearchStrategy:
    """Bodies (or member values) of ``shape_name``: mostly valid, sometimes not."""
    shape = spec.shape(shape_name)
    kind = shape["type"]
    if member in known and known[member] and kind != "string":
        return st.sampled_from(known[member])
    if depth > max_depth:
        return st.none()

    def inner(name: str, of: str) -> st.SearchStrategy:
        return shape_strategy(spec, name, known, of, depth + 1, max_depth)

    if kind == "structure":
        if shape.get("document"):
            return json_values
        members = shape.get("members", {})
        required = {m: inner(members[m]["shape"], m) for m in shape.get("required", [])}
        optional = {m: inner(ref["shape"], m) for m, ref in members.items() if m not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(inner(shape["member"]["shape"], member), max_size=3)
    if kind == "map":
        return st.dictionaries(inner(shape["key"]["shape"], member), inner(shape["value"]["shape"], member), max_size=3)
    if kind == "string":
        return _string(shape, known.get(member))
    if kind in {"integer", "long"}:
        return st.integers(shape.get("min", -5) - 2, min(shape.get("max", 1000), 10**9) + 2)
    if kind == "boolean":
        return st.booleans()
    if kind in {"double", "float"}:
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "timestamp":
        return st.integers(0, 2**32)
    if kind == "blob":
        return st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=8)
    return json_values
