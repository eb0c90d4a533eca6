"""A botocore service model, loaded once (with Cognate's overrides) and compiled into a tree
of shapes that :mod:`userpools.awsmodel.validation` walks per request."""

from __future__ import annotations

import functools

from userpools.awsmodel.patterns import _compile_pattern

_SCALAR_KINDS = frozenset({"string", "integer", "long", "double", "float", "boolean", "timestamp", "blob"})


class _Node:
    """A precompiled shape: everything the per-request walk needs."""

    __slots__ = (
        "name",
        "kind",
        "sensitive",
        "document",
        "min",
        "max",
        "enum",
        "enum_set",
        "pattern",
        "regex",
        "members",
        "required",
        "member",
        "key",
        "value",
        "value_is_scalar",
        "constraint_texts",
    )

    def __init__(self, name: str, shape: dict) -> None:
        self.name = name
        self.kind: str = shape["type"]
        self.sensitive: bool = bool(shape.get("sensitive"))
        self.document: bool = bool(shape.get("document"))
        self.min = shape.get("min")
        self.max = shape.get("max")
        enum = shape.get("enum")
        self.enum: tuple[str, ...] | None = tuple(enum) if enum else None
        self.enum_set = frozenset(enum) if enum else None
        self.pattern: str | None = shape.get("pattern")
        self.regex = _compile_pattern(self.pattern) if self.pattern else None
        # (wire name, path segment, node, member-level sensitive) - filled later
        self.members: tuple[tuple[str, str, _Node, bool], ...] = ()
        self.required: frozenset[str] = frozenset(shape.get("required", ()))
        self.member: _Node | None = None
        self.key: _Node | None = None
        self.value: _Node | None = None
        self.value_is_scalar = False
        self.constraint_texts = self._constraint_texts()

    def _constraint_texts(self) -> tuple[str, ...]:
        """All constraints of this shape, as listed in AWS's aggregated
        'Map keys/value must satisfy constraint: [...]' messages."""
        out: list[str] = []
        word = "value" if self.kind in ("integer", "long", "double", "float") else "length"
        if self.max is not None:
            out.append(f"Member must have {word} less than or equal to {self.max}")
        if self.min is not None:
            out.append(f"Member must have {word} greater than or equal to {self.min}")
        if self.pattern is not None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum is not None:
            out.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return tuple(out)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


# Where the published model is narrower than the service it describes. Cognito takes
# custom domains (fully qualified, with dots) in the same ``Domain`` member whose model
# pattern admits only a single prefix label.
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
SHAPE_OVERRIDES: dict[str, dict[str, dict]] = {
    "cognito-idp": {"DomainType": {"max": 253, "pattern": rf"^{_LABEL}(?:\.{_LABEL})*$"}},
}


class ServiceSpec:
    """One botocore service model, loaded once and precompiled.

    Use :meth:`load` (cached per service name).  Operation methods raise
    ``KeyError`` for an unknown operation name.
    """

    def __init__(self, name: str, model: dict) -> None:
        self.name = name
        self.model = model
        self.metadata: dict = model["metadata"]
        self.target_prefix: str = self.metadata["targetPrefix"]
        self._operations: dict[str, dict] = model["operations"]
        self._shapes: dict[str, dict] = model["shapes"]
        self._operation_names = frozenset(self._operations)
        self._nodes: dict[str, _Node] = {}
        # Precompile every input tree now (patterns included): per-request
        # work is then only the walk over the caller's data.
        self._input_nodes: dict[str, _Node | None] = {}
        for op in self._operations:
            shape_name = self.input_shape(op)
            self._input_nodes[op] = self._node(shape_name) if shape_name else None

    @classmethod
    @functools.cache
    def load(cls, name: str) -> ServiceSpec:
        from botocore.loaders import Loader

        model = Loader().load_service_model(name, "service-2")
        for shape, changes in SHAPE_OVERRIDES.get(name, {}).items():
            model["shapes"][shape] = {**model["shapes"][shape], **changes}
        return cls(name, model)

    def __repr__(self) -> str:
        return f"<ServiceSpec {self.name} ({len(self._operations)} operations)>"

    # -- model queries ------------------------------------------------------

    def operation_names(self) -> frozenset[str]:
        return self._operation_names

    def operation(self, operation: str) -> dict:
        return self._operations[operation]

    def is_unsigned(self, operation: str) -> bool:
        op = self._operations[operation]
        return op.get("auth") == ["smithy.api#noAuth"] or op.get("authtype") == "none"

    def input_shape(self, operation: str) -> str | None:
        ref = self._operations[operation].get("input")
        return ref["shape"] if ref else None

    def output_shape(self, operation: str) -> str | None:
        ref = self._operations[operation].get("output")
        return ref["shape"] if ref else None

    def error_names(self, operation: str) -> frozenset[str]:
        return frozenset(e["shape"] for e in self._operations[operation].get("errors", ()))

    def shape(self, name: str) -> dict:
        """The raw botocore shape dict (shared; do not mutate)."""
        return self._shapes[name]

    # -- compilation ----------------------------------------------------------

    def _node(self, name: str) -> _Node:
        node = self._nodes.get(name)
        if node is not None:
            return node
        shape = self._shapes[name]
        node = _Node(name, shape)
        self._nodes[name] = node  # register first: tolerates recursive shapes
        kind = node.kind
        if kind in ("structure", "union") and not node.document:
            node.members = tuple(
                (
                    mname,
                    _lower_first(mname),
                    self._node(ref["shape"]),
                    bool(ref.get("sensitive")),
                )
                for mname, ref in shape.get("members", {}).items()
            )
        elif kind == "list":
            node.member = self._node(shape["member"]["shape"])
        elif kind == "map":
            node.key = self._node(shape["key"]["shape"])
            node.value = self._node(shape["value"]["shape"])
            node.value_is_scalar = node.value.kind in _SCALAR_KINDS
        return node

    def input_node(self, operation: str) -> _Node | None:
        return self._input_nodes[operation]
