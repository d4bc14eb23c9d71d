from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record


@receiver(post_migrate)
def _defaults_after_migrate(sender, **kwargs) -> None:
    if getattr(sender, "name", None) != "fortycrm":
        return
    from fortycrm.setup import ensure_defaults

    ensure_defaults(kwargs.get("apps") or global_apps)


@receiver(pre_create_historical_record)
def _name_the_api_key(sender, history_instance, **kwargs) -> None:
    """Changes made with an API key record the key's name as "who" (R-CUS-7)."""
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    api_key = getattr(getattr(request, "user", None), "api_key", None)
    if api_key is not None and not history_instance.history_change_reason:
        history_instance.history_change_reason = f"API: {api_key.name}"[:100]
