"""The console's package (userpools/admin/), its site (userpools/admin_login.py) and the one dry run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

import userpools
from userpools.admin.base import dry_run
from userpools.admin.clients import AppClientAdmin, AppClientForm
from userpools.admin.operators import OperatorAdmin, OperatorTOTPDeviceAdmin
from userpools.admin.pools import UserPoolAdmin
from userpools.admin_login import CognateAdminSite
from userpools.apps import CognateAdminConfig, UserpoolsConfig
from userpools.choices import enum_choices, enum_values
from userpools.context import SYSTEM
from userpools.errors import InvalidParameter
from userpools.models import AppClient, AuditEvent, User, UserPool
from userpools.services.audit import audit_record

APP = Path(userpools.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_admin_app_is_configured_with_the_consoles_site():
    assert type(apps.get_app_config("admin")) is CognateAdminConfig
    assert type(apps.get_app_config("userpools")) is UserpoolsConfig
    assert type(admin.site._wrapped) is CognateAdminSite
    assert admin.site.name == "admin"


def test_the_consoles_admins_are_registered_on_the_site_in_use():
    # Were the site's module to import userpools.admin, the lazy admin.site would be built
    # twice: these registrations would land on a discarded instance, and django-oauth-toolkit's
    # and django-otp's admins would stay instead of the console's.
    registry = admin.site._registry
    assert type(registry[UserPool]) is UserPoolAdmin
    assert type(registry[AppClient]) is AppClientAdmin
    assert type(registry[User]) is OperatorAdmin
    assert type(registry[TOTPDevice]) is OperatorTOTPDeviceAdmin
    assert all(model_admin.admin_site is admin.site._wrapped for model_admin in registry.values())


def test_django_oauth_toolkits_token_admins_are_not_in_the_console(admin_client):
    """DOT's AccessToken, RefreshToken and IDToken tables are never written, and Grant holds
    hashed codes for minutes: the console shows no page for them."""
    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

    for model in (AccessToken, Grant, IDToken, RefreshToken):
        assert not admin.site.is_registered(model)
    assert admin_client.get("/admin/oauth2_provider/accesstoken/").status_code == 404
    assert b"oauth2_provider" not in admin_client.get("/admin/").content


def test_the_sites_module_imports_no_admin_module_and_the_console_no_rest_serializer():
    site_imports = _imported_modules(APP / "admin_login.py")
    assert not [name for name in site_imports if name == "userpools.admin" or name.startswith("userpools.admin.")]
    for path in sorted((APP / "admin").glob("*.py")) + [APP / "admin_login.py"]:
        assert not [name for name in _imported_modules(path) if name.startswith("userpools.api")], path.name


@pytest.mark.django_db
def test_dry_run_returns_the_services_error_and_writes_nothing():
    def failing():
        audit_record(SYSTEM, "test.dry_run")
        raise InvalidParameter("Not like this.")

    error = dry_run(failing)
    assert isinstance(error, InvalidParameter)
    assert error.message == "Not like this."
    assert not AuditEvent.objects.filter(action="test.dry_run").exists()


@pytest.mark.django_db
def test_dry_run_of_a_call_that_succeeds_also_writes_nothing():
    def succeeding():
        audit_record(SYSTEM, "test.dry_run")
        return "done"

    assert dry_run(succeeding) is None
    assert not AuditEvent.objects.filter(action="test.dry_run").exists()


def test_no_other_dry_run_helper_is_left_in_the_console():
    for path in sorted((APP / "admin").glob("*.py")):
        tree = ast.parse(path.read_text())
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        expected = {"dry_run", "_DryRun"} if path.name == "base.py" else set()
        assert defined & {"dry_run", "_dry_run", "_DryRun"} == expected, path.name


def test_client_forms_offer_the_auth_flows_of_the_model():
    choices = list(AppClientForm.base_fields["ExplicitAuthFlows"].choices)
    assert choices == enum_choices("ExplicitAuthFlowsType")
    assert "ALLOW_USER_SRP_AUTH" in enum_values("ExplicitAuthFlowsType")
    assert ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH") in choices
