"""Forms shared by the desk's ModelAdmins: service errors become form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError | PermissionDenied) -> None:
    """Attach a service's ValidationError to the form fields it names (or to the form)."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceCheckedForm(forms.ModelForm):
    """A ModelForm whose instance also passes a service check; its errors become form errors.

    Subclasses implement ``service_check(instance)``; it runs after Django's own model
    validation, so the desk shows the same messages the service would raise on saving
    (never a 500).
    """

    def service_check(self, instance) -> None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        try:
            self.service_check(self.instance)
        except ValidationError as exc:
            add_service_errors(self, exc)
