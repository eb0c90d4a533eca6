"""The REST API's JSON parser: the body read as the wire API reads it (:mod:`userpools.jsonbody`).

DRF's JSONParser lets RecursionError (deep nesting) out as a 500, accepts NaN only when
told not to, keeps the last of two members with one name, and leaves nesting short of
the stack's limit to the next recursive walk. This one raises SerializationException
(a ServiceError, which :func:`userpools.api.errors.exception_handler` renders as a 400)
for whatever :func:`userpools.jsonbody.loads` refuses. Subclassing JSONParser keeps
DRF reading the body through ``request.body``, so DATA_UPLOAD_MAX_MEMORY_SIZE applies.
"""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import JSONParser

from userpools import jsonbody


class JSONBodyParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        return jsonbody.loads(stream.read())
