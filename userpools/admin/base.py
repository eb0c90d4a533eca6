"""The console's shared plumbing: the operator's service context, form fields, the dry run,
and the form and ModelAdmin that save only through a service.

The console is a third face of the services (after the wire API and the REST API):
nothing in userpools/admin/ saves a pool, a client or a domain itself. Each form builds
a Cognito-shaped request and the ModelAdmin calls the service, acting as
``operator:<username>``, so the console obeys the same rules, writes the same audit
events and cannot leave a half-saved object:

* ``ServiceForm.clean`` runs the service call through :func:`dry_run` (a savepoint that
  is always rolled back), so every error the service would raise is shown on the form
  with the operator's input kept, and nothing is written;
* ``save_model`` then makes the real call (inside the admin's own transaction);
* should the real call still fail (a concurrent change between the two), the admin's
  transaction rolls back and the operator gets an error message instead of a 500.

Cognito's update operations reset every omitted setting to its default, so change
forms start from the object's current settings
(:func:`userpools.services.updates.user_pool_update_request`) and overlay the form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from userpools.context import SYSTEM, ServiceContext
from userpools.errors import ServiceError


def operator_context(request) -> ServiceContext:
    """Who acts when an operator uses the console."""
    return ServiceContext(
        actor=f"operator:{request.user.get_username()}",
        source_ip=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent"),
        request_id=str(uuid.uuid4()),
    )


def pretty_json(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str))


# --- Form plumbing ------------------------------------------------------------------------


class JSONObjectField(forms.JSONField):
    """A JSON object typed into a textarea, shown indented."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8, "cols": 80, "class": "vLargeTextField"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            return json.dumps(value, indent=2, ensure_ascii=False)
        return super().prepare_value(value)

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not isinstance(value, dict):
            raise ValidationError("Enter a JSON object ({...}).", code="invalid")
        return value


class LinesField(forms.CharField):
    """A list of strings, one per line."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 80}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial, data):
        return (initial or []) != self.to_python(data)


def service_validation_error(exc: ServiceError) -> ValidationError:
    """A service's error as a form's validation error (its message; the error code as the code)."""
    return ValidationError(exc.message, code=exc.code.value)


class _DryRun(Exception):
    """Raised inside the validation savepoint so that it is always rolled back."""


def dry_run(call: Callable[[], object]) -> ServiceError | None:
    """Run a service call in a savepoint that is always rolled back; return the error it raised.

    Forms call it from ``clean`` so that every error the service would raise is shown on
    the form, with the operator's input kept, and nothing is written; ``save_model`` then
    makes the real call.
    """
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except ServiceError as exc:
        return exc


class ServiceForm(forms.ModelForm):
    """A form whose object is created or changed only by a service call.

    Subclasses build the Cognito-shaped request (:meth:`service_request`) and call the
    service (:meth:`perform`). ``error_fields`` maps a member path of the services'
    validation messages (``'policies.passwordPolicy.minimumLength'``) to the form field
    that should show it; other service errors are shown at the top of the form.
    """

    service_context: ServiceContext = SYSTEM  # set per request by ServiceModelAdmin.get_form
    error_fields: Mapping[str, str] = {}
    advanced_field = "advanced"

    class Meta:
        fields: list[str] = []

    def service_request(self) -> dict[str, Any]:
        raise NotImplementedError("ServiceForm subclasses build the Cognito-shaped request")

    def perform(self, ctx: ServiceContext, request: dict[str, Any]):
        """Call the service; return the saved model instance."""
        raise NotImplementedError("ServiceForm subclasses call their service")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.request_data = self.service_request()
        except ServiceError as exc:
            self._add_service_error(exc)
            return cleaned
        if self.errors:  # building the request found a problem (e.g. in the advanced JSON)
            return cleaned
        error = dry_run(lambda: self.perform(self.service_context, self.request_data))
        if error is not None:
            self._add_service_error(error)
        return cleaned

    def _post_clean(self):
        # The service validates; the model's own clean() (django-oauth-toolkit's, for app
        # clients) judges columns the service derives and must not second-guess it.
        pass

    def _add_service_error(self, exc: ServiceError) -> None:
        field = None
        for path, name in self.error_fields.items():
            if f"'{path}'" in exc.message or f"{path} " in exc.message:
                field = name
                break
        if field is None and self.advanced_field in self.fields:
            advanced = self.cleaned_data.get(self.advanced_field) or {}
            if any(f"'{key[:1].lower()}{key[1:]}" in exc.message for key in advanced):
                field = self.advanced_field
        self.add_error(field, service_validation_error(exc))

    def save_through_service(self):
        return self.perform(self.service_context, self.request_data)

    def check_advanced_members(self, allowed: tuple[str, ...], *, create_only: tuple[str, ...] = ()) -> dict:
        advanced = self.cleaned_data.get(self.advanced_field) or {}
        unknown = [k for k in advanced if k not in allowed]
        fixed = [k for k in unknown if k in create_only]
        if fixed:
            self.add_error(self.advanced_field, f"Fixed at creation and cannot be changed: {', '.join(fixed)}.")
        others = [k for k in unknown if k not in create_only]
        if others:
            self.add_error(self.advanced_field, f"Not a setting of this request: {', '.join(others)}.")
        return advanced


class ServiceModelAdmin(admin.ModelAdmin):
    """Saves and deletes through services, reporting service errors as messages."""

    save_as = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.service_context = operator_context(request)  # modelform_factory made a fresh class
        return form

    def save_model(self, request, obj, form, change):
        saved = form.save_through_service()
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False
        self.after_save(request, saved, form, change)

    def after_save(self, request, saved, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change):
        pass  # no many-to-many fields, no editable inlines

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:  # changed concurrently between the dry run and the save
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def get_actions(self, request):
        # The bulk delete action deletes rows directly; deletion goes one by one through services.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def admin_link(obj, label: str | None = None) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
    return format_html('<a href="{}">{}</a>', url, label or str(obj))
