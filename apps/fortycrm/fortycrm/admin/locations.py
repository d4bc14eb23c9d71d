"""Desk: locations ("Objektakte"), suppliers ("Lieferanten"), Haustechnik and Einsätze (R-LOC-1..4)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import display
from unfold.forms import PaginationInlineFormSet

from fortycrm import selectors
from fortycrm.admin.base import (
    HistoryAdmin,
    NoNestedInlinesMixin,
    ProtectedDeleteMixin,
    SafePrefillMixin,
    ServiceFormsetsMixin,
    ServiceSavedInline,
    ShowAllInlineMixin,
    active_orders_table,
    color_badge,
    link,
)
from fortycrm.admin.fields import CustomFieldsAdminMixin, CustomFieldsInlineMixin, CustomFieldsListMixin
from fortycrm.admin.lazy_tabs import LazyInlineTabsMixin
from fortycrm.admin.lists import FastListMixin, IndexedBooleanFilter, SubqueryFilter, TermSearchMixin, record_filter
from fortycrm.admin.meters import MeterForm
from fortycrm.models import Assignment, Contact, Customer, Location, LocationSupplier, Meter, Supplier
from fortycrm.selectors import location_record_queryset, main_contact, meters_with_last_reading
from fortycrm.services import contacts as contact_services
from fortycrm.services import locations as services
from fortycrm.services import meters as meter_services
from fortycrm.validators import parse_whole_number

User = get_user_model()


# --- customer record: its locations ----------------------------------------------------------
class CustomerLocationFormSet(PaginationInlineFormSet):
    """A location named on issued invoices cannot be deleted (GoBD): said before anything is saved."""

    def clean(self):
        super().clean()
        from fortycrm.services.billing import location_delete_problem

        problems = [
            problem
            for form in self.forms
            if self.can_delete and self._should_delete_form(form) and form.instance.pk
            and (problem := location_delete_problem(form.instance))
        ]
        if problems:  # a row marked for deletion has no errors of its own: the formset says it
            raise ValidationError(problems)


class CustomerLocationInline(ShowAllInlineMixin, CustomFieldsInlineMixin, ServiceSavedInline, TabularInline):
    """The customer record lists its locations; the full record is one click away."""

    custom_field_object_type = "location"
    formset = CustomerLocationFormSet

    model = Location
    per_page = 5  # a customer with 200 locations: pages of 5, and a link to all of them (issue 13)
    show_all_list = "admin:fortycrm_location_changelist"
    show_all_parameter = "customer__id__exact"
    extra = 0
    fields = ["name", "street", "postcode", "city", "bill_separately", "record_link"]
    readonly_fields = ["record_link"]
    verbose_name = _("location")
    verbose_name_plural = _("locations")
    tab = True
    hide_title = True

    @display(description=_("location record"))
    def record_link(self, obj):
        if not obj or not obj.pk:
            return "—"
        return link("admin:fortycrm_location_change", obj, _("Open location record"))

    def save_row(self, obj):
        services.location_save(location=obj)

    def delete_row(self, obj):
        services.location_delete(location=obj)


# --- location record ("Objektakte") -----------------------------------------------------------
class BuildingServiceInline(ServiceSavedInline, TabularInline):
    """Haustechnik: suppliers for the building; "+" next to the picker creates a new supplier."""

    model = LocationSupplier
    extra = 0
    fields = ["supplier", "trade", "note", "supplier_phones"]
    readonly_fields = ["supplier_phones"]
    verbose_name = _("building service")
    verbose_name_plural = _("building services")
    tab = True
    hide_title = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("supplier")

    @display(description=_("phone / emergency phone"))
    def supplier_phones(self, obj):
        """The supplier's numbers where they are needed: when the alarm system goes off."""
        supplier = obj.supplier if obj and obj.pk else None
        if supplier is None or not (supplier.phone or supplier.emergency_phone):
            return "—"
        return supplier_phones_html(supplier)

    def save_row(self, obj):
        services.building_service_save(link=obj)

    def delete_row(self, obj):
        services.building_service_delete(link=obj)


