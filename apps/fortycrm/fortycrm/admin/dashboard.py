"""Start page (R-DSK-1): birthdays, customers per status, recent changes and imports."""

from __future__ import annotations

from fortycrm.models import Customer, ImportLog
from fortycrm.selectors import new_enquiries, status_counts, upcoming_birthdays


def dashboard_callback(request, context):
    context.update(
        {
            "fortycrm_birthdays": upcoming_birthdays(),
            "fortycrm_enquiries": new_enquiries(request.user),
            "fortycrm_statuses": status_counts(),
            "fortycrm_recent": Customer.history.select_related("history_user").order_by("-history_date")[:10],
            "fortycrm_imports": (
                ImportLog.objects.select_related("user").order_by("-created_at")[:5] if request.user.has_perm("fortycrm.view_importlog") else []
            ),
        }
    )
    return context
