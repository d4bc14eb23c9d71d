"""URLs of API v1 (mounted at /api/v1/ by the host project)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from fortycrm.api import billing as billing_views
from fortycrm.api import views, webhooks

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("statuses", views.StatusViewSet, basename="status")
router.register("tags", views.TagViewSet, basename="tag")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("locations", views.LocationViewSet, basename="location")
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("meters", views.MeterViewSet, basename="meter")
router.register("readings", views.ReadingViewSet, basename="reading")
router.register("orders", views.OrderViewSet, basename="order")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("custom-fields", views.CustomFieldViewSet, basename="customfield")
router.register("webhooks", webhooks.WebhookViewSet, basename="webhook")
router.register("cost-bearers", views.CostBearerViewSet, basename="cost-bearer")
router.register("customer-cost-bearers", views.CustomerCostBearerViewSet, basename="customer-cost-bearer")
router.register("service-prices", views.ServicePriceViewSet, basename="service-price")

app_name = "api"
urlpatterns = [
    path("intake/", views.IntakeView.as_view(), name="intake"),
    path("billing-runs/", billing_views.BillingRunView.as_view(), name="billing-run"),
    path("revenue/", billing_views.RevenueView.as_view(), name="revenue"),
    path("events/", webhooks.EventFeedView.as_view(), name="events"),
    # info.version is the plain semantic version of SPECTACULAR_SETTINGS; the generation (v1) is in the paths
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start script as a file, so the Content Security Policy allows it
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
