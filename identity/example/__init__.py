"""A small API that accepts requests signed with identity-pool credentials (README,
"Temporary credentials"): mounted at ``/example/`` when ``COGNATE_EXAMPLE_API`` is true
(and always under the test suite)."""
