"""The staff screen ("Mitarbeitende"): name, e-mail, login, password or invitation link, roles, active.

Made for the office manager: no "staff status", no permission lists. The roles (groups)
decide what a person may do in the desk. The raw user pages stay for Administration.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.urls import path, reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget, UnfoldAdminPasswordWidget, UnfoldAdminRadioSelectWidget

from fortycrm.admin.base import color_badge
from fortycrm.models import StaffMember
from fortycrm.models.staff import person_name
from fortycrm.services import staff as services
from fortycrm.validators import parse_whole_number

KEEP, SET, INVITE = "keep", "set", "invite"


class StaffForm(forms.ModelForm):
    roles = forms.ModelMultipleChoiceField(
        Group.objects.order_by("name"), label=_("roles"), required=False, widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("Administration: everything incl. staff and settings. Büro: customers, locations, meters, orders, invoices, import. "
                    "Support: like Büro, and may change customer numbers."),
    )
    password_mode = forms.ChoiceField(label=_("password"), widget=UnfoldAdminRadioSelectWidget, initial=INVITE)
    password1 = forms.CharField(label=_("new password"), required=False, strip=False, widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("repeat the password"), required=False, strip=False, widget=UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"}))

    class Meta:
        model = StaffMember
        fields = ["first_name", "last_name", "email", "username", "is_active"]
        labels = {"username": _("login"), "is_active": _("active")}
        help_texts = {
            "username": _("The name the person signs in with, e.g. “m.schmidt”. Letters, digits and @ . + - _ only."),
            "is_active": _("Remove the tick when somebody leaves: the account can no longer sign in, their name stays on records."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            if name in self.fields:
                self.fields[name].required = True
        if "password_mode" not in self.fields:
            return  # view only
        choices = [(SET, _("Set a password now")), (INVITE, _("Invitation link: the person chooses the password"))]
        if self.instance.pk:
            choices.insert(0, (KEEP, _("Keep the password")))
            self.fields["password_mode"].initial = KEEP
            self.fields["roles"].initial = list(self.instance.groups.values_list("pk", flat=True))
        self.fields["password_mode"].choices = choices

    def clean(self):
        data = super().clean()
        mode = data.get("password_mode")
        if mode == SET:
            one, two = data.get("password1"), data.get("password2")
            if not one:
                self.add_error("password1", _("Enter the new password, or choose the invitation link."))
            elif one != two:
                self.add_error("password2", _("The two passwords differ. Type the same password twice."))
        return data

    def _post_clean(self):
        super()._post_clean()
        data = self.cleaned_data
        password = data.get("password1") if data.get("password_mode") == SET and "password2" not in self._errors else None
        try:  # also with other errors: every problem is said at once
            services.staff_check(user=self.instance, roles=data.get("roles") or [], password=password)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                if field not in self._errors:
                    self.add_error(field if field in self.fields else None, errors)


class RoleFilter(admin.SimpleListFilter):
    title = _("roles")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return list(Group.objects.order_by("name").values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = parse_whole_number(self.value() or "")
        return queryset.filter(groups=value) if value is not None else queryset


@admin.register(StaffMember)
class StaffMemberAdmin(ModelAdmin):
    form = StaffForm
    list_display = ["name_display", "login_display", "email", "roles_display", "active_badge", "last_login"]
    list_display_links = ["name_display", "login_display"]
    list_filter = [RoleFilter, "is_active"]
    list_filter_sheet = False
    search_fields = ["first_name", "last_name", "username", "email"]
    readonly_fields = ["invitation_section", "last_login", "roles_display"]
    list_per_page = 50
    actions = None
    list_before_template = "fortycrm/admin/staff_list_links.html"

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": [("first_name", "last_name"), "email", "username", "roles_display", "is_active", "last_login"]})]
        person = [("first_name", "last_name"), "email", "username", "roles", "is_active"]
        access = ["password_mode", ("password1", "password2")]
        if obj is not None:
            access.append("invitation_section")
            person.append("last_login")
        return [(_("Person and roles"), {"fields": person}), (_("Sign-in"), {"fields": access})]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # a superuser's account is changed by a superuser only (view only here)
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # people leave by "active" off: their name stays on records and history

    @display(description=_("name"), ordering="last_name")
    def name_display(self, obj):
        return person_name(obj)

    @display(description=_("login"), ordering="username")
    def login_display(self, obj):
        return obj.username

    @display(description=_("roles"))
    def roles_display(self, obj):
        names = [group.name for group in obj.groups.all()]
        if obj.is_superuser:
            names.insert(0, str(_("all rights")))
        return ", ".join(names) or "—"

    @display(description=_("active"), ordering="is_active")
    def active_badge(self, obj):
        return color_badge(str(_("active")), "#16A34A") if obj.is_active else color_badge(str(_("inactive")), "#6B7280")

    @display(description=_("invitation link"))
    def invitation_section(self, obj):
        link = services.invitation_path(obj) if obj and obj.pk else None
        if link is None:
            return _("The person has a password.") if obj and obj.has_usable_password() else "—"
        return format_html(
            '<code id="fortycrm-invitation" style="user-select:all">{}</code><br><span>{}</span>',
            self._absolute(link),
            _("Send this link to the person (e-mail, chat). It is valid for %(days)d days and only until the password is set.")
            % {"days": services.invitation_days()},
        )

    def _absolute(self, path: str) -> str:
        request = getattr(self, "_request", None)
        return request.build_absolute_uri(path) if request is not None else path

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self._request = request
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        mode = data.get("password_mode")
        services.staff_save(user=obj, roles=data.get("roles") or [], password=data.get("password1") if mode == SET else None, invite=mode == INVITE)
        link = services.invitation_path(obj)
        if link and mode == INVITE:
            messages.info(
                request,
                format_html(
                    "{} <code style='user-select:all'>{}</code>",
                    _("Invitation link for %(name)s (valid for %(days)d days):") % {"name": person_name(obj), "days": services.invitation_days()},
                    request.build_absolute_uri(link),
                ),
            )

    def save_related(self, request, form, formsets, change):
        pass  # the roles are set by the service; there are no inlines

    def get_urls(self):
        urls = [
            path(
                "invitation/<str:uidb64>/<str:token>/",
                InvitationView.as_view(),  # public: the token is the key
                name="fortycrm_staffmember_invitation",
            ),
        ]
        return urls + super().get_urls()


class InvitationView(PasswordResetConfirmView):
    """The page behind the invitation link: the person chooses a password and is signed in."""

    template_name = "fortycrm/admin/staff_invitation.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("admin:index")
    title = _("Choose your password")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        for name in ("new_password1", "new_password2"):
            if name in form.fields:
                form.fields[name].widget = UnfoldAdminPasswordWidget(attrs={"autocomplete": "new-password"})
        return form

    def get_context_data(self, **kwargs):
        from django.contrib import admin as django_admin

        context = super().get_context_data(**kwargs)
        context.update(django_admin.site.each_context(self.request))
        context["title"] = self.title
        context["login_url"] = reverse("admin:login")
        return context
