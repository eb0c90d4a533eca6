"""The user-pool attribute schema: Cognito's standard attributes and custom ones.

Cognito answers DescribeUserPool with every standard attribute (OIDC's, plus ``sub``
and ``identities``) followed by the custom ones, ``custom:`` prefixed (``dev:custom:``
for developer-only attributes). CreateUserPool may override a standard attribute's
``Required``, ``Mutable`` and constraints, and adds custom attributes; AddCustomAttributes
adds more later. Nothing is ever removed or changed afterwards.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from userpools.errors import InvalidParameter

MAX_CUSTOM_ATTRIBUTES = 50
_STRING = {"MinLength": "0", "MaxLength": "2048"}


def _std(name: str, data_type: str = "String", *, mutable: bool = True, required: bool = False, **constraints) -> dict:
    attr: dict[str, Any] = {
        "Name": name,
        "AttributeDataType": data_type,
        "DeveloperOnlyAttribute": False,
        "Mutable": mutable,
        "Required": required,
    }
    if data_type == "String":
        attr["StringAttributeConstraints"] = constraints.get("string", dict(_STRING))
    elif data_type == "Number":
        attr["NumberAttributeConstraints"] = constraints.get("number", {"MinValue": "0"})
    return attr


STANDARD_ATTRIBUTES: tuple[dict, ...] = (
    _std("sub", mutable=False, required=True, string={"MinLength": "1", "MaxLength": "2048"}),
    _std("name"),
    _std("given_name"),
    _std("family_name"),
    _std("middle_name"),
    _std("nickname"),
    _std("preferred_username"),
    _std("profile"),
    _std("picture"),
    _std("website"),
    _std("email"),
    _std("email_verified", "Boolean"),
    _std("gender"),
    _std("birthdate", string={"MinLength": "10", "MaxLength": "10"}),
    _std("zoneinfo"),
    _std("locale"),
    _std("phone_number"),
    _std("phone_number_verified", "Boolean"),
    _std("address"),
    _std("updated_at", "Number"),
    _std("identities", string={}),
)
STANDARD_NAMES = frozenset(a["Name"] for a in STANDARD_ATTRIBUTES)

# The user-import CSV header (GetCSVHeader): standard columns, then custom attributes.
CSV_STANDARD_COLUMNS = (
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
)


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def _int_constraint(value: Any, what: str) -> int:
    # ASCII digits only: int() would also take "٣" or " 3_0 ", which no SDK would send back intact.
    text = str(value)
    if not _WHOLE_NUMBER.fullmatch(text):
        raise InvalidParameter(f"{what} must be a whole number, got {value!r}.")
    return int(text)


def _check_constraints(attr: Mapping[str, Any], name: str) -> None:
    strc = attr.get("StringAttributeConstraints")
    if strc:
        lo = _int_constraint(strc.get("MinLength", "0"), f"StringAttributeConstraints.MinLength of {name}")
        hi = _int_constraint(strc.get("MaxLength", "2048"), f"StringAttributeConstraints.MaxLength of {name}")
        if lo < 0 or hi > 2048 or lo > hi:
            raise InvalidParameter(
                f"Invalid string length constraints for attribute {name}: 0 <= MinLength <= MaxLength <= 2048."
            )
    numc = attr.get("NumberAttributeConstraints")
    if numc:
        bounds = [
            _int_constraint(numc[k], f"NumberAttributeConstraints.{k} of {name}")
            for k in ("MinValue", "MaxValue")
            if k in numc
        ]
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            raise InvalidParameter(f"Invalid number constraints for attribute {name}: MinValue > MaxValue.")


def custom_attribute(attr: Mapping[str, Any]) -> dict:
    """A custom attribute as stored and described: prefixed name, filled-in defaults."""
    raw = attr.get("Name")
    if not raw:
        raise InvalidParameter("Each custom attribute needs a Name.")
    if raw.startswith(("custom:", "dev:")):
        raise InvalidParameter(f"Custom attribute name {raw} must not carry a prefix; Cognito adds custom:.")
    if attr.get("Required"):
        raise InvalidParameter("Required custom attributes are not supported currently.")
    data_type = attr.get("AttributeDataType", "String")
    developer_only = bool(attr.get("DeveloperOnlyAttribute", False))
    out: dict[str, Any] = {
        "Name": f"dev:custom:{raw}" if developer_only else f"custom:{raw}",
        "AttributeDataType": data_type,
        "DeveloperOnlyAttribute": developer_only,
        "Mutable": bool(attr.get("Mutable", True)),
        "Required": False,
    }
    if data_type == "String":
        out["StringAttributeConstraints"] = dict(attr.get("StringAttributeConstraints") or _STRING)
    elif data_type == "Number":
        out["NumberAttributeConstraints"] = dict(attr.get("NumberAttributeConstraints") or {})
    elif attr.get("StringAttributeConstraints") or attr.get("NumberAttributeConstraints"):
        raise InvalidParameter(f"Attribute {raw} of type {data_type} takes no constraints.")
    _check_constraints(out, out["Name"])
    return out


def _custom_base(name: str) -> str:
    return name.split("custom:", 1)[1] if "custom:" in name else name


def build_schema(requested: Iterable[Mapping[str, Any]] | None) -> list[dict]:
    """The full schema for a new pool: standard attributes (with overrides) then custom ones."""
    schema = [copy.deepcopy(a) for a in STANDARD_ATTRIBUTES]
    by_name = {a["Name"]: a for a in schema}
    seen: set[str] = set()
    custom: list[dict] = []
    for attr in requested or ():
        name = attr.get("Name")
        if not name:
            raise InvalidParameter("Each schema attribute needs a Name.")
        if name in seen:
            raise InvalidParameter(f"Duplicate attribute name {name} in Schema.")
        seen.add(name)
        if name in by_name:
            std = by_name[name]
            if attr.get("AttributeDataType", std["AttributeDataType"]) != std["AttributeDataType"]:
                raise InvalidParameter(f"The data type of standard attribute {name} cannot be changed.")
            if name == "sub" and (attr.get("Mutable") or attr.get("Required") is False):
                raise InvalidParameter("The sub attribute is immutable and required.")
            if attr.get("DeveloperOnlyAttribute"):
                raise InvalidParameter(f"Standard attribute {name} cannot be developer-only.")
            for key in ("Mutable", "Required"):
                if key in attr:
                    std[key] = bool(attr[key])
            if attr.get("StringAttributeConstraints") and std["AttributeDataType"] == "String":
                std["StringAttributeConstraints"] = {
                    **std.get("StringAttributeConstraints", {}),
                    **attr["StringAttributeConstraints"],
                }
            _check_constraints(std, name)
        else:
            custom.append(custom_attribute(attr))
    if len(custom) > MAX_CUSTOM_ATTRIBUTES:
        raise InvalidParameter(f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes.")
    return schema + custom


def add_custom_attributes(schema: list[dict], new: Iterable[Mapping[str, Any]]) -> list[dict]:
    """AddCustomAttributes: the schema with ``new`` appended; existing names are an error."""
    existing = {_custom_base(a["Name"]) for a in schema if "custom:" in a["Name"]}
    result = list(schema)
    for attr in new:
        built = custom_attribute(attr)
        base = _custom_base(built["Name"])
        if base in existing:
            raise InvalidParameter(f"Existing attribute already has name {built['Name']}.")
        existing.add(base)
        result.append(built)
    if sum(1 for a in result if "custom:" in a["Name"]) > MAX_CUSTOM_ATTRIBUTES:
        raise InvalidParameter(f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes.")
    return result


def attribute_names(schema: Iterable[Mapping[str, Any]]) -> set[str]:
    return {a["Name"] for a in schema}


def csv_header(schema: Iterable[Mapping[str, Any]]) -> list[str]:
    return list(CSV_STANDARD_COLUMNS) + [a["Name"] for a in schema if "custom:" in a["Name"]]
