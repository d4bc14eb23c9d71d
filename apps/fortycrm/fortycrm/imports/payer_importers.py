"""Import of cost bearers and of their assignments to customers (R-PAY-1), row by row
through ``services.payers``; each row in a savepoint, so all problems of the file are listed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fortycrm.imports.importer_base import norm
from fortycrm.imports.results import Row
from fortycrm.imports.row_importers import RowImporter
from fortycrm.models import CostBearer, CustomerCostBearer, ServicePrice
from fortycrm.services import payers


class CostBearerImporter(RowImporter):
    KEYS = ["name", "kind", "ik", "street", "postcode", "city", "country", "contact", "email", "phone", "notes"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def save_row(self, row: Row) -> str:
        key = row.values.get("ik") or norm(row.values["name"])
        if key in self.seen:
            self.duplicate(row, "ik" if row.values.get("ik") else "name", _("Possible duplicate: the same cost bearer as row %(other)s.") % {"other": self.seen[key]})
        else:
            self.seen[key] = row.number
            ik = row.values.get("ik")
            other = (CostBearer.objects.filter(ik=ik) if ik else CostBearer.objects.filter(name__iexact=row.values["name"])).first()
            if other is not None:
                self.duplicate(row, "ik" if ik else "name", _("Possible duplicate: the cost bearer “%(name)s” already exists.") % {"name": other.name})
        bearer = CostBearer(**self.fields(row, self.KEYS, {"country": "DE"}))
        bearer._history_user = self.user
        bearer._change_reason = self.reason
        payers.cost_bearer_save(cost_bearer=bearer)
        return bearer.name


class CustomerCostBearerImporter(RowImporter):
    KEYS = ["insurance_number", "share_percent", "monthly_budget", "carry_over", "valid_from", "valid_until", "priority", "notes"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._bearers: dict[str, CostBearer | ValidationError] = {}

    def bearer(self, value: str) -> CostBearer:
        """A cost bearer by IK or (unique) name."""
        key = norm(value)
        if key not in self._bearers:
            found = list(CostBearer.objects.filter(ik=value.strip())[:2]) if value.strip().isdigit() else []
            found = found or list(CostBearer.objects.filter(name__iexact=" ".join(value.split()))[:2])
            if len(found) == 1:
                self._bearers[key] = found[0]
            else:
                message = (
                    _("Several cost bearers are named “%(value)s”. Enter the IK instead.")
                    if found
                    else _("There is no cost bearer with the IK or name “%(value)s”. Import the cost bearers first or correct the cell.")
                )
                self._bearers[key] = ValidationError({"cost_bearer": message % {"value": value}})
        found = self._bearers[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        bearer = self.bearer(row.values["cost_bearer"])
        data = self.fields(row, self.KEYS, {"priority": 1, "carry_over": CustomerCostBearer.CarryOver.NEXT_JUNE})
        for key in ("share_percent", "monthly_budget", "valid_until"):
            data[key] = row.values.get(key)
        link = CustomerCostBearer(customer=customer, cost_bearer=bearer, **data)
        link._history_user = self.user
        link._change_reason = self.reason
        payers.assignment_save(link=link)
        return f"{bearer.name} ({customer.display_name})"


class ServicePriceImporter(RowImporter):
    """The price list (R-PAY-2): one entry per row through ``payers.service_price_save``; a
    service kind that already has a price (for that customer or as default) is refused there."""

    def save_row(self, row: Row) -> str:
        number = row.values.get("customer")
        customer = self.customer_by_number(number) if number is not None else None
        price = ServicePrice(customer=customer, service_kind=row.values["service_kind"], price=row.values["price"],
                             unit=row.values.get("unit") or ServicePrice.Unit.HOUR)
        price._history_user = self.user
        price._change_reason = self.reason
        payers.service_price_save(price=price)
        return f"{price.service_kind} ({customer.display_name if customer else _('default price')})"


# --- R-PAY-2: optional settings columns of the customer templates ----------------------------
class CustomerSettingsColumns:
    """The customer's own settings from the optional columns; empty cells mean "as default"
    (insert) or "unchanged" (update). Checked with the customer row, saved after it."""

    def __init__(self, importer):
        self.importer = importer
        self._letterheads: dict[str, object] | None = None
        self._keys: list[str] | None = None

    def values(self, row: Row) -> dict:
        if self._keys is None:
            from fortycrm.imports.columns import SETTINGS_KEYS

            self._keys = [key for key in SETTINGS_KEYS if key in row.values]  # the file's settings columns (every row has the file's keys)
        if not self._keys:
            return {}  # a file without settings columns (most)
        cells = row.values
        values = {key: cells[key] for key in self._keys if cells.get(key) is not None}
        if "letterhead" in values:
            if self._letterheads is None:
                from fortycrm.models import Letterhead

                self._letterheads = {norm(lh.name): lh for lh in Letterhead.objects.all()}
            found = self._letterheads.get(norm(values["letterhead"]))
            if found is None:
                raise ValidationError({"letterhead": _("There is no letterhead named “%(value)s”. Upload it under Settings → Letterheads first.") % {"value": values["letterhead"]}})
            values["letterhead"] = found
        return values

    def check(self, row: Row) -> None:
        try:
            values = self.values(row)
            if values:
                from fortycrm.models import CustomerSettings

                own = CustomerSettings(**values)
                payers.customer_settings_check(own, exclude=["customer"])
        except ValidationError as exc:
            self.importer.validation_error(row, exc)

    def save(self, row: Row, customer) -> bool:
        """Save the row's own settings of ``customer``; True when it has any."""
        values = self.values(row)
        if values:
            payers.customer_settings_save(customer=customer, values=values)
        return bool(values)


def export_setting(customer, key: str):
    """A customer's own setting as the import reads it back; empty: as default."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.utils import formats

    try:
        own = customer.own_settings
    except ObjectDoesNotExist:
        return ""
    value = getattr(own, key)
    if key == "letterhead":
        return value.name if value else ""
    if key == "delivery":
        return str(dict(own._meta.get_field("delivery").choices).get(value, "")) if value else ""
    if value is None:
        return ""
    if hasattr(value, "as_tuple"):  # Decimal: with decimal comma as the import reads it
        return formats.number_format(value, 2, use_l10n=True)
    return value
