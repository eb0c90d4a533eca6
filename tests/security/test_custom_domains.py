"""Custom domains route only once verified (finding 8 of issue G0).

The attack: anyone allowed CreateUserPoolDomain names a domain they do not control (another
tenant's login domain) with CustomDomainConfig; this server then answers requests for that
host with the attacker's pool's sign-in pages, and the pool's discovery document points
clients at it. Now a custom domain is CREATING until its TXT record
``_cognate-challenge.{domain}`` holds its token, looked up by ``manage.py verify_domains``
(or the admin console); the DNS server here is a small one on 127.0.0.1 (dnspython), never
the internet.
"""

from __future__ import annotations

import socket
import threading
from io import StringIO
from urllib.parse import urlencode

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hostedui.services.hosts import hosts_cache_clear
from tests.hostedui.conftest import CALLBACK, PKCE_UNUSED, oauth_client_request
from userpools.context import SYSTEM
from userpools.errors import InvalidParameter
from userpools.models import AuditEvent, UserPoolDomain
from userpools.services import domains
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"
VICTIM = "login.victim.example"


class TxtServer:
    """A DNS server on 127.0.0.1 answering TXT questions from ``records`` (name -> values)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                wire, peer = self.sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            values = self.records.get(name)
            if values is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                texts = [f'"{value}"' for value in values]
                response.answer.append(
                    dns.rrset.from_text(question.name, 60, dns.rdataclass.IN, dns.rdatatype.TXT, *texts)
                )
            self.sock.sendto(response.to_wire(), peer)

    def publish(self, domain: UserPoolDomain, value: str | None = None) -> None:
        name, token = domains.verification_record(domain)
        self.records.setdefault(name.lower(), []).append(token if value is None else value)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def dns_server(settings):
    server = TxtServer()
    settings.COGNATE = {
        **settings.COGNATE,
        "DOMAIN_VERIFICATION_NAMESERVERS": [f"127.0.0.1:{server.port}"],
        "DOMAIN_VERIFICATION_TIMEOUT_SECONDS": 2,
    }
    yield server
    server.stop()


@pytest.fixture
def attacker(settings):
    """A pool with an OAuth client; the custom domain it claims is an allowed host (the
    operator's ALLOWED_HOSTS does not decide this)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, VICTIM, "other.victim.example"]
    hosts_cache_clear()
    pool = user_pool_create(SYSTEM, {"PoolName": "attacker"})
    client = user_pool_client_create(SYSTEM, oauth_client_request(pool.id))
    yield pool, client
    hosts_cache_clear()


def claim(pool_id: str, name: str = VICTIM) -> UserPoolDomain:
    return domains.user_pool_domain_create(
        SYSTEM, {"UserPoolId": pool_id, "Domain": name, "CustomDomainConfig": {"CertificateArn": CERT}}
    )


def login_page(client, host: str = VICTIM):
    hosts_cache_clear()  # what another process sees after CACHE_SECONDS
    query = urlencode({"client_id": client.client_id, "response_type": "code", "redirect_uri": CALLBACK, **PKCE_UNUSED})
    return Client(HTTP_HOST=host).get(f"/oauth2/authorize?{query}")


def discovery(pool_id: str) -> dict:
    return Client().get(f"/{pool_id}/.well-known/openid-configuration").json()


def verify_domains(*args: str) -> str:
    out = StringIO()
    call_command("verify_domains", *args, stdout=out)
    return out.getvalue()


# --- The attack -------------------------------------------------------------------------------------


def test_an_unverified_custom_domain_does_not_route(attacker):
    pool, client = attacker
    domain = claim(pool.id)
    assert domain.verified_at is None and len(domain.verification_token) >= 40
    assert login_page(client).status_code == 404  # not the attacker's sign-in page
    assert VICTIM not in discovery(pool.id)["authorization_endpoint"]
    assert domains.pages_base_url(pool.id).endswith(f"/{pool.id}")


def test_describe_says_creating_until_verified(idp, dns_server, settings):
    pool_id = idp.create_user_pool(PoolName="wire")["UserPool"]["Id"]
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain=VICTIM, CustomDomainConfig={"CertificateArn": CERT})
    assert idp.describe_user_pool_domain(Domain=VICTIM)["DomainDescription"]["Status"] == "CREATING"
    dns_server.publish(UserPoolDomain.objects.get(domain=VICTIM))
    verify_domains()
    assert idp.describe_user_pool_domain(Domain=VICTIM)["DomainDescription"]["Status"] == "ACTIVE"


# --- Verification --------------------------------------------------------------------------------------


def test_the_txt_record_verifies_it_and_then_it_routes(attacker, dns_server):
    pool, client = attacker
    domain = claim(pool.id)
    shown = verify_domains("--show")
    assert f"_cognate-challenge.{VICTIM}." in shown and domain.verification_token in shown
    assert UserPoolDomain.objects.get(pk=domain.pk).verification_checked_at is None  # --show looks nothing up
    dns_server.publish(domain, "some-other-verification")  # other TXT values may sit beside it
    dns_server.publish(domain)
    assert "Verified 1 of 1" in verify_domains()
    assert UserPoolDomain.objects.get(pk=domain.pk).verified_at is not None
    response = login_page(client)
    assert response.status_code == 302 and response["Location"].startswith("/login?")
    assert discovery(pool.id)["authorization_endpoint"] == f"http://{VICTIM}:8000/oauth2/authorize"
    assert AuditEvent.objects.filter(action="domain.verified", target=VICTIM).exists()


