"""The product's URLs plus ``/bench/bare/``: the same 50 customers via ``.values()``, no DRF.

It exists only for the benchmark (the baseline of ratio (a)); it is not part of the product.
"""

from django.db.models import Exists, OuterRef
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns
from fortycrm.models import Customer, CustomerStatus, Tag

FIELDS = (
    "id", "kind", "number", "name", "short_name", "salutation", "title", "first_name", "last_name", "status_id",
    "status__name", "street", "postcode", "city", "country", "email", "phone", "mobile", "website", "vat_id",
    "account_manager_id", "combine_invoices", "logo", "created_at", "updated_at",
)


def bare(request):
    status = CustomerStatus.objects.get(name=request.GET["status"])
    tag = Tag.objects.get(normalized=Tag.normalize(request.GET["tag"]))
    through = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag_id=tag.pk)
    rows = list(
        Customer.objects.filter(status=status).filter(Exists(through)).order_by("-created_at", "-id").values(*FIELDS)[:50]
    )
    return JsonResponse({"results": rows})


urlpatterns = [path("bench/bare/", bare), *product_urlpatterns]
