"""The admin console for how a pool's hosted pages look: UI customizations, managed login
branding styles, terms documents, and a preview of the pages.

As everywhere in the console (:mod:`userpools.admin`), the forms build the Cognito request
(SetUICustomization, Create/UpdateManagedLoginBranding, Create/UpdateTerms) and the
services save it: the CSS sanitizer, the image checks and the exists-errors apply, every
error shows on the form, and every change is audited as the operator.

The preview (``admin:hostedui_pool_preview``, linked from a user pool's page) renders the
sign-in and sign-up pages of a pool with the pool's style and with each app client's, with
the forms disabled, through the same ``render_page`` the hosted pages use.
"""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.views.decorators.clickjacking import xframe_options_sameorigin

from hostedui import shapes
from hostedui.models import ManagedLoginBranding, Terms, UICustomization
from hostedui.services import branding as branding_services
from hostedui.services import terms as terms_services
from hostedui.views import Hosted, render_page
from userpools.admin.base import JSONObjectField, ServiceForm, ServiceModelAdmin, operator_context, pretty_json
from userpools.models import AppClient, UserPool

MAX_UPLOAD = branding_services.MAX_ASSET_BYTES
PREVIEW_PAGES = {"login": "login.html", "signup": "signup.html"}
PREVIEW_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _upload(field) -> bytes | None:
    if not field:
        return None
    if field.size > MAX_UPLOAD:
        raise ValidationError(f"The file is larger than {MAX_UPLOAD} bytes.", code="too_large")
    return field.read()


def _client_choices():
    return AppClient.objects.select_related("pool").order_by("pool__name", "name", "id")


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AppClient) -> str:
        return f"{obj.pool.name} ({obj.pool_id}) / {obj.name} ({obj.client_id})"


def _thumbnail(pool_id: str, asset_path: str | None) -> str:
    if not asset_path:
        return "—"
    return format_html(
        '<img src="/{}/{}" alt="" style="max-height:4rem;max-width:12rem;background:#eee">', pool_id, asset_path
    )


# --- UI customization (classic hosted UI) --------------------------------------------------------


class UICustomizationForm(ServiceForm):
    pool = forms.ModelChoiceField(label="User pool", queryset=UserPool.objects.order_by("name", "id"))
    client = ClientChoiceField(
        label="App client",
        queryset=_client_choices(),
        required=False,
        help_text="Empty: the pool's default for every client without its own (ClientId ALL).",
    )
    CSS = forms.CharField(
        label="CSS",
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80}),
        help_text="Only the classic *-customizable classes and their properties (Cognito's "
        "CSS template); stored normalized.",
    )
    ImageFile = forms.FileField(label="Logo", required=False, help_text="PNG or JPEG, at most 100 KB.")
    remove_image = forms.BooleanField(label="Remove the logo", required=False)

    error_fields = {"CSS": "CSS", "ImageFile": "ImageFile", "imageFile": "ImageFile", "cSS": "CSS", "client": "client"}

    class Meta:
        model = UICustomization
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customization = self.instance
        if not customization._state.adding:
            self.fields["pool"].disabled = True
            self.fields["client"].disabled = True
            self.initial.update(pool=customization.pool_id, client=customization.client_id, CSS=customization.css)
        else:
            self.fields["remove_image"].widget = forms.HiddenInput()

    def clean(self):
        data = self.cleaned_data
        if data.get("pool") and data.get("client") and data["client"].pool_id != data["pool"].pk:
            self.add_error("client", "This app client belongs to another user pool.")
        return super().clean()

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        client = data.get("client")
        request: dict[str, Any] = {"UserPoolId": data["pool"].pk, "ClientId": client.client_id if client else "ALL"}
        if data.get("CSS"):
            request["CSS"] = data["CSS"]
        try:
            image = _upload(data.get("ImageFile"))
        except ValidationError as exc:
            self.add_error("ImageFile", exc)
            return request
        if image is None and not self.instance._state.adding and self.instance.image and not data.get("remove_image"):
            image = bytes(self.instance.image)  # the logo stays: SetUICustomization replaces both
        if image:
            request["ImageFile"] = _b64(image)
        if "CSS" not in request and "ImageFile" not in request:
            self.add_error(None, "Give CSS or a logo. To remove the customization, delete it.")
        return request

    def perform(self, ctx, request):
        return branding_services.ui_customization_set(ctx, request)


