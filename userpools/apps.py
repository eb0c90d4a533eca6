from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class UserpoolsConfig(AppConfig):
    name = "userpools"
    verbose_name = "User pools"
    default_auto_field = "django.db.models.BigAutoField"
    default = True

    def ready(self) -> None:
        from userpools.services import clientauth, memo, pools, tokens  # noqa: F401 - their caches register

        memo.connect()


class CognateAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the console's site as ``admin.site`` (listed in INSTALLED_APPS
    instead of ``django.contrib.admin``).

    ``default_site`` names a module that registers no ModelAdmin (userpools/admin_login.py):
    Django imports it when ``admin.site`` is first used, at the start of autodiscovery.
    ``default = False`` keeps UserpoolsConfig the ``userpools`` app's configuration.
    """

    default = False
    default_site = "userpools.admin_login.CognateAdminSite"
