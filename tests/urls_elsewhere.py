"""A host project that mounts fortycrm somewhere else than config/urls.py does."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("verwaltung/", admin.site.urls),
    path("schnittstelle/v2/", include("fortycrm.api.urls")),
]
