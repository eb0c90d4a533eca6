"""Request-body validation against botocore's service models.

Pure Python (no Django).  Given a decoded AWS JSON 1.1 request body, check it
against the operation's input shape the way AWS's front end does, and raise
:class:`RequestValidationError` on failure.

Two failure families, mirroring AWS:

* **Wrong JSON types** (a string where an object is expected, ``true`` for an
  integer, a fractional number for an integer, invalid base64 for a blob, a
  ``null`` inside a list/map, a non-object body, ...).  AWS fails these while
  deserializing, before any constraint is looked at, so they raise with
  ``code == "SerializationException"`` and *only* type errors are reported.
  Message (never echoes the value)::

      Invalid value at 'policies.passwordPolicy': expected object, got string
      Request body must be a JSON object, got array

* **Constraint violations** (``required``, ``min``/``max``, ``pattern``,
  ``enum``).  ``code == "InvalidParameterException"`` (the one validation
  error both Cognito models declare).  Message, as AWS formats it::

      1 validation error detected: Value 'x!' at 'poolName' failed to satisfy
      constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+

      2 validation errors detected: <e1>; <e2>

  Values of sensitive shapes (and anything nested in one) are never echoed:
  ``Value at 'password' failed to satisfy constraint: ...``.

Member paths: member names with their first letter lower-cased, joined by
``.``; list items add ``.<1-based index>.member``; values of a map whose
value shape is a container add ``.<key>`` (just the map path for sensitive
maps).  e.g. ``schema.1.member.name``, ``roleMappings.graph.facebook.com.type``.

Unknown structure members are ignored (AWS JSON services ignore them), and a
JSON ``null`` for a structure member means "absent".

The package's modules: :mod:`.model` (a service model, loaded once and compiled into a
tree of shapes), :mod:`.patterns` (the model's Java patterns as Python regular
expressions) and :mod:`.validation` (the walk over a request and its errors). Names with a
leading underscore are private to the package.
"""

from userpools.awsmodel.model import ServiceSpec
from userpools.awsmodel.validation import (
    INVALID_PARAMETER,
    MAX_DEPTH,
    MAX_REPORTED_ERRORS,
    SERIALIZATION,
    RequestValidationError,
    validate_input,
)

__all__ = [
    "ServiceSpec",
    "RequestValidationError",
    "validate_input",
    "INVALID_PARAMETER",
    "SERIALIZATION",
    "MAX_REPORTED_ERRORS",
    "MAX_DEPTH",
]
