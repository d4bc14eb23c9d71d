from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from fortycrm.health import health

urlpatterns = [
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("desk/", admin.site.urls),
    path("api/v1/", include("fortycrm.api.urls")),
    path("forms/", include("fortycrm.webforms.urls")),
    path(settings.MEDIA_URL.strip("/") + "/", include("fortycrm.urls")),
]
