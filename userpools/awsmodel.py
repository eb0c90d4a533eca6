from config.wire.validation import RequestValidationError, ServiceSpec, validate_input  # noqa: F401  (temporary)
