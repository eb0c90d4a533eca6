"""IAM-style identity policy validation and evaluation.

The package's modules: :mod:`.base` (versions, decisions, the error), :mod:`.patterns`
(wildcards, policy variables, the request context), :mod:`.conditions` (condition
operators), :mod:`.validation` (parsing and normalising documents), :mod:`.evaluation`
(identity policies) and :mod:`.trust` (a role's trust policy). Names with a leading
underscore are private to the package.

Used for operator access keys today and for identity-pool (role) temporary
credentials later. The semantics follow the AWS IAM User Guide:

* "Policy evaluation logic" (reference_policies_evaluation-logic): an explicit
  ``Deny`` in any applicable statement wins; otherwise any applicable
  ``Allow`` allows; otherwise the request is implicitly denied.
* "IAM JSON policy elements" reference: ``Action``/``NotAction`` (case-
  insensitive, ``*``/``?`` wildcards), ``Resource``/``NotResource``
  (case-sensitive, ``*``/``?`` wildcards), ``Condition``.
* "IAM JSON policy elements: Condition operators": all keys within one
  operator and all operators within a block must be true (AND); several values
  for one key are ORed; condition *keys* are case-insensitive. If a key is
  absent from the request context, positive operators are false and negated
  operators (``StringNotEquals``, ``ArnNotLike``, ...) are true -- except
  ``...IfExists`` (true when absent) and ``Null`` (tests absence itself).
  ``ForAnyValue:`` is false and ``ForAllValues:`` is true for an absent key.
* "IAM policy elements: Variables and tags": ``${key}`` / ``${key, 'default'}``
  in ``Resource`` and in condition values (String, ARN and Bool operators),
  escapes ``${*}``, ``${?}``, ``${$}``; only for ``"Version": "2012-10-17"``
  (in ``2008-10-17`` policies -- also the default when Version is absent --
  ``${...}`` is literal text). A variable whose key is absent or multi-valued
  (and has no default) cannot be resolved: a ``Resource`` pattern containing it
  matches nothing, and a condition value containing it satisfies neither the
  positive nor the negated operator.

Condition operators supported: String{Not}Equals{IgnoreCase}, String{Not}Like,
Numeric{Not}Equals / LessThan{Equals} / GreaterThan{Equals}, the same Date*
family (ISO 8601 or epoch seconds), Bool, BinaryEquals, IpAddress /
NotIpAddress, Arn{Not}Equals / Arn{Not}Like, Null -- each with an optional
``ForAnyValue:``/``ForAllValues:`` prefix and ``IfExists`` suffix (not Null).
Anything else is rejected by :func:`validate_policy` with a PolicyError.

Deliberate simplifications, documented so nobody is surprised:

* Identity-based policies only: ``Principal``/``NotPrincipal`` are rejected.
* ``Resource`` wildcards match across ``:`` and ``/`` (whole-string glob), as
  IAM effectively does for trailing ``*``; ``ArnEquals``/``ArnLike`` compare
  the six ``:``-separated ARN components separately, as IAM documents.
* A context value given as an empty list is treated as an absent key.
* Without a ``ForAnyValue:``/``ForAllValues:`` prefix a multi-valued context key
  matches a positive operator if *any* of its values does (and a negated
  operator if *none* does).
"""

from identity.policy.base import PASS_ROLE_ACTION, VERSION_2008, VERSION_2012, Decision, PolicyError
from identity.policy.evaluation import evaluate
from identity.policy.trust import evaluate_trust, validate_trust_policy
from identity.policy.validation import validate_policy

__all__ = [
    "PASS_ROLE_ACTION",
    "VERSION_2008",
    "VERSION_2012",
    "Decision",
    "PolicyError",
    "evaluate",
    "evaluate_trust",
    "validate_policy",
    "validate_trust_policy",
]
