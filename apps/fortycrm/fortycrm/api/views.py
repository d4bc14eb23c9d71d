"""Viewsets of API v1. Lists are paged; writes go through the services (via the serializers)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fortycrm import listcache
from fortycrm.api import custom_fields as custom_field_api
from fortycrm.api import filters, intake, schema, serializers  # noqa: F401  (schema: OpenAPI extensions)
from fortycrm.api.pagination import CustomerPagination
from fortycrm.api.parsers import LimitedFormParser, LimitedJSONParser, LimitedMultiPartParser
from fortycrm.api.payers import (
    BudgetMixin,
    CostBearerFilter,
    CostBearerSerializer,
    CustomerCostBearerFilter,
    CustomerCostBearerSerializer,
    ServicePriceFilter,
    ServicePriceSerializer,
)
from fortycrm.api.throttling import IntakeRateThrottle
from fortycrm.models import (
    ApiKey,
    Contact,
    CostBearer,
    Customer,
    CustomerCostBearer,
    CustomerStatus,
    CustomField,
    Invoice,
    Location,
    Meter,
    MeterReading,
    Order,
    ServicePrice,
    Supplier,
    Tag,
)
from fortycrm.payer_selectors import SETTINGS_VALUES, customer_defaults, customer_effective_settings_from_rows
from fortycrm.services import billing, contacts, locations, payers, statuses
from fortycrm.services import custom_fields as custom_field_services
from fortycrm.services import customers as customer_services
from fortycrm.services import intake as intake_services

HTTP_METHODS = ["get", "post", "patch", "delete", "head", "options"]

ERROR_RESPONSES = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: {\"field\": [\"message\"]}"),
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="No or unknown API key"),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Not allowed for this key or user"),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="Not found"),
}


class ServiceViewSet(viewsets.ModelViewSet):
    """List, retrieve, create, partial update, delete; deletes go through ``delete_with``."""

    http_method_names = HTTP_METHODS

    def delete_with(self, instance) -> None:
        with transaction.atomic():
            instance.delete()

    def perform_destroy(self, instance) -> None:
        self.delete_with(instance)


@extend_schema_view(
    list=extend_schema(responses={200: serializers.CustomerSerializer(many=True), 400: ERROR_RESPONSES[400]}),
    create=extend_schema(responses={201: serializers.CustomerSerializer, 400: ERROR_RESPONSES[400], 409: ERROR_RESPONSES[400]}),
    partial_update=extend_schema(responses={200: serializers.CustomerSerializer, 400: ERROR_RESPONSES[400], 409: ERROR_RESPONSES[400]}),
)
class CustomerViewSet(ServiceViewSet):
    """Customers (Kunden): companies and private persons with status, number, tags and custom fields."""

    # The list is built from ``.values()`` rows with one query for all tags.

    serializer_class = serializers.CustomerSerializer
    queryset = Customer.objects.select_related("status").prefetch_related("tags")
    pagination_class = CustomerPagination
    filter_backends = [DjangoFilterBackend]  # the list only (see ``list``); documents the parameters
    filterset_class = filters.CustomerFilterSet
    count_cache_key: str | None = None

    def filter_queryset(self, queryset):
        return queryset  # retrieve, update and delete ignore list filters

    def list(self, request, *args, **kwargs):
        gen = listcache.generation()
        filterset = self.filterset_class(request.query_params, Customer.objects.all(), request=request, gen=gen)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        self.count_cache_key = listcache.count_key("customers", filterset.count_key, gen)
        rows = filterset.qs.values(*serializers.customer_answer_plan().values_fields, *SETTINGS_VALUES)
        page = list(self.paginate_queryset(rows))
        tag_names = listcache.memo(gen, ("tag-names",), lambda: dict(Tag.objects.values_list("pk", "name")))
        # R-PAY-2: effective settings from the page's own settings (joined) and the memoised defaults
        effective = customer_effective_settings_from_rows(page, listcache.memo(gen, ("customer-defaults",), customer_defaults))
        return self.get_paginated_response(serializers.customer_rows(page, request, tag_names, effective))

    def delete_with(self, instance: Customer) -> None:
        customer_services.customer_delete(customer=instance)


class StatusViewSet(ServiceViewSet):
    """Customer statuses (Kundenstatus)."""

    serializer_class = serializers.StatusSerializer
    queryset = CustomerStatus.objects.all()

    def delete_with(self, instance: CustomerStatus) -> None:
        statuses.status_delete(status=instance)


class TagViewSet(ServiceViewSet):
    """Tags (Schlagwörter)."""

    serializer_class = serializers.TagSerializer
    queryset = Tag.objects.all()


class ContactViewSet(ServiceViewSet):
    """Contacts (Ansprechpartner)."""

    serializer_class = serializers.ContactSerializer
    queryset = Contact.objects.all()
    filterset_class = filters.ContactFilter

    def delete_with(self, instance: Contact) -> None:
        contacts.contact_delete(contact=instance)


class LocationViewSet(ServiceViewSet):
    """Locations (Objekte)."""

    serializer_class = serializers.LocationSerializer
    queryset = Location.objects.all()
    filterset_class = filters.LocationFilter

    def delete_with(self, instance: Location) -> None:
        locations.location_delete(location=instance)


class SupplierViewSet(ServiceViewSet):
    """Suppliers (Lieferanten)."""

    serializer_class = serializers.SupplierSerializer
    queryset = Supplier.objects.all()
    filterset_class = filters.SupplierFilter

    def delete_with(self, instance: Supplier) -> None:
        locations.supplier_delete(supplier=instance)


class MeterViewSet(ServiceViewSet):
    """Meters (Zähler)."""

    serializer_class = serializers.MeterSerializer
    queryset = Meter.objects.all()
    filterset_class = filters.MeterFilter


class ReadingViewSet(ServiceViewSet):
    """Meter readings (Zählerstände); plausibility rules of the desk apply."""

    serializer_class = serializers.ReadingSerializer
    queryset = MeterReading.objects.all()
    filterset_class = filters.ReadingFilter


class OrderViewSet(ServiceViewSet):
    """Orders (Aufträge); the first order makes a prospect a customer with number."""

    serializer_class = serializers.OrderSerializer
    queryset = Order.objects.all()
    filterset_class = filters.OrderFilter


@extend_schema_view(
    partial_update=extend_schema(responses={200: serializers.InvoiceSerializer, 400: ERROR_RESPONSES[400], 409: ERROR_RESPONSES[400]}),
    destroy=extend_schema(responses={204: None, 409: ERROR_RESPONSES[400]}),
)
class InvoiceViewSet(ServiceViewSet):
    """Invoices (Rechnungen). Drafts have no number; ``issue`` numbers them, from then on they are immutable."""

    serializer_class = serializers.InvoiceSerializer
    queryset = Invoice.objects.prefetch_related("lines")
    filterset_class = filters.InvoiceFilter

    def update(self, request, *args, **kwargs):
        billing.invoice_check_editable(self.get_object())  # issued → 409 before any field check
        return super().update(request, *args, **kwargs)

    def delete_with(self, instance: Invoice) -> None:
        billing.invoice_delete(invoice=instance)

    @extend_schema(request=None, responses={200: serializers.InvoiceSerializer, 400: ERROR_RESPONSES[400], 409: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """"Rechnung stellen": number, issue date and due date; the invoice is immutable afterwards."""
        invoice = billing.invoice_issue(invoice=self.get_object())
        return Response(self.get_serializer(Invoice.objects.prefetch_related("lines").get(pk=invoice.pk)).data)

    @extend_schema(request=None, responses={201: serializers.InvoiceSerializer, 400: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Stornorechnung: an issued negative copy referencing this invoice."""
        copy = billing.invoice_cancel(invoice=self.get_object())
        return Response(self.get_serializer(Invoice.objects.prefetch_related("lines").get(pk=copy.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The invoice as PDF (issued invoices only)."""
        from fortycrm.invoice_document import invoice_filename, invoice_pdf

        invoice = self.get_object()
        if invoice.is_draft:
            return Response({"detail": _("A draft has no invoice document yet. Issue the invoice first.")}, status=status.HTTP_409_CONFLICT)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
        return response

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["get"])
    def facturx(self, request, pk=None):
        """ZUGFeRD/Factur-X: the PDF with the EN 16931 CII XML embedded (issued invoices only)."""
        from fortycrm.einvoice import invoice_facturx_pdf
        from fortycrm.invoice_document import invoice_filename

        invoice = self.get_object()
        if invoice.is_draft:
            return Response({"detail": _("A draft has no invoice document yet. Issue the invoice first.")}, status=status.HTTP_409_CONFLICT)
        response = HttpResponse(invoice_facturx_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
        return response

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY, 409: ERROR_RESPONSES[400]})
    @action(detail=True, methods=["get"])
    def xrechnung(self, request, pk=None):
        """XRechnung (CII XML) with the customer's Leitweg-ID as buyer reference (issued invoices only)."""
        from fortycrm.einvoice import invoice_cii_xml
        from fortycrm.invoice_document import invoice_filename

        invoice = self.get_object()
        if invoice.is_draft:
            return Response({"detail": _("A draft has no invoice document yet. Issue the invoice first.")}, status=status.HTTP_409_CONFLICT)
        response = HttpResponse(invoice_cii_xml(invoice, xrechnung=True), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice, "xml")}"'
        return response


class CustomFieldViewSet(ServiceViewSet):
    """Custom field definitions (Eigene Felder); writes follow the desk's rules."""

    serializer_class = custom_field_api.CustomFieldSerializer
    queryset = CustomField.objects.order_by("object_type", "position", "name")

    def delete_with(self, instance: CustomField) -> None:
        custom_field_services.customfield_delete(field=instance)


class CostBearerViewSet(ServiceViewSet):
    """Cost bearers (Kostenträger, R-PAY-1). One still assigned to customers cannot be deleted."""

    serializer_class = CostBearerSerializer
    queryset = CostBearer.objects.all()
    filterset_class = CostBearerFilter

    def delete_with(self, instance: CostBearer) -> None:
        payers.cost_bearer_delete(cost_bearer=instance)


class CustomerCostBearerViewSet(BudgetMixin, ServiceViewSet):
    """Cost bearers assigned to customers (filter ``?customer=``), with the budget on a day."""

    serializer_class = CustomerCostBearerSerializer
    queryset = CustomerCostBearer.objects.all()
    filterset_class = CustomerCostBearerFilter

    def delete_with(self, instance: CustomerCostBearer) -> None:
        payers.assignment_delete(link=instance)


class ServicePriceViewSet(ServiceViewSet):
    """The price list (R-PAY-2): prices per service kind, defaults (no customer) and customers' own."""

    serializer_class = ServicePriceSerializer
    queryset = ServicePrice.objects.all()
    filterset_class = ServicePriceFilter

    def delete_with(self, instance: ServicePrice) -> None:
        payers.service_price_delete(price=instance)


class IntakeView(APIView):
    """Website intake: one POST creates a prospect with contact and optional location."""

    intake_endpoint = True  # see permissions.ScopeOrModelPermission
    throttle_classes = [IntakeRateThrottle]
    parser_classes = [LimitedJSONParser, LimitedFormParser, LimitedMultiPartParser]
    serializer_class = intake.IntakeSerializer

    @extend_schema(
        request=intake.IntakeSerializer,
        parameters=[OpenApiParameter(intake.IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, description="Same key again → same answer, nothing new")],
        responses={
            201: intake.IntakeResultSerializer,
            400: ERROR_RESPONSES[400],
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="Idempotency-Key used before with another body"),
            429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests; see Retry-After"),
        },
    )
    def post(self, request):
        serializer = intake.IntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = (request.headers.get(intake.IDEMPOTENCY_HEADER) or "").strip()
        if len(key) > intake.MAX_IDEMPOTENCY_KEY:
            raise drf_serializers.ValidationError(
                {intake.IDEMPOTENCY_HEADER: [_("The Idempotency-Key may have at most %(max)d characters.") % {"max": intake.MAX_IDEMPOTENCY_KEY}]}
            )
        if not key:
            return Response(intake_services.intake_create(data=serializer.validated_data), status=status.HTTP_201_CREATED)
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        code, body, outcome = intake_services.intake_idempotent(
            owner=intake_services.intake_owner(api_key=api_key, user=request.user),
            key=key,
            fingerprint=intake_services.request_fingerprint(request.data),
            data=serializer.validated_data,
            api_key=api_key,
        )
        if outcome == "conflict":
            return Response(
                {intake.IDEMPOTENCY_HEADER: [_("This Idempotency-Key was already used for a different request. Use a new key for a new enquiry.")]},
                status=status.HTTP_409_CONFLICT,
            )
        response = Response(body, status=code)
        if outcome == "replayed":
            response["Idempotent-Replayed"] = "true"
        return response
