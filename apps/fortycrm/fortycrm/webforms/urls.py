"""Public URLs of the website forms; the host includes them under ``forms/``."""

from django.urls import path, re_path

from fortycrm.webforms import views

app_name = "fortycrm_forms"
urlpatterns = [
    re_path(r"^(?P<public_id>[A-Za-z0-9_-]{1,32})\.js$", views.form_script, name="script"),
    path("confirm/<str:token>", views.form_confirm, name="confirm"),
    re_path(r"^(?P<public_id>[A-Za-z0-9_-]{1,32})/submit$", views.form_submit, name="submit"),
]
