"""Desk pages of billing: the billing run ("Abrechnungslauf"), issuing, cancelling, the PDF and
the revenue list ("Umsätze"). Mixed into InvoiceAdmin; every write goes through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fortycrm import jobs
from fortycrm.models import BillingRunLog, CustomerStatus, Invoice, Tag
from fortycrm.models.billing import money
from fortycrm.revenue import RevenueFilter, revenue_csv, revenue_rows
from fortycrm.services import billing as services
from fortycrm.services.billing_run import billing_plan, billing_run


class BillingRunForm(forms.Form):
    month = forms.CharField(label=gettext_lazy("Month (YYYY-MM)"), max_length=7)


class RevenueForm(forms.Form):
    month_from = forms.CharField(label=gettext_lazy("From month (YYYY-MM)"), max_length=7, required=False)
    month_to = forms.CharField(label=gettext_lazy("To month (YYYY-MM)"), max_length=7, required=False)
    account_manager = forms.ModelChoiceField(label=gettext_lazy("account manager"), queryset=None, required=False)
    status = forms.ModelChoiceField(label=gettext_lazy("status"), queryset=CustomerStatus.objects.all(), required=False)
    tag = forms.ModelChoiceField(label=gettext_lazy("tag"), queryset=Tag.objects.all(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from fortycrm.selectors import account_manager_candidates

        self.fields["account_manager"].queryset = account_manager_candidates()


def _message_of(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


class BillingDeskViews:
    """URLs: billing-run/, revenue/, <id>/issue/, <id>/cancel/, <id>/pdf/."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        custom = [
            path("billing-run/", wrap(self.billing_run_view), name="fortycrm_invoice_billing_run"),
            path("billing-run/<int:log_id>/", wrap(self.billing_run_job_view), name="fortycrm_invoice_billing_run_job"),
            path("billing-run/<int:log_id>/progress/", wrap(self.billing_run_progress_view), name="fortycrm_invoice_billing_run_progress"),
            path("revenue/", wrap(self.revenue_view), name="fortycrm_invoice_revenue"),
            path("<int:pk>/issue/", wrap(require_POST(self.issue_view)), name="fortycrm_invoice_issue"),
            path("<int:pk>/cancel/", wrap(require_POST(self.cancel_view)), name="fortycrm_invoice_cancel"),
            path("<int:pk>/pdf/", wrap(self.pdf_view), name="fortycrm_invoice_pdf"),
            path("<int:pk>/facturx/", wrap(self.pdf_view), {"kind": "facturx"}, name="fortycrm_invoice_facturx"),
            path("<int:pk>/xrechnung/", wrap(self.pdf_view), {"kind": "xrechnung"}, name="fortycrm_invoice_xrechnung"),
        ]
        return custom + super().get_urls()

    def _need(self, request, perm: str) -> None:
        if not request.user.has_perm(f"fortycrm.{perm}_invoice"):
            raise PermissionDenied

    def _page(self, request, template: str, title: str, **context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **context,
        })

    def billing_run_view(self, request):
        self._need(request, "add")
        today = timezone.localdate()
        default = today.strftime("%Y-%m")
        form = BillingRunForm(request.POST or None, initial={"month": default})
        preview = None
        if request.method == "POST" and form.is_valid():
            commit = "commit" in request.POST
            try:
                if commit and jobs.jobs_async():
                    planned = billing_plan(form.cleaned_data["month"])
                    if len(planned.invoices) > jobs.billing_job_threshold():
                        log = BillingRunLog.objects.create(month=planned.month, planned=len(planned.invoices), user=request.user)
                        jobs.enqueue(jobs.billing_run_job, log.pk)
                        return redirect("admin:fortycrm_invoice_billing_run_job", log.pk)
                result = billing_run(form.cleaned_data["month"], dry_run=not commit)
            except ValidationError as exc:
                form.add_error(None, _message_of(exc))
            else:
                if commit:
                    messages.success(request, _("Billing run %(month)s: %(count)d draft invoice(s) created.") % {
                        "month": result.month, "count": len(result.created_ids)})
                    return redirect(f"{reverse('admin:fortycrm_invoice_changelist')}?is_draft__exact=1")
                preview = result.as_dict(limit=500)
                for invoice in preview["invoices"]:
                    invoice["net_display"] = money(Decimal(invoice["net_total"]))
                    invoice["gross_display"] = money(Decimal(invoice["gross_total"]))
                for key in ("net", "vat", "gross"):
                    preview[f"{key}_display"] = money(Decimal(preview[f"{key}_total"]))
        return self._page(request, "fortycrm/admin/billing_run.html", _("Billing run"), form=form, preview=preview)

    def billing_run_job_view(self, request, log_id: int):
        self._need(request, "add")
        log = get_object_or_404(BillingRunLog, pk=log_id)
        return self._page(
            request, "fortycrm/admin/billing_run_job.html", _("Billing run"), log=log, progress=jobs.billing_run_progress(log),
            progress_url=reverse("admin:fortycrm_invoice_billing_run_progress", args=[log.pk]),
            running=log.state in (BillingRunLog.State.QUEUED, BillingRunLog.State.RUNNING),
        )

    def billing_run_progress_view(self, request, log_id: int):
        self._need(request, "add")
        return JsonResponse(jobs.billing_run_progress(get_object_or_404(BillingRunLog, pk=log_id)))

    def issue_view(self, request, pk: int):
        self._need(request, "change")
        invoice = get_object_or_404(Invoice, pk=pk)
        from fortycrm.admin.billing import conversion_message, had_number

        numbered = had_number(invoice.customer)
        try:
            invoice = services.invoice_issue(invoice=invoice)
        except ValidationError as exc:
            messages.error(request, _message_of(exc))
        else:
            messages.success(request, _("Invoice %(number)s issued, due on %(due)s.") % {
                "number": invoice.number, "due": invoice.due_date.strftime("%d.%m.%Y")})
            if not numbered:
                conversion_message(request, invoice.customer)
        return redirect("admin:fortycrm_invoice_change", pk)

    def cancel_view(self, request, pk: int):
        self._need(request, "add")
        invoice = get_object_or_404(Invoice, pk=pk)
        try:
            copy = services.invoice_cancel(invoice=invoice)
        except ValidationError as exc:
            messages.error(request, _message_of(exc))
            return redirect("admin:fortycrm_invoice_change", pk)
        messages.success(request, _("Cancellation invoice %(number)s issued for invoice %(original)s.") % {
            "number": copy.number, "original": invoice.number})
        return redirect("admin:fortycrm_invoice_change", copy.pk)

    def pdf_view(self, request, pk: int, kind: str = "pdf"):
        """The invoice PDF; ``facturx``: with the EN 16931 XML embedded; ``xrechnung``: the XRechnung XML."""
        self._need(request, "view")
        from fortycrm.einvoice import invoice_cii_xml, invoice_facturx_pdf
        from fortycrm.invoice_document import invoice_filename, invoice_pdf

        invoice = get_object_or_404(Invoice, pk=pk)
        if invoice.is_draft:
            messages.error(request, _("A draft has no invoice document yet. Issue the invoice first."))
            return redirect("admin:fortycrm_invoice_change", pk)
        if kind == "xrechnung":
            response = HttpResponse(invoice_cii_xml(invoice, xrechnung=True), content_type="application/xml")
            response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice, "xml")}"'
            return response
        data = invoice_facturx_pdf(invoice) if kind == "facturx" else invoice_pdf(invoice)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_filename(invoice)}"'
        return response

    def revenue_view(self, request):
        self._need(request, "view")
        form = RevenueForm(request.GET or None)
        rows, total, flt = [], None, None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            params = {
                "from": data["month_from"], "to": data["month_to"],
                "account_manager": data["account_manager"].pk if data["account_manager"] else "",
                "status": data["status"].pk if data["status"] else "",
                "tag": data["tag"].pk if data["tag"] else "",
            }
            try:
                flt = RevenueFilter.from_params(params)
            except ValidationError as exc:
                form.add_error(None, _message_of(exc))
        elif not form.is_bound:
            flt = RevenueFilter(month_from=timezone.localdate().replace(day=1) - dt.timedelta(days=365))
        if flt is not None:
            rows, total = revenue_rows(flt)
            fmt = request.GET.get("export")
            if fmt == "csv":
                response = HttpResponse(revenue_csv(rows, total), content_type="text/csv; charset=utf-8")
                response["Content-Disposition"] = 'attachment; filename="umsaetze.csv"'
                return response
            if fmt == "xlsx":
                response = HttpResponse(
                    revenue_xlsx(rows, total), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                )
                response["Content-Disposition"] = 'attachment; filename="umsaetze.xlsx"'
                return response
        shown = [{**row, "net_display": money(row["net"])} for row in rows]
        query = request.GET.copy()
        query.pop("export", None)
        return self._page(
            request, "fortycrm/admin/revenue.html", _("Revenue"), form=form, rows=shown,
            total=money(total) if total is not None else None, query=query.urlencode(),
        )


def revenue_xlsx(rows: list[dict], total) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Revenue")[:31]
    sheet.append([_("month"), _("customer number"), _("customer"), _("net revenue")])
    for row in rows:
        sheet.append([row["month"], row["customer_number"], row["customer_name"], float(row["net"])])
    sheet.append([_("total"), None, None, float(total)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