@admin.register(UICustomization)
class UICustomizationAdmin(ServiceModelAdmin):
    form = UICustomizationForm
    list_display = ("pool", "client_label", "css_version", "has_logo", "updated_at")
    list_filter = ("pool",)
    search_fields = ("pool__id", "pool__name", "client__client_id", "client__name")
    list_select_related = ("pool", "client")
    ordering = ("pool__name", "client__name")
    readonly_fields = ("css_version", "logo", "described", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("pool", "client", "CSS", "ImageFile")
        return (
            "pool",
            "client",
            "CSS",
            "ImageFile",
            "remove_image",
            "logo",
            "css_version",
            "described",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    @admin.display(description="App client")
    def client_label(self, customization):
        return customization.client or "ALL (the pool's default)"

    @admin.display(description="Logo", boolean=True)
    def has_logo(self, customization):
        return bool(customization.image_type)

    @admin.display(description="Logo")
    def logo(self, customization):
        return _thumbnail(customization.pool_id, branding_services.ui_logo_path(customization))

    @admin.display(description="GetUICustomization")
    def described(self, customization):
        return pretty_json(shapes.ui_customization(customization))

    def delete_model(self, request, obj):
        branding_services.ui_customization_delete(
            operator_context(request), pool_id=obj.pool_id, client_id=obj.client.client_id if obj.client_id else None
        )

    def get_urls(self):
        site = self.admin_site
        return [
            path("preview/<str:pool_id>/", site.admin_view(self.preview_view), name="hostedui_pool_preview"),
            path(
                "preview/<str:pool_id>/<str:page>",
                site.admin_view(self.preview_page_view),
                name="hostedui_pool_preview_page",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pool_id: str) -> HttpResponse:
        return preview(request, pool_id, self.admin_site)

    def preview_page_view(self, request: HttpRequest, pool_id: str, page: str) -> HttpResponse:
        return preview_page(request, pool_id, page)


# --- Managed login branding ----------------------------------------------------------------------

_CATEGORIES = [
    (c, c)
    for c in (
        "FORM_LOGO",
        "PAGE_HEADER_LOGO",
        "PAGE_BACKGROUND",
        "FAVICON_ICO",
        "FAVICON_SVG",
        "FORM_BACKGROUND",
        "PAGE_HEADER_BACKGROUND",
        "PAGE_FOOTER_LOGO",
        "PAGE_FOOTER_BACKGROUND",
        "EMAIL_GRAPHIC",
        "SMS_GRAPHIC",
        "AUTH_APP_GRAPHIC",
        "PASSWORD_GRAPHIC",
        "PASSKEY_GRAPHIC",
        "IDP_BUTTON_ICON",
    )
]
_COLOR_MODES = [(m, m) for m in ("LIGHT", "DARK", "DYNAMIC")]


class ManagedLoginBrandingForm(ServiceForm):
    client = ClientChoiceField(label="App client", queryset=_client_choices(), help_text="One style per app client.")
    UseCognitoProvidedValues = forms.BooleanField(
        label="Use the default style",
        required=False,
        help_text="UseCognitoProvidedValues: no settings and no assets (on a change: removes them).",
    )
    Settings = JSONObjectField(
        label="Settings (branding editor JSON)",
        required=False,
        help_text='e.g. {"components": {"primaryButton": {"lightMode": {"defaults": '
        '{"backgroundColor": "0b57d0ff"}}}}}. Colours are RRGGBBAA hex; '
        "see the module documentation of hostedui.services.branding for "
        "which settings the pages apply.",
    )
    asset_file = forms.FileField(
        label="Add or replace an asset",
        required=False,
        help_text="PNG, JPEG, SVG or WebP (ICO for FAVICON_ICO), at most 1,000,000 bytes.",
    )
    asset_category = forms.ChoiceField(label="Asset category", choices=_CATEGORIES, required=False)
    asset_color_mode = forms.ChoiceField(label="Asset colour mode", choices=_COLOR_MODES, required=False)
    remove_assets = forms.MultipleChoiceField(
        label="Remove assets", required=False, widget=forms.CheckboxSelectMultiple
    )

    error_fields = {
        "Settings": "Settings",
        "settings": "Settings",
        "Assets": "asset_file",
        "assets": "asset_file",
        "UseCognitoProvidedValues": "UseCognitoProvidedValues",
    }

    class Meta:
        model = ManagedLoginBranding
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style = self.instance
        if not style._state.adding:
            self.fields["client"].disabled = True
            self.initial.update(
                client=style.client_id,
                UseCognitoProvidedValues=style.use_cognito_provided_values,
                Settings=style.settings,
            )
            self.fields["remove_assets"].choices = [
                (f"{a.category}/{a.color_mode}/{a.extension}", f"{a.category} ({a.color_mode}, {a.extension})")
                for a in branding_services.branding_assets(style)
            ]
        else:
            del self.fields["remove_assets"]

    def _assets(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        assets: list[dict[str, Any]] = []
        try:
            content = _upload(data.get("asset_file"))
        except ValidationError as exc:
            self.add_error("asset_file", exc)
            return assets
        if content is not None:
            kind = branding_services.image_type(content)
            if kind is None:
                self.add_error("asset_file", "This is not a PNG, JPEG, ICO, SVG or WebP image.")
                return assets
            assets.append(
                {
                    "Category": data["asset_category"],
                    "ColorMode": data["asset_color_mode"],
                    "Extension": kind,
                    "Bytes": _b64(content),
                }
            )
        for choice in data.get("remove_assets") or []:
            category, mode, extension = choice.split("/")
            if not any(a["Category"] == category and a["ColorMode"] == mode for a in assets):
                assets.append({"Category": category, "ColorMode": mode, "Extension": extension})
        return assets

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        request: dict[str, Any]
        if not self.instance._state.adding:
            request = {"UserPoolId": self.instance.pool_id, "ManagedLoginBrandingId": str(self.instance.pk)}
        else:
            request = {"UserPoolId": data["client"].pool_id, "ClientId": data["client"].client_id}
        if data.get("UseCognitoProvidedValues"):
            request["UseCognitoProvidedValues"] = True
            if data.get("asset_file"):
                self.add_error("asset_file", "The default style has no assets: untick “Use the default style”.")
            return request
        request["UseCognitoProvidedValues"] = False
        if data.get("Settings") is not None:
            request["Settings"] = data["Settings"]
        assets = self._assets()
        if assets:
            request["Assets"] = assets
        return request

    def perform(self, ctx, request):
        if not self.instance._state.adding:
            # The editor shows the whole document: what the operator removed goes.
            return branding_services.managed_login_branding_update(ctx, request, replace_settings=True)
        return branding_services.managed_login_branding_create(ctx, request)


@admin.register(ManagedLoginBranding)
class ManagedLoginBrandingAdmin(ServiceModelAdmin):
    form = ManagedLoginBrandingForm
    list_display = ("id", "pool", "client", "use_cognito_provided_values", "updated_at")
    list_filter = ("pool", "use_cognito_provided_values")
    search_fields = ("id", "pool__id", "pool__name", "client__client_id", "client__name")
    list_select_related = ("pool", "client")
    ordering = ("-updated_at",)
    readonly_fields = ("id", "asset_list", "merged", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "client",
                "UseCognitoProvidedValues",
                "Settings",
                "asset_file",
                "asset_category",
                "asset_color_mode",
            )
        return (
            "id",
            "client",
            "UseCognitoProvidedValues",
            "Settings",
            "asset_list",
            "asset_file",
            "asset_category",
            "asset_color_mode",
            "remove_assets",
            "merged",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    @admin.display(description="Assets")
    def asset_list(self, style):
        rows = branding_services.branding_assets(style)
        if not rows:
            return "—"
        items = (
            (
                a.category,
                a.color_mode,
                a.extension,
                _thumbnail(style.pool_id, branding_services.branding_asset_path(style, a)),
            )
            for a in rows
        )
        return format_html(
            "<table><tr><th>Category</th><th>Mode</th><th>Type</th><th></th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", items),
        )

    @admin.display(description="Settings with the defaults (ReturnMergedResources)")
    def merged(self, style):
        return pretty_json(branding_services.branding_settings(style, merged=True))

    def delete_model(self, request, obj):
        branding_services.managed_login_branding_delete(
            operator_context(request), pool_id=obj.pool_id, branding_id=str(obj.pk)
        )


# --- Terms ---------------------------------------------------------------------------------------


class TermsForm(ServiceForm):
    client = ClientChoiceField(label="App client", queryset=_client_choices())
    TermsName = forms.ChoiceField(label="Document", choices=Terms.Name.choices)
    Links = JSONObjectField(
        label="Links",
        help_text='Language to https URL: {"cognito:default": '
        '"https://example.com/terms", "cognito:german": "https://example.com/de/terms"}.',
    )

    error_fields = {"links": "Links", "Links": "Links", "termsName": "TermsName", "terms": "TermsName"}

    class Meta:
        model = Terms
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        record = self.instance
        if not record._state.adding:
            self.fields["client"].disabled = True
            self.initial.update(client=record.client_id, TermsName=record.name, Links=record.links)

    def service_request(self) -> dict[str, Any]:
        data = self.cleaned_data
        request: dict[str, Any] = {
            "TermsName": data["TermsName"],
            "TermsSource": "LINK",
            "Enforcement": "NONE",
            "Links": data["Links"] or {},
        }
        if not self.instance._state.adding:
            return {"UserPoolId": self.instance.pool_id, "TermsId": str(self.instance.pk), **request}
        return {"UserPoolId": data["client"].pool_id, "ClientId": data["client"].client_id, **request}

    def perform(self, ctx, request):
        if not self.instance._state.adding:
            return terms_services.terms_update(ctx, request)
        return terms_services.terms_create(ctx, request)


@admin.register(Terms)
class TermsAdmin(ServiceModelAdmin):
    form = TermsForm
    list_display = ("name", "client", "pool", "languages", "updated_at")
    list_filter = ("name", "pool")
    search_fields = ("id", "pool__id", "client__client_id", "client__name")
    list_select_related = ("pool", "client")
    ordering = ("pool__name", "client__name", "name")
    readonly_fields = ("id", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        return ("client", "TermsName", "Links") + (self.readonly_fields if obj else ())

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    @admin.display(description="Languages")
    def languages(self, record):
        return ", ".join(sorted(record.links))

    def delete_model(self, request, obj):
        terms_services.terms_delete(operator_context(request), pool_id=obj.pool_id, terms_id=str(obj.pk))


# --- Preview -------------------------------------------------------------------------------------


def preview(request: HttpRequest, pool_id: str, site) -> TemplateResponse:
    """The pool's sign-in and sign-up pages with its own style and with each client's."""
    pool = get_object_or_404(UserPool, pk=pool_id)
    page_url = reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "login"])[: -len("login")]
    styles = [{"label": "The pool's style (no app client)", "query": ""}]
    styles += [
        {"label": f"App client {c.name} ({c.client_id})", "query": f"?client={c.client_id}"}
        for c in pool.clients.order_by("created", "id")
    ]
    for style in styles:
        style["pages"] = [
            (title, f"{page_url}{name}{style['query']}")
            for name, title in (("login", "Sign in"), ("signup", "Sign up"))
        ]
    context = {
        **site.each_context(request),
        "title": f"Hosted pages of {pool.name}",
        "pool": pool,
        "styles": styles,
        "opts": UserPool._meta,
    }
    return TemplateResponse(request, "admin/hostedui/preview.html", context)


@xframe_options_sameorigin
def preview_page(request: HttpRequest, pool_id: str, page: str) -> HttpResponse:
    """One page as the pool's users see it (for ``?client=``'s style), its forms disabled."""
    # What the sign-up page asks, as the page itself decides (a private helper of the pages:
    # imported here so that a change there breaks the preview, not the console).
    from hostedui.views.pages import signup_fields

    pool = get_object_or_404(UserPool, pk=pool_id)
    if page not in PREVIEW_PAGES:
        raise Http404("No such page.")
    client = None
    if request.GET.get("client"):
        client = get_object_or_404(AppClient, pool=pool, client_id=request.GET["client"])
    hosted = Hosted(pool=pool, base=f"/{pool.pk}/", on_domain=False)
    carried = {"client_id": client.client_id} if client else {}
    context: dict[str, Any] = {
        "preview": True,
        "hidden": sorted(carried.items()),
        "qs": "&".join(f"{k}={v}" for k, v in carried.items()),
        "qs_nolang": None,
        "username": "",
        "passkeys": False,
        "signup_allowed": True,
        "recovery_allowed": True,
        "values": {},
    }
    if page == "signup":
        username_field, attributes = signup_fields(hosted, client) if client else ("username", [])
        context.update(
            username_field=username_field,
            attributes=attributes,
            terms=terms_services.terms_for_client(client, translation.get_language()) if client else [],
        )
    response = render_page(request, hosted, PREVIEW_PAGES[page], context, client=client)
    response["Content-Security-Policy"] = PREVIEW_POLICY
    response["Cache-Control"] = "no-store"
    return response
