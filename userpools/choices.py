"""Enum choices from the Cognito user-pool service model (botocore's cognito-idp).

The console's forms and the REST API's serializers offer an enum's values as the model
lists them (``ExplicitAuthFlowsType``, ``AliasAttributeType`` ...) rather than restating
them; neither imports the other for it.
"""

from __future__ import annotations

from userpools.spec import idp_spec


def enum_values(shape_name: str) -> tuple[str, ...]:
    """The values of an enum (string) shape of the model, in the model's order."""
    return tuple(idp_spec().shape(shape_name)["enum"])


def enum_choices(shape_name: str) -> list[tuple[str, str]]:
    """An enum's values as a form field's choices (each value is its own label)."""
    return [(value, value) for value in enum_values(shape_name)]
