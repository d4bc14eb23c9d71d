"""URLs of the app that are not the admin (host projects include them)."""

from django.urls import path

from fortycrm import views

app_name = "fortycrm"
urlpatterns = [
    path("<path:name>", views.protected_file, name="file"),
]
