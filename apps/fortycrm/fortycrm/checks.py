from django.conf import settings
from django.core.checks import Warning, register


@register()
def check_language(app_configs, **kwargs):
    if "fortycrm.middleware.LanguageMiddleware" not in settings.MIDDLEWARE:
        return [Warning("fortycrm's desk is bilingual; add fortycrm.middleware.LanguageMiddleware.", id="fortycrm.W001")]
    return []
