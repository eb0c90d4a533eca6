"""``manage.py operator_totp <operator>``: enrol a TOTP authenticator for an operator.

With ``COGNATE_ADMIN_REQUIRE_OTP`` on, the admin console asks operators for a code from
one of their authenticators (django-otp TOTPDevices). This creates one, confirmed, and
prints its ``otpauth://`` URL (turn it into a QR code, or type the secret into the app).
Run it before turning the setting on: an operator without an authenticator cannot sign
in to the console then. Operators can also manage their authenticators in the console
(OTP_TOTP > TOTP devices, with a QR code when ``qrcode`` or ``segno`` is installed).
"""

from __future__ import annotations

from base64 import b32encode

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from userpools.context import ServiceContext
from userpools.models import User
from userpools.services.audit import audit_record


class Command(BaseCommand):
    help = (
        "Create a TOTP authenticator for an operator (the admin console's second factor) and print its otpauth:// URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("operator", help="username of an operator (a staff user in no pool)")
        parser.add_argument("--name", default="authenticator", help="a name for the device (shown at sign-in)")
        parser.add_argument(
            "--replace", action="store_true", help="delete the operator's other TOTP authenticators (a lost phone)"
        )

    def handle(self, *args, operator: str, name: str, replace: bool, **options):
        user = User.objects.filter(pool__isnull=True, username_key=operator).first()
        if user is None:
            raise CommandError(f"No operator named {operator!r}; create one with `manage.py createsuperuser`.")
        ctx = ServiceContext(actor=f"cli:{operator}")
        with transaction.atomic():
            if replace:
                removed = list(TOTPDevice.objects.filter(user=user).values_list("name", flat=True))
                TOTPDevice.objects.filter(user=user).delete()
                for old in removed:
                    audit_record(ctx, "operator.totp_device_delete", target=user.get_username(), device=old)
            device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
            audit_record(ctx, "operator.totp_device_create", target=user.get_username(), device=name, confirmed=True)
        self.stdout.write(device.config_url)
        self.stdout.write(f"secret (base32): {b32encode(device.bin_key).decode('ascii')}")
        self.stderr.write(
            "Add it to an authenticator app. With COGNATE_ADMIN_REQUIRE_OTP=true the console's login page "
            "asks for its current code."
        )
