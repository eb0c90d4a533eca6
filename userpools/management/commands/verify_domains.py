"""``manage.py verify_domains [--pool ID --domain NAME] [--show]``: verify custom domains.

A custom domain routes only once its operator has published its token as the TXT record
``_cognate-challenge.{domain}`` (userpools.services.domains). This prints, for each custom
domain not verified yet, the record to create, then looks it up (``--show``: only print);
run it again after publishing, or from cron. DNS servers: COGNATE_DOMAIN_VERIFICATION_NAMESERVERS,
else the system's resolver.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from userpools.context import ServiceContext
from userpools.errors import ServiceError
from userpools.models import UserPoolDomain
from userpools.services import domains


class Command(BaseCommand):
    help = "Verify pending custom domains by their _cognate-challenge TXT records (or one with --pool and --domain)."

    def add_arguments(self, parser):
        parser.add_argument("--pool", dest="pool_id", help="the UserPoolId of the domain to verify")
        parser.add_argument("--domain", dest="name", help="the custom domain to verify (with --pool)")
        parser.add_argument("--show", action="store_true", help="print the records to create; look nothing up")

    def _record(self, domain: UserPoolDomain) -> None:
        name, value = domains.verification_record(domain)
        self.stdout.write(f'{domain.domain} (pool {domain.pool_id}): create the DNS record\n    {name}. TXT "{value}"')

    def _result(self, domain: UserPoolDomain) -> bool:
        if domain.verified_at is not None:
            self.stdout.write(self.style.SUCCESS(f"{domain.domain}: verified; it routes to pool {domain.pool_id}."))
            return True
        self.stdout.write(self.style.WARNING(f"{domain.domain}: not verified: {domain.verification_error}"))
        return False

    def handle(self, *args, pool_id: str | None = None, name: str | None = None, show: bool = False, **options):
        ctx = ServiceContext(actor="system:verify_domains")
        if bool(pool_id) != bool(name):
            raise CommandError("Give --pool and --domain together, or neither.")
        if pool_id:
            pending = list(
                UserPoolDomain.objects.filter(pool_id=pool_id, domain=name, custom_domain_config__isnull=False)
            )
            if not pending:
                raise CommandError(f"User pool {pool_id} has no custom domain {name}.")
        else:
            pending = domains.custom_domains_pending()
        if not pending:
            self.stdout.write("No custom domain is waiting for verification.")
            return
        verified = 0
        for domain in pending:
            if domain.verified_at is None:
                self._record(domain)
            if show:
                continue
            try:
                domain = domains.custom_domain_verify(ctx, pool_id=domain.pool_id, name=domain.domain)
            except ServiceError as exc:
                raise CommandError(exc.message) from None
            verified += self._result(domain)
        if not show:
            self.stdout.write(f"Verified {verified} of {len(pending)} domain(s).")
