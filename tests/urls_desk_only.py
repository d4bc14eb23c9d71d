"""A host project that mounts only fortycrm's desk, no API."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("desk/", admin.site.urls)]
