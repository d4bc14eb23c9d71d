from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def _defaults_after_migrate(sender, **kwargs) -> None:
    if getattr(sender, "name", None) != "fortycrm":
        return
    from fortycrm.setup import ensure_defaults

    ensure_defaults(kwargs.get("apps") or global_apps)
