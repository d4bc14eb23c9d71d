"""The import templates (R-IMP-1): which columns each template has, and what they accept."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# value kinds understood by fortycrm.imports.parsing.convert
TEXT, INT, DECIMAL, DATE, DATETIME, BOOL, CHOICE, EMAIL, TAGS, URL = (
    "text", "int", "decimal", "date", "datetime", "bool", "choice", "email", "tags", "url",
)
CUSTOM = "custom"  # a custom field (R-FLD): parsed by fortycrm.custom_fields.value_from_text


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    kind: str = TEXT
    required: bool = False
    help: Promise | str = ""
    choices: tuple[tuple[str, Promise], ...] = ()
    aliases: tuple[str, ...] = ()
    definition: Any = field(default=None, compare=False)  # the CustomField of a CUSTOM column


@dataclass(frozen=True)
class Template:
    key: str
    title: Promise
    columns: tuple[Column, ...]
    customer_kind: str | None = None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def is_customer(self) -> bool:
        return self.customer_kind is not None


SALUTATIONS = (
    ("ms", pgettext_lazy("import value", "Ms")),
    ("mr", pgettext_lazy("import value", "Mr")),
    ("diverse", pgettext_lazy("import value", "Diverse")),
)
# accepted spellings besides the labels in either language
SALUTATION_ALIASES = {"frau": "ms", "fr.": "ms", "herr": "mr", "hr.": "mr", "mrs": "ms", "mrs.": "ms", "mr.": "mr", "ms.": "ms", "d": "diverse"}

METER_KINDS = (
    ("electricity", pgettext_lazy("import value", "Electricity")),
    ("gas", pgettext_lazy("import value", "Gas")),
    ("water", pgettext_lazy("import value", "Water")),
    ("heat", pgettext_lazy("import value", "Heat")),
    ("other", pgettext_lazy("import value", "Other")),
)
METER_KIND_ALIASES = {"wärme": "heat", "fernwärme": "heat", "sonstige": "other", "sonstiges": "other", "power": "electricity"}


#: English synonyms among the aliases (all others are German); they decide, with the labels,
#: in which language a file's headers are written (parsing.number_style)
ENGLISH_ALIASES = frozenset({
    "customer no", "customer no.", "company", "company name", "zip", "zip code", "postal code", "post code", "town",
    "phone number", "telephone", "mobile phone", "cell phone", "email", "e-mail address", "email address", "homepage", "url",
    "vat number", "vat no", "first name", "given name", "surname", "family name", "date of birth", "meter no", "date", "reading",
    "comment", "notes", "remarks", "street address", "account manager", "labels",
})


def make_column(key, label, kind=TEXT, required=False, help="", choices=(), aliases=()):  # noqa: A002
    return Column(key=key, label=label, kind=kind, required=required, help=help, choices=choices, aliases=aliases)


CUSTOMER_NUMBER = make_column(
    "number", pgettext_lazy("import column", "Customer number"), INT,
    help=_("Whole number. Leave empty: customers in a status with customer number get the next free number."),
    aliases=("kdnr", "kd-nr", "kd.-nr.", "kundennr", "kundennr.", "kunden-nr", "kunden-nr.", "kunden nr", "customer no", "customer no.", "nr", "nr.",
             "nummer", "debitor", "debitorennummer", "debitoren-nr.", "debitorennr"),
)
STATUS = make_column("status", pgettext_lazy("import column", "Status"), help=_("Name of a customer status. Empty: the default status for new customers."),
                     aliases=("kundenstatus",))
ADDRESS = (
    # "Straße und Hausnummer": fortycrm keeps the house number in the street field
    make_column("street", pgettext_lazy("import column", "Street"), aliases=(
        "straße", "strasse", "str.", "straße und hausnummer", "straße/hausnummer", "straße / hausnummer", "straße + hausnummer",
        "straße, hausnummer", "straße hausnummer", "straße u. hausnummer", "straße u. hausnr.", "str. u. hausnr.", "straße/nr.",
        "straße und nr.", "hausanschrift", "street address")),
    make_column("postcode", pgettext_lazy("import column", "Postcode"), aliases=(
        "plz", "postleitzahl", "postleitz.", "zip", "zip code", "postal code", "post code")),
    make_column("city", pgettext_lazy("import column", "City"), aliases=("ort", "stadt", "wohnort", "ortschaft", "gemeinde", "town")),
    make_column("country", pgettext_lazy("import column", "Country"), help=_("Two-letter code, e.g. DE or AT. Empty: DE."),
                aliases=("land", "ländercode", "länderkennzeichen", "staat")),
)
PHONE_ALIASES = ("tel", "tel.", "telefon", "telefonnummer", "telefon-nr.", "tel.-nr.", "tel.nr.", "telefonnr.", "rufnummer", "festnetz",
                 "phone number", "telephone")
EMAIL_ALIASES = ("email", "mail", "e-mail-adresse", "e-mail adresse", "emailadresse", "mailadresse", "mail-adresse", "e-mail address",
                 "email address")
NOTES_ALIASES = ("notiz", "bemerkung", "bemerkungen", "anmerkung", "anmerkungen", "hinweis", "hinweise", "memo", "notes", "remarks")
COMMUNICATION = (
    make_column("phone", pgettext_lazy("import column", "Phone"), aliases=PHONE_ALIASES),
    make_column("mobile", pgettext_lazy("import column", "Mobile"), aliases=(
        "handy", "handynummer", "handynr.", "mobilnummer", "mobiltelefon", "mobilfunk", "mobilfunknummer", "mobil-nr.", "mobile phone", "cell phone")),
    make_column("email", pgettext_lazy("import column", "E-mail"), EMAIL, aliases=EMAIL_ALIASES),
)
CUSTOMER_TAIL = (
    make_column("website", pgettext_lazy("import column", "Website"), URL, help=_("Full address, e.g. https://www.example.de"),
       aliases=("homepage", "internet", "internetseite", "internetadresse", "web", "www", "url")),
    make_column("vat_id", pgettext_lazy("import column", "VAT id"), aliases=(
        "ust-id", "ustid", "ust-idnr", "ust-id-nr.", "ustidnr", "ust.-id", "umsatzsteuer-id", "umsatzsteuer-identifikationsnummer", "vat number", "vat no")),
    make_column("account_manager", pgettext_lazy("import column", "Account manager"),
       help=_("User name or e-mail of a user who belongs to at least one user group."),
       aliases=("betreuer", "betreuerin", "kundenbetreuerin", "zuständig", "zuständigkeit", "sachbearbeiter", "sachbearbeiterin", "account manager")),
    make_column("tags", pgettext_lazy("import column", "Tags"), TAGS, help=_("Separate several tags with commas or semicolons; new tags are created."),
       aliases=("schlagworte", "schlagwort", "stichwörter", "stichworte", "kategorien", "kategorie", "merkmale", "labels")),
    make_column("start_date", pgettext_lazy("import column", "Customer since"), DATE, aliases=("kunde ab", "kundenbeginn", "beginn")),
    make_column("end_date", pgettext_lazy("import column", "Customer until"), DATE, aliases=("kundenende", "ende")),
    make_column("combine_invoices", pgettext_lazy("import column", "Combine invoices"), BOOL, aliases=("sammelrechnung",)),
    make_column("notes", pgettext_lazy("import column", "Notes"), aliases=NOTES_ALIASES),
)
def _delivery_choices():
    from fortycrm.models.payers import Delivery

    return tuple(Delivery.choices)


#: R-PAY-2: optional columns of the customer templates; an empty cell means "as default"
SETTINGS_COLUMNS = (
    make_column("payment_days", pgettext_lazy("import column", "Payment terms (days)"), INT, help=_("Empty: as default (Customer settings)."),
       aliases=("zahlungsziel", "zahlungsziel in tagen", "zahlungsfrist")),
    make_column("discount_percent", pgettext_lazy("import column", "Discount (%)"), DECIMAL, aliases=("skonto", "skonto %", "skonto in %")),
    make_column("discount_days", pgettext_lazy("import column", "Discount days"), INT, aliases=("skontotage", "skontofrist")),
    make_column("letterhead", pgettext_lazy("import column", "Letterhead"), help=_("Name of an uploaded letterhead."), aliases=("briefpapier", "briefbogen")),
    make_column("delivery", pgettext_lazy("import column", "Document delivery"), CHOICE, choices=_delivery_choices(),
       aliases=("versand", "versandart", "rechnungsversand", "zustellung")),
    make_column("invoice_email", pgettext_lazy("import column", "Invoice e-mail"), EMAIL,
       aliases=("rechnungs-email", "rechnungsmail", "rechnungs-e-mail-adresse", "e-mail für rechnungen")),
    make_column("calendar_color", pgettext_lazy("import column", "Calendar colour"), help=_("#RRGGBB, e.g. #1E88E5."), aliases=("farbe", "kalenderfarbe")),
    make_column("hourly_rate", pgettext_lazy("import column", "Hourly rate (€)"), DECIMAL, aliases=("stundensatz", "stundenverrechnungssatz")),
)
SETTINGS_KEYS = frozenset(c.key for c in SETTINGS_COLUMNS)

PERSON = (
    make_column("salutation", pgettext_lazy("import column", "Salutation"), CHOICE, choices=SALUTATIONS, aliases=("briefanrede",)),
    make_column("title", pgettext_lazy("import column", "Title"), help=_("Academic title, e.g. Dr."), aliases=("akad. titel", "akademischer titel")),
    make_column("first_name", pgettext_lazy("import column", "First name"), aliases=("vornamen", "rufname", "first name", "given name")),
)

SHORT_NAME = make_column("short_name", pgettext_lazy("import column", "Short name"), aliases=("kurzbezeichnung", "suchname", "matchcode"))
LAST_NAME_ALIASES = ("nachname", "familienname", "zuname", "surname", "family name")

COMPANY_CUSTOMERS = Template(
    key="company_customers",
    title=_("Company customers"),
    customer_kind="company",
    columns=(
        CUSTOMER_NUMBER,
        STATUS,
        make_column("name", pgettext_lazy("import column", "Name"), required=True, help=_("Full legal name with legal form, e.g. Müller GmbH."),
           aliases=("firma", "firmenname", "firmierung", "unternehmen", "name der firma", "company", "company name")),
        SHORT_NAME,
        *ADDRESS,
        *COMMUNICATION,
        *CUSTOMER_TAIL,
        *SETTINGS_COLUMNS,
    ),
)

PRIVATE_CUSTOMERS = Template(
    key="private_customers",
    title=_("Private customers"),
    customer_kind="private",
    columns=(
        CUSTOMER_NUMBER,
        STATUS,
        *PERSON,
        make_column("last_name", pgettext_lazy("import column", "Last name"), required=True, aliases=("name", *LAST_NAME_ALIASES)),
        SHORT_NAME,
        *ADDRESS,
        *COMMUNICATION,
        *CUSTOMER_TAIL,
        *SETTINGS_COLUMNS,
    ),
)

CUSTOMER_REF = make_column(
    "customer", pgettext_lazy("import column", "Customer number"), INT, required=True,
    help=_("Number of an existing customer."), aliases=CUSTOMER_NUMBER.aliases,
)

LOCATION_ALIASES = ("einsatzort", "standort", "liegenschaft", "objektname")
METER_NUMBER_ALIASES = ("zählernr", "zählernr.", "zähler-nr.", "zähler-nummer", "zähler", "meter no")

CONTACTS = Template(
    key="contacts",
    title=_("Contacts"),
    columns=(
        CUSTOMER_REF,
        make_column("location", pgettext_lazy("import column", "Location"), help=_("Optional: name of one of the customer's locations."),
           aliases=LOCATION_ALIASES),
        *PERSON,
        make_column("last_name", pgettext_lazy("import column", "Last name"), required=True, aliases=LAST_NAME_ALIASES),
        make_column("role", pgettext_lazy("import column", "Role"), aliases=("funktion", "position", "rolle", "tätigkeit")),
        *COMMUNICATION,
        make_column("priority", pgettext_lazy("import column", "Priority"), INT, help=_("1 = most important. Empty: 1."), aliases=("prio", "rang")),
        make_column("birthday", pgettext_lazy("import column", "Birthday"), DATE, help=_("Only for contacts of private customers."),
           aliases=("geburtsdatum", "geb.", "geb.-datum", "geboren am", "date of birth")),
        make_column("notes", pgettext_lazy("import column", "Notes"), aliases=NOTES_ALIASES),
    ),
)

LOCATIONS = Template(
    key="locations",
    title=_("Locations"),
    columns=(
        CUSTOMER_REF,
        make_column("name", pgettext_lazy("import column", "Name"), required=True, help=_("Name of the location, e.g. Office building Hauptstraße."),
           aliases=("objekt", "bezeichnung", *LOCATION_ALIASES)),
        *ADDRESS,
        make_column("access_notes", pgettext_lazy("import column", "Access notes"), help=_("Keys, codes, entrance, parking."),
           aliases=("zugang", "zutritt", "schlüssel", "schlüsselinfo")),
        make_column("site_notes", pgettext_lazy("import column", "Site notes"), aliases=("objektnotizen", "hinweise zum objekt", *NOTES_ALIASES)),
        make_column("bill_separately", pgettext_lazy("import column", "Bill separately"), BOOL, aliases=("eigene rechnung", "getrennte rechnung")),
    ),
)

METERS = Template(
    key="meters",
    title=_("Meters"),
    columns=(
        CUSTOMER_REF,
        make_column("location", pgettext_lazy("import column", "Location"), required=True, help=_("Name of one of the customer's locations."),
           aliases=LOCATION_ALIASES),
        make_column("kind", pgettext_lazy("import column", "Kind"), CHOICE, required=True, choices=METER_KINDS, aliases=("art", "zählerart", "medium", "sparte")),
        make_column("number", pgettext_lazy("import column", "Meter number"), required=True, aliases=METER_NUMBER_ALIASES),
        make_column("unit", pgettext_lazy("import column", "Unit"), required=True, help=_("e.g. kWh, m³"), aliases=("maßeinheit", "einh.")),
        make_column("comment", pgettext_lazy("import column", "Comment"), help=_("Flat or installation place."),
           aliases=("einbauort", "bemerkung", "comment")),
        make_column("installed_on", pgettext_lazy("import column", "Installed on"), DATE, aliases=("einbaudatum", "eingebaut", "einbau")),
    ),
)

READINGS = Template(
    key="readings",
    title=_("Meter readings"),
    columns=(
        make_column("meter", pgettext_lazy("import column", "Meter number"), required=True, help=_("Number of an existing meter."),
           aliases=METER_NUMBER_ALIASES),
        make_column("customer", pgettext_lazy("import column", "Customer number"), INT,
           help=_("Optional: only needed when several meters share the meter number."), aliases=CUSTOMER_NUMBER.aliases),
        make_column("read_at", pgettext_lazy("import column", "Reading time"), DATETIME, required=True,
           help=_("Date, optionally with time: 31.12.2026 or 31.12.2026 14:30 or 2026-12-31."), aliases=("datum", "ablesedatum", "ablesung", "ablesetag", "date")),
        make_column("value", pgettext_lazy("import column", "Value"), DECIMAL, required=True, help=_("Meter value; decimal comma or point."),
           aliases=("stand", "wert", "ablesewert", "messwert", "reading")),
        make_column("is_exchange", pgettext_lazy("import column", "Meter exchange"), BOOL,
           help=_("yes when the meter was replaced; the value may then be lower than before."), aliases=("wechsel", "zählertausch", "tausch")),
        make_column("comment", pgettext_lazy("import column", "Comment"), aliases=("bemerkung", "notiz", "comment")),
    ),
)

# --- R-PAY-1: cost bearers and their assignments to customers -------------------------------
def _cost_bearer_kinds():
    from fortycrm.models.payers import CostBearerKind

    return tuple(CostBearerKind.choices)


def _carry_over_rules():
    from fortycrm.models.payers import CarryOver

    return tuple(CarryOver.choices)


COST_BEARERS = Template(
    key="cost_bearers",
    title=_("Cost bearers"),
    columns=(
        make_column("name", pgettext_lazy("import column", "Name"), required=True, aliases=("kostenträger", "kasse", "krankenkasse", "pflegekasse")),
        make_column("kind", pgettext_lazy("import column", "Kind"), CHOICE, required=True, choices=_cost_bearer_kinds(), aliases=("art",)),
        make_column("ik", pgettext_lazy("import column", "IK"), help=_("Institutionskennzeichen: 9 digits."),
           aliases=("institutionskennzeichen", "ik-nummer", "ik-nr.", "iknr")),
        *ADDRESS,
        make_column("contact", pgettext_lazy("import column", "Contact person"), aliases=("ansprechpartnerin", "kontaktperson", "kontakt")),
        make_column("email", pgettext_lazy("import column", "E-mail"), EMAIL, aliases=EMAIL_ALIASES),
        make_column("phone", pgettext_lazy("import column", "Phone"), aliases=PHONE_ALIASES),
        make_column("notes", pgettext_lazy("import column", "Notes"), aliases=NOTES_ALIASES),
    ),
)

CUSTOMER_COST_BEARERS = Template(
    key="customer_cost_bearers",
    title=_("Cost bearers of customers"),
    columns=(
        CUSTOMER_REF,
        make_column("cost_bearer", pgettext_lazy("import column", "Cost bearer"), required=True,
           help=_("IK or name of an existing cost bearer."), aliases=("kostenträger", "kasse")),
        make_column("insurance_number", pgettext_lazy("import column", "Insurance number"), aliases=("versichertennr", "versichertennr.", "versicherten-nr.", "kv-nummer")),
        make_column("share_percent", pgettext_lazy("import column", "Share (%)"), DECIMAL, help=_("Either a share or a monthly budget."), aliases=("anteil", "anteil in %", "anteil %")),
        make_column("monthly_budget", pgettext_lazy("import column", "Monthly budget (€)"), DECIMAL, aliases=("budget", "monatsbudget", "budget pro monat")),
        make_column("carry_over", pgettext_lazy("import column", "Carry-over"), CHOICE, choices=_carry_over_rules(),
           help=_("Empty: until 30 June of the following year."), aliases=("übertragung", "budgetübertrag", "restbudget")),
        make_column("valid_from", pgettext_lazy("import column", "Valid from"), DATE, required=True, aliases=("ab", "beginn", "gültig von")),
        make_column("valid_until", pgettext_lazy("import column", "Valid until"), DATE, aliases=("bis", "ende")),
        make_column("priority", pgettext_lazy("import column", "Priority"), INT, help=_("1 pays first. Empty: 1."), aliases=("prio", "rang")),
        make_column("notes", pgettext_lazy("import column", "Notes"), aliases=NOTES_ALIASES),
    ),
)

def _price_units():
    from fortycrm.models.payers import PriceUnit

    return tuple(PriceUnit.choices)


SERVICE_PRICES = Template(  # R-PAY-2: the price list
    key="service_prices",
    title=_("Price list"),
    columns=(
        make_column("customer", pgettext_lazy("import column", "Customer number"), INT,
           help=_("Empty: the default price for all customers; else the number of an existing customer."), aliases=CUSTOMER_NUMBER.aliases),
        make_column("service_kind", pgettext_lazy("import column", "Service kind"), required=True,
           help=_("As written in the orders, e.g. Unterhaltsreinigung."), aliases=("leistung", "leistungsart", "dienstleistung", "service")),
        make_column("unit", pgettext_lazy("import column", "Unit"), CHOICE, choices=_price_units(),
           help=_("Empty: per hour."), aliases=("einheit", "abrechnung", "preiseinheit")),
        make_column("price", pgettext_lazy("import column", "Price (€, net)"), DECIMAL, required=True,
           aliases=("preis", "preis (€)", "preis netto", "netto", "stundensatz", "pauschale", "betrag")),
    ),
)

TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (COMPANY_CUSTOMERS, PRIVATE_CUSTOMERS, CONTACTS, LOCATIONS, METERS, READINGS, COST_BEARERS, CUSTOMER_COST_BEARERS, SERVICE_PRICES)
}


# The model each template writes: importing a file needs its add permission (new rows) or its
# change permission (update mode); downloading the empty template needs its view permission.
TEMPLATE_MODELS = {
    "company_customers": "customer", "private_customers": "customer", "contacts": "contact", "locations": "location",
    "meters": "meter", "readings": "meterreading", "cost_bearers": "costbearer",
    "customer_cost_bearers": "customercostbearer", "service_prices": "serviceprice",
}


def template_permission(key: str, action: str) -> str:
    """``fortycrm.<action>_<model>`` for the template ``key`` (action: add, change or view)."""
    return f"fortycrm.{action}_{TEMPLATE_MODELS[key]}"


def import_permission(key: str, mode: str) -> str:
    return template_permission(key, "change" if mode == "update" else "add")


CUSTOM_FIELD_OBJECTS = {"company_customers": "customer", "private_customers": "customer", "contacts": "contact", "locations": "location"}


def custom_columns(template: Template) -> tuple[Column, ...]:
    """A column ``cf_<name>`` per custom field of the template's object type (R-FLD)."""
    from fortycrm import custom_fields
    from fortycrm.imports.parsing import header_lookup, normalize_header

    object_type = CUSTOM_FIELD_OBJECTS.get(template.key)
    if object_type is None:
        return ()
    taken = header_lookup(template)  # the standard columns' names and synonyms in every language
    result = []
    for d in custom_fields.definitions(object_type):
        if not custom_fields.applies(d, template.customer_kind):
            continue
        # a label that a standard column already uses (e.g. "Stundensatz") gets the technical
        # name added, so the header stays unique and the file reads back into the same column
        label = d.label if normalize_header(d.label) not in taken else f"{d.label} ({d.name})"
        aliases = tuple(a for a in (d.label_en,) if a and normalize_header(a) not in taken)
        result.append(Column(
            key=custom_fields.field_key(d.name), label=label, kind=CUSTOM,
            required=d.required and d.default is None, help=d.help_text, aliases=aliases, definition=d,
        ))
    return tuple(result)


def with_standard_rules(template: Template) -> Template:
    """Standard columns that an admin made required (R-FLD-8) marked mandatory (`` *``).

    The rule itself is checked per record by the service; marking the column tells the office
    before it fills the file, and a file without that column is refused at its header.
    """
    from fortycrm import standard_fields

    object_type = CUSTOM_FIELD_OBJECTS.get(template.key)
    if object_type is None:
        return template
    names = standard_fields.required_names(object_type, template.customer_kind) & set(standard_fields.CONFIGURABLE[object_type])
    if not names:
        return template
    return replace(template, columns=tuple(replace(c, required=True) if c.key in names else c for c in template.columns))


def get_template(key: str) -> Template:
    """The template with the custom fields of its object type as extra columns and the
    admins' required standard fields marked."""
    try:
        template = with_standard_rules(TEMPLATES[key])
        return replace(template, columns=template.columns + custom_columns(template))
    except KeyError:
        from django.core.exceptions import ValidationError

        raise ValidationError(
            _("Unknown template “%(name)s”. Choose one of: %(names)s.") % {"name": key, "names": ", ".join(TEMPLATES)},
            code="unknown_template",
        ) from None
