from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FortycrmConfig(AppConfig):
    name = "fortycrm"
    verbose_name = _("Customer management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fortycrm import access, checks, listcache, search, signals  # noqa: F401  (registers checks and signal handlers)

        access.connect()  # "staff status" follows the roles (groups)

        listcache.connect()  # cached API list counts follow every customer change
        search.connect()  # the customer search terms follow customer and contact changes
