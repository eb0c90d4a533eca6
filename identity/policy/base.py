"""The policy language's fixed names: versions, the decision, the error, iam:PassRole."""

from __future__ import annotations

import enum

# Handing a role to something that will issue its credentials later (an identity pool, a
# user-pool group) needs this action on the role's ARN, as in AWS IAM.
PASS_ROLE_ACTION = "iam:PassRole"

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_VERSIONS = (VERSION_2012, VERSION_2008)


class Decision(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyError(ValueError):
    """A policy document is malformed."""
