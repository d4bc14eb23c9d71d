from fortycrm.models.base import TimeStamped
from fortycrm.models.billing import Invoice, InvoiceLine, Order
from fortycrm.models.contacts import Contact
from fortycrm.models.customers import Customer, CustomerStatus, NumberSequence, Tag
from fortycrm.models.generations import DataGeneration
from fortycrm.models.imports import ImportLog
from fortycrm.models.integration import ApiKey, IntakeRequest
from fortycrm.models.locations import Assignment, Location, LocationSupplier, Supplier
from fortycrm.models.meters import Meter, MeterReading
from fortycrm.models.payers import CostBearer, CustomerCostBearer, CustomerDefaults, CustomerSettings, Letterhead
from fortycrm.models.ratelimit import RateCounter
from fortycrm.models.settings import SiteSettings

__all__ = [
    "ApiKey",
    "Assignment",
    "Contact",
    "CostBearer",
    "Customer",
    "CustomerCostBearer",
    "CustomerDefaults",
    "CustomerSettings",
    "CustomerStatus",
    "DataGeneration",
    "ImportLog",
    "IntakeRequest",
    "Invoice",
    "InvoiceLine",
    "Letterhead",
    "Location",
    "LocationSupplier",
    "Meter",
    "MeterReading",
    "NumberSequence",
    "Order",
    "RateCounter",
    "SiteSettings",
    "Supplier",
    "Tag",
    "TimeStamped",
]