@pytest.mark.parametrize("published", ["wrong-token", None])
def test_a_wrong_or_missing_record_does_not_verify(attacker, dns_server, published):
    pool, client = attacker
    domain = claim(pool.id)
    if published:
        dns_server.publish(domain, published)
    assert "Verified 0 of 1" in verify_domains()
    domain.refresh_from_db()
    assert domain.verified_at is None and domain.verification_error and domain.verification_checked_at
    assert login_page(client).status_code == 404


def test_a_prefix_of_the_token_does_not_verify(attacker, dns_server):
    pool, _ = attacker
    domain = claim(pool.id)
    dns_server.publish(domain, domain.verification_token[:-1])
    assert domains.custom_domain_verify(SYSTEM, pool_id=pool.id, name=VICTIM).verified_at is None


def test_a_squatter_cannot_block_the_owner(attacker, dns_server):
    squatter, _ = attacker
    claim(squatter.id)  # first, unverified
    owner = user_pool_create(SYSTEM, {"PoolName": "owner"})
    owners = user_pool_client_create(SYSTEM, oauth_client_request(owner.id))
    domain = claim(owner.id)  # the same name: allowed while nobody has proved it
    dns_server.publish(domain)
    assert domains.custom_domain_verify(SYSTEM, pool_id=owner.id, name=VICTIM).verified_at is not None
    assert login_page(owners).status_code == 302
    # The squatter's claim never verifies, even with its own token published too.
    dns_server.publish(UserPoolDomain.objects.get(pool=squatter, domain=VICTIM))
    squatted = domains.custom_domain_verify(SYSTEM, pool_id=squatter.id, name=VICTIM)
    assert squatted.verified_at is None and squatted.verification_error
    assert domains.user_pool_domain_describe(name=VICTIM).pool_id == owner.id


def test_another_pool_cannot_claim_a_verified_domain(attacker, dns_server):
    pool, _ = attacker
    domain = claim(pool.id)
    dns_server.publish(domain)
    domains.custom_domain_verify(SYSTEM, pool_id=pool.id, name=VICTIM)
    other = user_pool_create(SYSTEM, {"PoolName": "other"})
    with pytest.raises(InvalidParameter):
        claim(other.id)


@pytest.mark.parametrize("name", ["evil.auth.localhost", "auth.localhost"])
def test_names_under_the_prefix_suffix_are_not_custom_domains(attacker, name):
    # Such a host is routed as a prefix domain (hostedui.services.hosts): the claim could never serve.
    pool, _ = attacker
    with pytest.raises(InvalidParameter):
        claim(pool.id, name)


def test_prefix_domains_and_the_public_paths_still_work(attacker):
    pool, client = attacker
    domains.user_pool_domain_create(SYSTEM, {"UserPoolId": pool.id, "Domain": "attacker-app"})
    claim(pool.id)
    assert login_page(client, "attacker-app.auth.localhost").status_code == 302
    assert discovery(pool.id)["authorization_endpoint"] == "http://attacker-app.auth.localhost:8000/oauth2/authorize"
    query = urlencode({"client_id": client.client_id, "response_type": "code", "redirect_uri": CALLBACK, **PKCE_UNUSED})
    assert Client().get(f"/{pool.id}/oauth2/authorize?{query}").status_code == 302


# --- The admin console ---------------------------------------------------------------------------------


def test_operators_see_the_record_and_verify_in_the_console(client, make_operator, attacker, dns_server):
    pool, _ = attacker
    domain = claim(pool.id)
    client.force_login(make_operator("root", is_superuser=True))
    page = client.get(reverse("admin:userpools_userpooldomain_change", args=[domain.pk])).content.decode()
    assert f"_cognate-challenge.{VICTIM}" in page and domain.verification_token in page and "CREATING" in page
    dns_server.publish(domain)
    changelist = reverse("admin:userpools_userpooldomain_changelist")
    response = client.post(changelist, {"action": "verify_custom_domains", "_selected_action": [domain.pk]})
    assert response.status_code == 302
    assert UserPoolDomain.objects.get(pk=domain.pk).verified_at is not None


def test_the_periodic_task_verifies_what_was_published(attacker, dns_server):
    """Celery beat's userpools.domains_verify (config/celery.py) does what verify_domains does."""
    from config.celery import app
    from userpools.tasks import domains_verify

    assert app.conf.beat_schedule["userpools.domains_verify"]["task"] == "userpools.domains_verify"
    pool, client = attacker
    domain = claim(pool.id)
    assert domains_verify() == {"checked": 1, "verified": 0}
    dns_server.publish(domain)
    assert domains_verify() == {"checked": 1, "verified": 1}
    assert login_page(client).status_code == 302
    assert domains_verify() == {"checked": 0, "verified": 0}
