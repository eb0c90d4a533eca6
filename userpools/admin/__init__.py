"""The admin console: user pools, app clients, domains, resource servers, identity providers, the user directory,
deliveries, operators and the audit log, one module each; userpools/admin/base.py holds the
plumbing they share (ServiceForm, ServiceModelAdmin, the dry run, the form fields).

Django's admin autodiscovery imports this package; importing its modules here registers
every ModelAdmin on ``admin.site``. The site itself (CognateAdminSite) and the console's
login are in userpools/admin_login.py, outside this package: Django imports the site's
class when ``admin.site`` is first used, which is before the other apps' admin modules
are imported, and importing this package registers models then (see
``CognateAdminConfig`` in userpools/apps.py).
"""

from userpools.admin import (  # noqa: F401
    audit,
    clients,
    deliveries,
    directory,
    domains,
    factors,
    identity_providers,
    operators,
    pools,
    resource_servers,
)
