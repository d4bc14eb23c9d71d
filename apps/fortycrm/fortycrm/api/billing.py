"""API of the billing run (R-BIL-3), invoice issuing/cancelling/PDF (R-BIL-5) and the revenue list (R-BIL-4)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from fortycrm.models import Invoice
from fortycrm.revenue import RevenueFilter, revenue_csv, revenue_rows
from fortycrm.services.billing_run import billing_run

CONFLICT = OpenApiResponse(OpenApiTypes.OBJECT, description="The invoice is issued (immutable) or the action does not fit its state")


class BillingRunRequestSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM, at most the next month")
    dry_run = serializers.BooleanField(default=False, help_text="true: only the preview, nothing is created")


class BillingRunView(APIView):
    """``POST /api/v1/billing-runs/``: the monthly billing run; ``dry_run`` returns the preview."""

    queryset = Invoice.objects.none()  # permissions: creating invoices

    @extend_schema(request=BillingRunRequestSerializer, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request):
        data = BillingRunRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = billing_run(data.validated_data["month"], dry_run=data.validated_data["dry_run"])
        code = status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED
        return Response(result.as_dict(), status=code)


class RevenueView(APIView):
    """``GET /api/v1/revenue/?month=YYYY-MM&account_manager=<user id>``: net revenue per customer and month.

    Further filters: ``from``/``to`` (YYYY-MM), ``status``, ``tag`` (ids); ``export=csv`` for a CSV file.
    """

    queryset = Invoice.objects.none()  # permissions: viewing invoices

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, description=desc)
            for name, desc in [("month", "YYYY-MM"), ("from", "YYYY-MM"), ("to", "YYYY-MM"), ("account_manager", "user id"),
                               ("status", "status id"), ("tag", "tag id"), ("export", "csv: a CSV file instead of JSON")]
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        flt = RevenueFilter.from_params(request.query_params)
        rows, total = revenue_rows(flt)
        if request.query_params.get("export") == "csv":
            response = HttpResponse(revenue_csv(rows, total), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="umsaetze.csv"'
            return response
        return Response({
            "results": [{**row, "net": str(row["net"])} for row in rows],
            "total": str(total),
            "count": len(rows),
        })