def supplier_phones_html(supplier: Supplier) -> str:
    """Phone and emergency phone of a supplier as links a phone can dial."""
    parts = []
    if supplier.phone:
        parts.append(format_html('<a href="tel:{}">{} {}</a>', _dial(supplier.phone), _("Phone:"), supplier.phone))
    if supplier.emergency_phone:
        parts.append(format_html('<a href="tel:{}" class="fortycrm-emergency">{} {}</a>', _dial(supplier.emergency_phone),
                                 _("Emergency:"), supplier.emergency_phone))
    return format_html('<span class="fortycrm-phones">{}</span>', format_html_join("", "{}", ((p,) for p in parts)))


def _dial(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit() or ch == "+")


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["location", "user", "start", "end", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
            self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username


class AssignmentInline(ServiceSavedInline, TabularInline):
    """Einsätze: who works or worked at this location (R-LOC-4)."""

    model = Assignment
    form = AssignmentForm
    extra = 0
    fields = ["user", "start", "end", "note", "state"]
    readonly_fields = ["state"]
    ordering = ["-start", "id"]
    verbose_name = _("assignment")
    verbose_name_plural = _("assignments")
    tab = True
    hide_title = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @display(description=_("state"))
    def state(self, obj):
        if not obj or not obj.pk:
            return "—"
        return assignment_state(obj)

    def save_row(self, obj):
        services.assignment_save(assignment=obj)

    def delete_row(self, obj):
        services.assignment_delete(assignment=obj)


def assignment_state(obj: Assignment):
    today = timezone.localdate()
    if obj.start > today:
        return color_badge(str(_("planned")), "#2563EB")
    if obj.end is None or obj.end >= today:
        return color_badge(str(_("current")), "#16A34A")
    return color_badge(str(_("past")), "#6B7280")


class MeterInline(ShowAllInlineMixin, ServiceSavedInline, TabularInline):
    model = Meter
    form = MeterForm
    formset = PaginationInlineFormSet
    per_page = 3  # a location with many meters: pages of 3, and a link to all of them (issue 13)
    show_all_list = "admin:fortycrm_meter_changelist"
    show_all_parameter = "location__id__exact"
    ordering = ["number", "id"]
    extra = 0
    fields = ["kind", "number", "unit", "comment", "installed_on", "removed_on", "last_reading", "readings_link"]
    readonly_fields = ["last_reading", "readings_link"]
    verbose_name = _("meter")
    verbose_name_plural = _("meters")
    tab = True
    hide_title = True

    def get_queryset(self, request):
        # latest reading and count come from subqueries: one query for any number of meters/readings
        return meters_with_last_reading(super().get_queryset(request))

    @display(description=_("last reading"))
    def last_reading(self, obj):
        value = getattr(obj, "last_value", None)
        if not obj or not obj.pk or value is None:
            return "—"
        when = formats.date_format(timezone.localtime(obj.last_read_at), "SHORT_DATE_FORMAT")
        return f"{formats.number_format(selectors.plain_decimal(value), use_l10n=True, force_grouping=True)} {obj.unit} ({when})"

    @display(description=_("meter readings"))
    def readings_link(self, obj):
        if not obj or not obj.pk:
            return _("Save first")
        count = getattr(obj, "reading_count", 0)
        return link("admin:fortycrm_meter_change", obj, _("Record readings (%(count)d)") % {"count": count})

    def save_row(self, obj):
        meter_services.meter_save(meter=obj)

    def delete_row(self, obj):
        meter_services.meter_delete(meter=obj)


class LocationContactFormSet(PaginationInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.instance is not None and self.instance.customer_id:
            form.instance.customer_id = self.instance.customer_id
        return form


class LocationContactInline(ShowAllInlineMixin, CustomFieldsInlineMixin, ServiceSavedInline, TabularInline):
    custom_field_object_type = "contact"
    model = Contact
    fk_name = "location"
    formset = LocationContactFormSet
    per_page = 3  # pages of 3, and a link to all of them (issue 13)
    show_all_list = "admin:fortycrm_contact_changelist"
    show_all_parameter = "location__id__exact"
    extra = 0
    fields = ["salutation", "first_name", "last_name", "role", "phone", "mobile", "email", "priority"]
    ordering = ["priority", "last_name"]
    verbose_name = _("contact at this location")
    verbose_name_plural = _("contacts at this location")
    tab = True
    hide_title = True

    def save_row(self, obj):
        obj.customer_id = obj.location.customer_id  # a contact at a location belongs to its customer
        contact_services.contact_save(contact=obj)

    def delete_row(self, obj):
        contact_services.contact_delete(contact=obj)


class EmployeeFilter(admin.RelatedOnlyFieldListFilter):
    """Which locations an employee knows (R-LOC-4)."""

    def has_output(self):
        return bool(self.lookup_choices)  # shown (and applied) even with a single employee

    def field_choices(self, field, request, model_admin):
        return employee_choices()


def employee_choices() -> list[tuple[int, str]]:
    users = User.objects.filter(location_assignments__isnull=False).distinct().order_by("first_name", "last_name", "username")
    return [(u.pk, u.get_full_name() or u.username) for u in users]


class LocationEmployeeFilter(SubqueryFilter):
    """Locations an employee knows, as ``id IN (assignments)``: no join + DISTINCT of all locations."""

    title = _("employee")
    parameter_name = "assignments__user__id__exact"

    def lookups(self, request, model_admin):
        return employee_choices()

    def subquery(self, value: int):
        return Assignment.objects.filter(user_id=value).values("location_id")


@admin.register(Location)
class LocationAdmin(NoNestedInlinesMixin, LazyInlineTabsMixin, FastListMixin, ProtectedDeleteMixin, CustomFieldsAdminMixin, CustomFieldsListMixin, TermSearchMixin, SafePrefillMixin, ServiceFormsetsMixin, HistoryAdmin, ModelAdmin):
    inlines = [BuildingServiceInline, AssignmentInline, MeterInline, LocationContactInline]
    custom_field_object_type = "location"
    custom_fields_section_index = 3
    custom_fields_section_classes = ("tab",)
    list_display = ["name", "customer_link", "address", "bill_separately"]
    list_select_related = ["customer"]
    list_filter = [LocationEmployeeFilter, ("bill_separately", IndexedBooleanFilter), record_filter("customer", _("customer"))]
    sortable_by = ["name", "customer_link"]  # each has an index (issue 13)
    list_filter_sheet = False
    search_fields = ["name", "street", "postcode", "city", "customer__name", "customer__short_name", "customer__last_name"]
    search_kind = "location"  # through the indexed search terms (issue 13)
    autocomplete_fields = ["customer"]
    readonly_fields = ["customer_panel", "active_orders_panel", "history_section"]
    list_per_page = 50
    actions = ["delete_checked"]

    class Media:
        js = ["fortycrm/meter_form.js"]  # the meters tab: the unit follows the kind

    def get_search_results(self, request, queryset, search_term):
        """The location picker of an order or invoice offers only the chosen customer's locations (billing_form.js)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("field_name") == "location" and request.GET.get("model_name") in ("order", "invoice"):
            customer = parse_whole_number(request.GET.get("customer", ""))
            queryset = queryset.filter(customer_id=customer) if customer is not None else queryset.none()
        return queryset, may_have_duplicates
    fieldsets = [
        (_("Customer"), {"fields": ["customer_panel", "active_orders_panel"]}),
        (
            _("Location"),
            {"fields": ["customer", "name", "street", ("postcode", "city", "country"), "bill_separately"], "classes": ["tab"]},
        ),
        (_("Invoice address"), {"fields": ["billing_name", "billing_street", ("billing_postcode", "billing_city")], "classes": ["tab"]}),
        (_("Access and site notes"), {"fields": ["access_notes", "site_notes"], "classes": ["tab"]}),
        (_("History"), {"fields": ["history_section"], "classes": ["tab"]}),
    ]

    def get_queryset(self, request):
        return location_record_queryset()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # the key data and history appear once the location exists
            fieldsets = [fs for fs in fieldsets if not {"customer_panel", "history_section"} & set(fs[1]["fields"])]
        return fieldsets

    # --- list columns ------------------------------------------------------------------------
    @display(description=_("customer"), ordering="customer")  # by id: an index, no join
    def customer_link(self, obj: Location):
        return link("admin:fortycrm_customer_change", obj.customer, obj.customer.display_name)

    @display(description=_("address"))
    def address(self, obj: Location):
        return ", ".join(p for p in (obj.street, f"{obj.postcode} {obj.city}".strip()) if p) or "—"

    # --- record panels ------------------------------------------------------------------------
    @display(description=_("Key data of the customer"))
    def customer_panel(self, obj: Location):
        if not obj or not obj.pk:
            return "—"
        customer: Customer = obj.customer
        return render_to_string(
            "fortycrm/admin/includes/customer_key_data.html",
            {
                "customer": customer,
                "status_badge": color_badge(customer.status.name, customer.status.color),
                "manager": customer.account_manager,
                "contact": main_contact(customer),
            },
        )

    @display(description=_("Active services"))
    def active_orders_panel(self, obj: Location):
        if not obj or not obj.pk:
            return "—"
        orders = selectors.active_orders(obj.orders.select_related("location")).order_by("start", "id")
        return active_orders_table(orders)

    # --- saving through services ---------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        services.location_save(location=obj)

    # deleting: refused while issued invoices name the location (GoBD), see ProtectedDeleteMixin
    def delete_problem(self, obj):
        from fortycrm.services.billing import location_delete_problem

        return location_delete_problem(obj)

    def delete_with(self, obj):
        services.location_delete(location=obj)


# --- suppliers ("Lieferanten") ----------------------------------------------------------------
@admin.register(Supplier)
class SupplierAdmin(ProtectedDeleteMixin, ModelAdmin):
    list_display = ["name", "trade", "phone", "emergency_phone", "email", "city", "location_count"]
    search_fields = ["name", "trade", "city", "email", "phone"]
    list_filter = ["trade"]
    list_filter_sheet = False
    readonly_fields = ["linked_locations"]
    actions = ["delete_checked"]
    fieldsets = [
        (None, {"fields": ["name", "trade", ("phone", "emergency_phone"), "email", "street", ("postcode", "city"), "notes"]}),
        (_("Building services"), {"fields": ["linked_locations"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_locations=Count("location_links__location", distinct=True))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:1]

    @display(description=_("locations"), ordering="n_locations")
    def location_count(self, obj):
        return obj.n_locations

    @display(description=_("linked to"))
    def linked_locations(self, obj):
        if not obj or not obj.pk:
            return "—"
        links = obj.location_links.select_related("location__customer").order_by("location__name")
        return render_to_string("fortycrm/admin/includes/supplier_locations.html", {"links": links})

    def save_model(self, request, obj, form, change):
        services.supplier_save(supplier=obj)

    def delete_problem(self, obj):
        return services.supplier_delete_problem(obj)

    def delete_with(self, obj):
        services.supplier_delete(supplier=obj)


# --- assignments ("Einsätze") -------------------------------------------------------------------
class CurrentFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("current", _("current")), ("past", _("past"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        running = Q(start__lte=today) & (Q(end__isnull=True) | Q(end__gte=today))
        if self.value() == "current":
            return queryset.filter(running)
        if self.value() == "past":
            return queryset.filter(end__lt=today)
        return queryset


@admin.register(Assignment)
class AssignmentAdmin(SafePrefillMixin, ModelAdmin):
    """Which employee knows which location: filter by employee (R-LOC-4)."""

    form = AssignmentForm
    list_display = ["employee", "location_link", "customer", "start", "end", "state_badge", "note"]
    list_select_related = ["user", "location__customer"]
    list_filter = [("user", EmployeeFilter), CurrentFilter]
    list_filter_sheet = False
    search_fields = ["user__username", "user__first_name", "user__last_name", "location__name", "location__city"]
    autocomplete_fields = ["location"]
    fields = ["location", "user", "start", "end", "note"]

    @display(description=_("employee"), ordering="user__last_name")
    def employee(self, obj):
        return obj.user.get_full_name() or obj.user.username

    @display(description=_("location"), ordering="location__name")
    def location_link(self, obj):
        return link("admin:fortycrm_location_change", obj.location, obj.location.name)

    @display(description=_("customer"))
    def customer(self, obj):
        return obj.location.customer

    @display(description=_("state"))
    def state_badge(self, obj):
        return assignment_state(obj)

    def save_model(self, request, obj, form, change):
        services.assignment_save(assignment=obj)

    def delete_model(self, request, obj):
        services.assignment_delete(assignment=obj)
