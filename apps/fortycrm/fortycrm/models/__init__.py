from fortycrm.models.base import TimeStamped
from fortycrm.models.billing import BillingRunLog, Invoice, InvoiceLine, Order
from fortycrm.models.contacts import Contact
from fortycrm.models.customers import Customer, CustomerSearchTerm, CustomerStatus, NumberSequence, RecordSearchTerm, Tag
from fortycrm.models.fields import ContactFieldValue, CustomerFieldValue, CustomField, LocationFieldValue, StandardFieldRule
from fortycrm.models.generations import DataGeneration
from fortycrm.models.import_logs import ImportLog
from fortycrm.models.integration import ApiKey, IntakeRequest
from fortycrm.models.locations import Assignment, Location, LocationSupplier, Supplier
from fortycrm.models.meters import Meter, MeterReading
from fortycrm.models.payers import CostBearer, CustomerCostBearer, CustomerDefaults, CustomerSettings, Letterhead, ServicePrice
from fortycrm.models.ratelimit import RateCounter
from fortycrm.models.site_settings import SiteSettings
from fortycrm.models.staff import StaffMember
from fortycrm.models.webforms import WebForm, WebFormSubmission
from fortycrm.models.webhooks import Event, WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiKey",
    "Assignment",
    "Contact",
    "ContactFieldValue",
    "CostBearer",
    "Customer",
    "CustomerCostBearer",
    "CustomerFieldValue",
    "CustomerSearchTerm",
    "RecordSearchTerm",
    "CustomerDefaults",
    "CustomerSettings",
    "CustomerStatus",
    "CustomField",
    "DataGeneration",
    "Event",
    "ImportLog",
    "IntakeRequest",
    "BillingRunLog",
    "Invoice",
    "InvoiceLine",
    "Letterhead",
    "Location",
    "LocationFieldValue",
    "LocationSupplier",
    "Meter",
    "MeterReading",
    "NumberSequence",
    "Order",
    "RateCounter",
    "ServicePrice",
    "StandardFieldRule",
    "SiteSettings",
    "StaffMember",
    "Supplier",
    "Tag",
    "TimeStamped",
    "WebForm",
    "WebFormSubmission",
    "WebhookDelivery",
    "WebhookSubscription",
]
