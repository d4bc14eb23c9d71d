from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FortycrmConfig(AppConfig):
    name = "fortycrm"
    verbose_name = _("Customer management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fortycrm import access, checks, desk_texts, history_noise, listcache, search, signals  # noqa: F401  (registers checks and signal handlers)

        access.connect()  # "staff status" follows the roles (groups)

        desk_texts.name_link_models()  # German names for the many-to-many link rows (delete pages)

        history_noise.connect()  # a save that changes nothing writes no history row

        listcache.connect()  # cached API list counts follow every customer change
        from fortycrm import custom_fields

        custom_fields.connect()  # the index of custom field values (cf_ filters) follows every save
        search.connect()  # the customer search terms follow customer and contact changes
        from fortycrm import request_cache

        request_cache.connect()  # definitions and rules read once per request (issue 13)
