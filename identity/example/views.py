"""The example API. What a caller may do is the role's policy, nothing in the views:

* ``GET /example/public``: a greeting (the guest role in README allows it);
* ``GET|PUT|DELETE /example/users/{identity_id}/notes``: an identity's notes, kept in
  memory (README's authenticated role allows ``*/example/users/${cognito-identity.amazonaws.com:sub}/notes``
  and denies ``DELETE`` explicitly);
* ``GET /example/plain/whoami``: a plain Django view guarded by the middleware's decorator.
"""

from __future__ import annotations

import threading

from django.http import HttpRequest, JsonResponse
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.drf import IAMPolicyPermission, IdentityCredentialsAuthentication
from identity.middleware import sigv4_protected

_notes: dict[str, list[str]] = {}
_lock = threading.Lock()


class _Signed(APIView):
    authentication_classes = [IdentityCredentialsAuthentication]
    permission_classes = [IAMPolicyPermission]


class PublicView(_Signed):
    def get(self, request: Request) -> Response:
        return Response({"message": "Hello from the example API.", "identityId": request.auth.identity_id})


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=1000)


class NotesView(_Signed):
    def get(self, request: Request, identity_id: str) -> Response:
        with _lock:
            return Response({"identityId": identity_id, "notes": list(_notes.get(identity_id, []))})

    def put(self, request: Request, identity_id: str) -> Response:
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        with _lock:
            _notes.setdefault(identity_id, []).append(data.validated_data["note"])
            return Response({"identityId": identity_id, "notes": list(_notes[identity_id])})

    def delete(self, request: Request, identity_id: str) -> Response:
        with _lock:
            _notes.pop(identity_id, None)
        return Response(status=204)


@sigv4_protected
def whoami(request: HttpRequest) -> JsonResponse:
    caller = request.aws_caller
    tags = {k.split("/", 1)[1]: v for k, v in caller.context.items() if k.startswith("aws:PrincipalTag/")}
    return JsonResponse({"identityId": caller.identity_id, "roleArn": caller.role_arn, "principalTags": tags})
