"""A signed request's path with '.' or '..' segments is refused by both SigV4 front ends of
REST resources (identity.resource.path_refusal): the signature covers the path with dot
segments removed (identity/sigv4.py canonical_uri, as botocore signs) while Django routes
on the path as sent, so a captured signature for one resource would name another.
tests/resourceservers/test_resource_servers_rest.py drives the operators' REST API; this
drives the identity-credentials resource check."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.test import RequestFactory

from identity import resource
from userpools.errors import ErrorCode, ServiceError


def _signed(path_signed: str, path_sent: str):
    request = AWSRequest(method="GET", url=f"http://testserver{path_signed}")
    SigV4Auth(Credentials("AKIAEXAMPLEEXAMPLE12", "secret" * 6), "execute-api", "us-east-1").add_auth(request)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
    return RequestFactory().get(path_sent, **meta)


@pytest.mark.parametrize("sent", ["/example/users/a/../b/notes", "/example/./public", "/example/x/%2E%2E/public"])
def test_dot_segments_are_refused_before_the_signature_is_looked_at(sent):
    with pytest.raises(ServiceError) as refused:
        resource.request_authenticate(_signed("/example/public", sent))
    assert refused.value.code == ErrorCode.INVALID_SIGNATURE


@pytest.mark.django_db
def test_a_path_without_dot_segments_goes_on_to_the_signature_check():
    """The control: the same request without dot segments reaches the key lookup (an
    unknown key here), so the refusal above is the path's and not the signature's."""
    with pytest.raises(ServiceError) as refused:
        resource.request_authenticate(_signed("/example/public", "/example/public"))
    assert refused.value.code != ErrorCode.INVALID_SIGNATURE
    assert resource.path_refusal(_signed("/example/public", "/example/public")) is None
