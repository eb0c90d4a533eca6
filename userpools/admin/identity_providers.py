"""The console's identity providers: a pool's OIDC, SAML and social providers.

Created, changed and deleted through the services CreateIdentityProvider,
UpdateIdentityProvider and DeleteIdentityProvider call
(userpools/services/identity_providers.py), with the dry run of userpools/admin/base.py:
a service error (an unknown attribute in the mapping, an issuer whose discovery fails,
metadata without a signing certificate ...) shows on the form and nothing is written.

ProviderDetails are typed as ``key = value`` lines; the secret ones -- an OAuth client's
``client_secret``, Sign in with Apple's ``private_key`` -- have password fields of their
own that never render a value, so a stored secret never reaches the page (left blank on a
change, the stored one is kept). SAML metadata is pasted or uploaded.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from userpools.admin.base import (
    LinesField,
    ServiceForm,
    ServiceModelAdmin,
    operator_context,
    pretty_json,
    service_validation_error,
)
from userpools.choices import enum_choices
from userpools.errors import ErrorCode, ServiceError
from userpools.models import IdentityProvider, UserPool
from userpools.services import identity_providers as idp_services
from userpools.services.idp_details import SECRET_KEY

METADATA_MAX_BYTES = 131072  # ProviderDetailsType's values are StringType: at most 131072 characters
SECRET_FIELDS = ("client_secret", "private_key")
_PEM = re.compile(r"\s*-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----\s*", re.S)


def pem_restored(text: str) -> str:
    """A PEM block typed into a one-line password field (which drops line breaks) with its
    lines back; anything else as it was typed, stripped."""
    match = _PEM.fullmatch(text)
    if match is None:
        return text.strip()
    label, body = match.group(1), "".join(match.group(2).split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n"


class KeyValueLinesField(forms.CharField):
    """A string-to-string map, one ``key = value`` a line (split at the first ``=``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80, "style": "font-family: monospace"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{k} = {v}" for k, v in value.items())
        return value

    def to_python(self, value):
        mapping: dict[str, str] = {}
        for number, line in enumerate((super().to_python(value) or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, val = line.partition("=")
            key, val = key.strip(), val.strip()
            if not sep or not key:
                raise ValidationError(f"Line {number} is not of the form key = value.", code="invalid")
            if key in mapping:
                raise ValidationError(f"{key} is given twice.", code="invalid")
            mapping[key] = val
        return mapping

    def has_changed(self, initial, data):
        try:
            return (initial or {}) != self.to_python(data)
        except ValidationError:
            return True


class MetadataField(forms.CharField):
    """SAML metadata XML in a textarea (whose line breaks a browser sends as CRLF)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "cols": 80, "style": "font-family: monospace"}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return (super().to_python(value) or "").replace("\r\n", "\n").strip()


def _secret_input() -> forms.PasswordInput:
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password", "size": 60})


class IdentityProviderForm(ServiceForm):
    pool = forms.ModelChoiceField(label="User pool", queryset=UserPool.objects.order_by("name", "id"))
    ProviderName = forms.CharField(
        label="Provider name",
        max_length=32,
        help_text="Unique in the pool, fixed once created. A social provider is named after its type (Google ...).",
    )
    ProviderType = forms.ChoiceField(label="Provider type", choices=enum_choices("IdentityProviderTypeType"))
    ProviderDetails = KeyValueLinesField(
        label="Provider details",
        help_text="One per line: key = value (client_id, authorize_scopes, oidc_issuer, MetadataURL, IDPSignout "
        "...). Endpoints Cognito adds are recomputed for social and SAML providers; for OIDC, remove the "
        "endpoint lines to discover them again from the issuer.",
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=False,
        widget=_secret_input(),
        help_text="OIDC, Google, Facebook, Login with Amazon. Never shown; left blank on a change, the stored "
        "secret is kept.",
    )
    private_key = forms.CharField(
        label="Private key (Sign in with Apple)",
        required=False,
        strip=False,
        widget=_secret_input(),
        help_text="The .p8 key Apple issued (PEM). Never shown; left blank on a change, the stored key is kept.",
    )
    MetadataFile = MetadataField(
        label="SAML metadata",
        help_text="SAML only: the IdP's metadata XML (or upload it below, or give MetadataURL in the details).",
    )
    MetadataUpload = forms.FileField(label="SAML metadata file", required=False)
    AttributeMapping = KeyValueLinesField(
        label="Attribute mapping",
        help_text="One per line: user pool attribute = provider attribute (email = email). "
        "username maps to the provider's subject unless given.",
    )
    IdpIdentifiers = LinesField(label="Identifiers", help_text="One per line (idp_identifier at /oauth2/authorize).")

    class Meta:
        model = IdentityProvider
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provider = self.instance
        if provider.pk:
            for name in ("pool", "ProviderName", "ProviderType"):
                self.fields[name].disabled = True
            details = {k: v for k, v in sorted(provider.details.items()) if k != "MetadataFile"}
            self.initial.update(
                pool=provider.pool_id,
                ProviderName=provider.name,
                ProviderType=provider.provider_type,
                ProviderDetails=details,
                MetadataFile=provider.details.get("MetadataFile", "").replace("\r\n", "\n").strip(),
                AttributeMapping=dict(provider.attribute_mapping),
                IdpIdentifiers=list(provider.idp_identifiers),
            )

    def clean_MetadataUpload(self):  # noqa: N802 - Django's clean_<field> for the Cognito-named field
        upload = self.cleaned_data.get("MetadataUpload")
        if not upload:
            return ""
        if upload.size > METADATA_MAX_BYTES:
            raise ValidationError(f"The metadata file is over {METADATA_MAX_BYTES} bytes.", code="invalid")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("The metadata file is not UTF-8 text.", code="invalid") from None

    def _provider_details(self, provider_type: str) -> dict[str, str]:
        data = self.cleaned_data
        details = dict(data["ProviderDetails"])
        for key in (*SECRET_FIELDS, "MetadataFile"):
            if key in details:
                self.add_error("ProviderDetails", f"Enter {key} in its own field, not in the details.")
        secret_key = SECRET_KEY.get(provider_type)
        for key in SECRET_FIELDS:
            value = pem_restored(data[key]) if key == "private_key" else data[key].strip()
            if not value:
                continue
            if key != secret_key:
                self.add_error(key, f"A {provider_type} provider has no {key}.")
            details[key] = value
        if secret_key and not details.get(secret_key) and self.instance.pk and self.instance.secret:
            details[secret_key] = self.instance.secret  # kept: the field is never filled in with it
        pasted, uploaded = data["MetadataFile"], data["MetadataUpload"]
        if pasted and uploaded:
            self.add_error("MetadataUpload", "Paste the metadata or upload it, not both.")
        metadata = uploaded or pasted
        if metadata:
            if provider_type != "SAML":
                self.add_error("MetadataFile", "Only a SAML provider has metadata.")
            details["MetadataFile"] = metadata
        return details

    DETAILS_FIELDS = frozenset({"ProviderDetails", *SECRET_FIELDS, "MetadataFile", "MetadataUpload"})

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        provider = self.instance
        if provider.pk:
            request: dict[str, Any] = {"UserPoolId": provider.pool_id, "ProviderName": provider.name}
            if self.DETAILS_FIELDS & set(self.changed_data):  # else no discovery or metadata fetch again
                request["ProviderDetails"] = self._provider_details(provider.provider_type)
            if "AttributeMapping" in self.changed_data:
                request["AttributeMapping"] = data["AttributeMapping"]
            if "IdpIdentifiers" in self.changed_data:
                request["IdpIdentifiers"] = data["IdpIdentifiers"]
            return request
        request = {
            "UserPoolId": data["pool"].pk,
            "ProviderName": data["ProviderName"],
            "ProviderType": data["ProviderType"],
            "ProviderDetails": self._provider_details(data["ProviderType"]),
        }
        if data["AttributeMapping"]:
            request["AttributeMapping"] = data["AttributeMapping"]
        if data["IdpIdentifiers"]:
            request["IdpIdentifiers"] = data["IdpIdentifiers"]
        return request

    def perform(self, ctx, request):
        if self.instance.pk:
            return idp_services.identity_provider_update(ctx, request)
        return idp_services.identity_provider_create(ctx, request)

    # Where a service error is shown: the request member its message names, else the details.
    _ERROR_FIELDS = (
        (("'providerName'", "already exists", "must be named", "reserved", "name of a social"), "ProviderName"),
        (("'attributeMapping", "AttributeMapping"), "AttributeMapping"),
        (("'idpIdentifiers", "IdpIdentifiers", "identifier"), "IdpIdentifiers"),
        (("private_key",), "private_key"),
        (("MetadataFile", "SAML metadata", "the metadata"), "MetadataFile"),
    )

    def _add_service_error(self, exc: ServiceError) -> None:
        # Other invalid input is in the details (a required key, a URL, discovery, the metadata).
        other = "ProviderDetails" if exc.code == ErrorCode.INVALID_PARAMETER else None
        field = next((name for needles, name in self._ERROR_FIELDS if any(n in exc.message for n in needles)), other)
        if field is not None and self.fields[field].disabled:  # the name of a provider being changed
            field = None
        given = (getattr(self, "request_data", None) or {}).get("ProviderDetails") or {}
        if field == "MetadataFile" and "MetadataURL" in given and "Exactly one" not in exc.message:
            field = "ProviderDetails"  # the metadata came from MetadataURL
        self.add_error(field, service_validation_error(exc))


@admin.register(IdentityProvider)
class IdentityProviderAdmin(ServiceModelAdmin):
    form = IdentityProviderForm
    list_display = ("name", "provider_type", "pool", "identifiers", "created_at", "updated_at")
    list_filter = ("pool", "provider_type")
    search_fields = ("name",)
    list_select_related = ("pool",)
    ordering = ("pool", "name")
    fields = (
        "pool",
        "ProviderName",
        "ProviderType",
        "ProviderDetails",
        "client_secret",
        "private_key",
        "MetadataFile",
        "MetadataUpload",
        "AttributeMapping",
        "IdpIdentifiers",
    )
    shown = ("details_described", "secret_state", "linked_users", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        return (*self.fields, *self.shown) if obj else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.shown if obj else ()

    @admin.display(description="Identifiers")
    def identifiers(self, provider) -> str:
        return ", ".join(provider.idp_identifiers) or "—"

    @admin.display(description="Details as DescribeIdentityProvider shows them (without the secret)")
    def details_described(self, provider):
        return pretty_json({k: v for k, v in provider.details.items() if k != "MetadataFile"})

    @admin.display(description="Secret")
    def secret_state(self, provider) -> str:
        key = SECRET_KEY.get(provider.provider_type)
        if key is None:
            return "none (this type has no secret)"
        return f"{key} stored (encrypted)" if provider.secret else f"no {key} stored"

    @admin.display(description="Linked users (AdminLinkProviderForUser)")
    def linked_users(self, provider):
        links = provider.links.select_related("user").order_by("created_at", "pk")[:50]
        if not links:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{} = {} → {}</li>", ((k.attribute_name, k.attribute_value, k.user.username) for k in links)
            ),
        )

    def delete_model(self, request, obj):
        idp_services.identity_provider_delete(operator_context(request), pool_id=obj.pool_id, name=obj.name)
