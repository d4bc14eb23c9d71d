"""Import commit service (R-IMP-3..5): all or nothing, every problem with row, column, value and hint.

One transaction per import. Every row goes through the same rules as the desk:

* company / private customers, insert mode — the fast path: rows are checked in memory
  in batches of 1,000 (``Customer.full_clean`` as ``customer_create`` does, status by name
  via ``status_resolve``, number rules via ``customer_check_number``, account manager only
  from users in a group as the desk form offers them, tags via ``tags_resolve``), numbers
  for the whole batch come from ``numbers.number_allocate_many`` under the counter lock,
  and rows are written with ``bulk_create_with_history`` (so every customer gets its
  "created" history entry, R-CUS-7) plus one bulk insert of the tag links.
* customers in update mode, contacts, locations, meters and readings go row by row
  through the services (``customer_update``, ``contact_save``, ``location_save``,
  ``meter_save``, ``reading_record``), each row in a savepoint so that all problems of
  the file are collected.

A preview (dry run) runs exactly the same code and rolls the transaction back, so the
preview shows what the commit will do, numbers included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fortycrm import uploads
from fortycrm.imports import columns as C
from fortycrm.imports.columns import Template, get_template
from fortycrm.imports.parsing import ConvertError, FileError, convert, count_rows, display, german_postcode, header_label, match_headers, open_table
from fortycrm.listcache import customer_data_changed
from fortycrm.models import Contact, Customer, ImportLog, Location, Meter, MeterReading, Tag
from fortycrm.services import numbers
from fortycrm.services.contacts import contact_save
from fortycrm.services.customers import customer_check_number, customer_update
from fortycrm.services.locations import location_save
from fortycrm.services.meters import meter_save, reading_record
from fortycrm.services.statuses import status_resolve
from fortycrm.services.tags import tags_resolve
from fortycrm.tagnames import tag_name_problem

BATCH_SIZE = 1000
MAX_STORED_PROBLEMS = 1000
PREVIEW_LIMIT = 200
INSERT, UPDATE = "insert", "update"
DUPLICATE = "duplicate"


@dataclass
class Problem:
    row: int
    column: str
    value: str
    message: str
    level: str = "error"
    code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column or '-'}: {self.message}"


@dataclass
class ImportResult:
    template: str
    mode: str = INSERT
    dry_run: bool = False
    total_rows: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, problem: Problem) -> None:
        if problem.level == "error":
            self.error_count += 1
            if len(self.errors) < MAX_STORED_PROBLEMS:
                self.errors.append(problem)
        else:
            self.warning_count += 1
            if len(self.warnings) < MAX_STORED_PROBLEMS:
                self.warnings.append(problem)

    def note(self, row: int, action: str, label: str) -> None:
        if len(self.preview) < PREVIEW_LIMIT:
            self.preview.append({"row": row, "action": action, "label": label})


@dataclass
class Row:
    number: int
    raw: dict[str, Any]
    values: dict[str, Any]
    failed_keys: set[str] = field(default_factory=set)
    failed: bool = False


class Importer:
    """Shared checks; subclasses implement ``process(batch)``."""

    field_columns: dict[str, str] = {}

    def __init__(self, *, template: Template, mode: str, user, allow_duplicates: bool, result: ImportResult, labels: dict[str, str], file_name: str):
        self.template = template
        self.mode = mode
        self.user = user
        self.allow_duplicates = allow_duplicates
        self.result = result
        self.labels = labels
        self.keys = {c.key for c in template.columns}
        self.reason = _("Import of %(file)s") % {"file": file_name} if file_name else _("Import")
        self._customers: dict[int, Customer | ValidationError] = {}

    # --- problems -------------------------------------------------------------------
    def column_label(self, key: str | None) -> str:
        if not key or key not in self.keys:
            return ""
        return self.labels.get(key) or header_label(self.template.column(key))

    def problem(self, row: Row, key: str | None, message: str, *, level: str = "error", code: str = "") -> None:
        key = key if key in self.keys else None
        if level == "error":
            row.failed = True
        self.result.add(
            Problem(row=row.number, column=self.column_label(key), value=display(row.raw.get(key)) if key else "", message=str(message), level=level, code=code)
        )

    def duplicate(self, row: Row, key: str, message: str) -> None:
        self.problem(row, key, message, level="warning" if self.allow_duplicates else "error", code=DUPLICATE)

    def validation_error(self, row: Row, exc: ValidationError | PermissionDenied) -> None:
        if isinstance(exc, PermissionDenied):
            self.problem(row, None, str(exc))
            return
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                key = self.field_columns.get(name, name)
                if key in row.failed_keys:
                    continue  # already reported (empty mandatory cell or unreadable value)
                # the model's own clean() message comes last and is the most specific
                self.problem(row, key, messages[-1])
        else:
            for message in exc.messages:
                self.problem(row, None, message)

    # --- lookups --------------------------------------------------------------------
    def customer_by_number(self, number: int) -> Customer:
        """An existing customer by number, or a ValidationError on the ``customer`` column."""
        if number not in self._customers:
            found = Customer.objects.select_related("status").filter(number=number).first()
            self._customers[number] = found or ValidationError(
                {"customer": _("There is no customer with customer number %(number)s. Check the number, or import the customers first.") % {"number": number}}
            )
        found = self._customers[number]
        if isinstance(found, ValidationError):
            raise found
        return found

    def process(self, batch: list[Row]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self) -> None:
        return None


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


class CustomerImporter(Importer):
    """Company or private customers; insert = bulk path, update = row by row through customer_update."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind = self.template.customer_kind
        self.field_keys = [c.key for c in self.template.columns if c.key not in {"number", "status", "account_manager", "tags"}]
        self._statuses: dict[str, Any] = {}
        self._users: dict[str, Any] | None = None
        self._tags: dict[str, Tag] = {}
        self.file_numbers: dict[int, int] = {}
        self.file_names: dict[tuple, int] = {}
        self.file_emails: dict[str, int] = {}

    # --- lookups --------------------------------------------------------------------
    def status(self, row: Row):
        name = row.values.get("status")
        key = _norm(name)
        if key not in self._statuses:
            try:
                self._statuses[key] = status_resolve(name or None)
            except ValidationError as exc:
                self._statuses[key] = exc
        found = self._statuses[key]
        if isinstance(found, ValidationError):
            self.validation_error(row, found)
            return None
        return found

    def account_manager(self, row: Row):
        """R-CUS-5: by user name or e-mail; only active users in at least one group."""
        wanted = row.values.get("account_manager")
        if not wanted:
            return None
        if self._users is None:
            User = get_user_model()
            in_group = set(User.objects.filter(groups__isnull=False).values_list("pk", flat=True))
            self._users = {}
            emails: dict[str, list] = {}
            for user in User.objects.all():
                user.in_group = user.pk in in_group
                self._users[_norm(user.get_username())] = user
                if user.email:
                    emails.setdefault(_norm(user.email), []).append(user)
            for email, users in emails.items():
                self._users.setdefault(email, users[0] if len(users) == 1 else users)
        found = self._users.get(_norm(wanted))
        if found is None:
            self.problem(row, "account_manager", _("There is no user with the user name or e-mail “%(value)s”. Enter the user name or e-mail of a desk user.") % {"value": wanted})
        elif isinstance(found, list):
            self.problem(row, "account_manager", _("Several users have the e-mail “%(value)s”. Enter the user name instead.") % {"value": wanted})
        elif not found.is_active:
            self.problem(row, "account_manager", _("The user “%(value)s” is deactivated and cannot be account manager. Choose an active user.") % {"value": wanted})
        elif not found.in_group:
            self.problem(
                row,
                "account_manager",
                _("The user “%(value)s” belongs to no user group, so it cannot be account manager. Add the user to a group (e.g. Büro) or choose another user.")
                % {"value": wanted},
            )
        else:
            return found
        return None

    def fields(self, row: Row) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key in self.field_keys:
            value = row.values.get(key)
            if key in row.failed_keys:
                continue
            if value is None:
                if self.mode == UPDATE:
                    continue  # empty cells leave the stored value unchanged
                value = {"country": "DE", "combine_invoices": False}.get(key, None)
                if value is None and key not in {"start_date", "end_date"}:
                    value = ""
            data[key] = value
        return data

    def tag_objects(self, names: list[str]) -> list[Tag]:
        missing = [n for n in names if Tag.normalize(n) not in self._tags]
        if missing:
            for tag in tags_resolve(missing):
                self._tags[tag.normalized] = tag
        return [self._tags[Tag.normalize(n)] for n in names]

    def check_tags(self, row: Row) -> None:
        for name in row.values.get("tags") or []:
            problem = tag_name_problem(name)
            if problem:
                self.problem(row, "tags", problem)

    # --- duplicates -----------------------------------------------------------------
    def name_key(self, customer: Customer) -> tuple:
        if self.kind == Customer.Kind.COMPANY:
            return (_norm(customer.name), _norm(customer.postcode))
        return (_norm(customer.last_name), _norm(customer.first_name), _norm(customer.postcode))

    def db_duplicates(self, customers: list[Customer]) -> tuple[dict[tuple, Customer], dict[str, Customer]]:
        only = ("pk", "kind", "number", "name", "short_name", "title", "first_name", "last_name", "postcode", "email")
        qs = Customer.objects.filter(kind=self.kind).only(*only)
        if self.kind == Customer.Kind.COMPANY:
            names = {c.name for c in customers if c.name}
            candidates = qs.filter(name__in=names) if names else []
        else:
            names = {c.last_name for c in customers if c.last_name}
            candidates = qs.filter(last_name__in=names) if names else []
        by_name = {self.name_key(c): c for c in candidates}
        emails = {c.email for c in customers if c.email} | {c.email.lower() for c in customers if c.email}
        by_email = {_norm(c.email): c for c in Customer.objects.filter(email__in=emails).only(*only)} if emails else {}
        return by_name, by_email

    def check_duplicates(self, row: Row, customer: Customer, by_name: dict, by_email: dict) -> None:
        if not (customer.name or customer.last_name):
            return
        key = self.name_key(customer)
        hint = _("Remove the row, use the mode “update existing” with the customer number, or choose “import possible duplicates anyway”.")
        if key in self.file_names:
            self.duplicate(row, "name" if self.kind == "company" else "last_name",
                           _("Possible duplicate: same name and postcode as row %(other)s.") % {"other": self.file_names[key]} + " " + hint)
        else:
            self.file_names[key] = row.number
            if key in by_name:
                other = by_name[key]
                self.duplicate(
                    row, "name" if self.kind == "company" else "last_name",
                    _("Possible duplicate: the customer “%(customer)s” (customer number %(number)s) has the same name and postcode.")
                    % {"customer": other.display_name, "number": other.number or "–"} + " " + hint,
                )
        email = _norm(customer.email)
        if email:
            if email in self.file_emails:
                self.duplicate(row, "email", _("Possible duplicate: same e-mail as row %(other)s.") % {"other": self.file_emails[email]} + " " + hint)
            else:
                self.file_emails[email] = row.number
                if email in by_email:
                    other = by_email[email]
                    self.duplicate(
                        row, "email",
                        _("Possible duplicate: the customer “%(customer)s” (customer number %(number)s) has the same e-mail.")
                        % {"customer": other.display_name, "number": other.number or "–"} + " " + hint,
                    )

    # --- the work -------------------------------------------------------------------
    def process(self, batch: list[Row]) -> None:
        if self.mode == UPDATE:
            self.process_update(batch)
        else:
            self.process_insert(batch)

    def process_insert(self, batch: list[Row]) -> None:
        wanted_numbers = [r.values["number"] for r in batch if r.values.get("number") is not None]
        owners = {c.number: c for c in Customer.objects.filter(number__in=wanted_numbers)} if wanted_numbers else {}
        checked: list[tuple[Row, Customer]] = []
        for row in batch:
            customer = Customer(kind=self.kind, **self.fields(row))
            status = self.status(row)
            customer.account_manager = self.account_manager(row)
            self.check_tags(row)
            number = row.values.get("number")
            if status is not None:
                customer.status = status
                if number is not None:
                    if number in self.file_numbers:
                        self.problem(row, "number", _("The customer number %(number)s appears more than once in the file (also in row %(other)s). Every number exists only once.")
                                     % {"number": number, "other": self.file_numbers[number]})
                    else:
                        self.file_numbers[number] = row.number
                        try:
                            customer_check_number(customer_pk=None, old_number=None, status=status, number=number, actor=self.user, owner_lookup=owners.get)
                            customer.number = number
                        except (ValidationError, PermissionDenied) as exc:
                            self.validation_error(row, exc)
            try:
                customer.full_clean(
                    exclude=["number", "status", "logo_thumbnail", "account_manager", *row.failed_keys], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                self.validation_error(row, exc)
            checked.append((row, customer))
        by_name, by_email = self.db_duplicates([c for _r, c in checked])
        for row, customer in checked:
            self.check_duplicates(row, customer, by_name, by_email)
        if self.result.error_count:
            return  # nothing will be written; keep checking the rest of the file
        self.write(checked)

    def write(self, checked: list[tuple[Row, Customer]]) -> None:
        customers = [c for _r, c in checked]
        numbered = [c for c in customers if c.status.with_number]
        for customer, number in zip(numbered, numbers.number_assign_many(numbers.CUSTOMER, [c.number for c in numbered])):
            customer.number = number
        tags_per_row = [self.tag_objects(row.values.get("tags") or []) for row, _c in checked]
        bulk_insert_customers(customers, user=self.user, reason=self.reason)
        Through = Customer.tags.through
        through_columns = [Through._meta.get_field("customer"), Through._meta.get_field("tag")]
        _insert(Through, through_columns, [[c.pk, t.pk] for c, tags in zip(customers, tags_per_row) for t in tags], returning=False)
        customer_data_changed()  # the bulk INSERTs send no signals; cached list counts must follow
        self.result.created += len(customers)
        for row, customer in checked:
            self.result.note(row.number, "create", f"{customer.number or ''} {customer.display_name}".strip())

    def process_update(self, batch: list[Row]) -> None:
        for row in batch:
            number = row.values.get("number")
            if number is None:
                if "number" not in row.failed_keys:
                    self.problem(row, "number", _("In the mode “update existing” every row needs the customer number of the customer to change."))
                continue
            if number in self.file_numbers:
                self.problem(row, "number", _("The customer number %(number)s appears more than once in the file (also in row %(other)s). Every number exists only once.")
                             % {"number": number, "other": self.file_numbers[number]})
                continue
            self.file_numbers[number] = row.number
            customer = Customer.objects.select_related("status").filter(number=number).first()
            if customer is None:
                self.problem(row, "number", _("There is no customer with customer number %(number)s. The mode “update existing” only changes existing customers; import new ones in the mode “insert new”.") % {"number": number})
                continue
            if customer.kind != self.kind:
                self.problem(row, "number", _("Customer number %(number)s belongs to “%(customer)s”, a customer of the other kind. Use the matching template.")
                             % {"number": number, "customer": customer.display_name})
                continue
            status = self.status(row) if row.values.get("status") else customer.status
            manager = self.account_manager(row)
            self.check_tags(row)
            if row.failed:
                continue
            fields = self.fields(row)
            if manager is not None:
                fields["account_manager"] = manager
            customer._history_user = self.user
            customer._change_reason = self.reason
            try:
                with transaction.atomic():
                    customer_update(customer, status=status, tags=row.values.get("tags"), actor=self.user, **fields)
            except (ValidationError, PermissionDenied) as exc:
                self.validation_error(row, exc)
                continue
            self.result.updated += 1
            self.result.note(row.number, "update", f"{customer.number} {customer.display_name}")


# --- the bulk write ----------------------------------------------------------------------
# Django's bulk_create spends most of its time compiling every value of every row through
# the generic insert compiler. For the customer fast path we issue the same statement
# (multi-row INSERT … RETURNING id, in batches) with values prepared once per field type.

_PLAIN_TYPES = {
    "CharField", "TextField", "EmailField", "URLField", "SlugField", "BooleanField", "ForeignKey", "OneToOneField",
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
}
_AUTO_TYPES = {"AutoField", "BigAutoField", "SmallAutoField"}


def _columns(model) -> list:
    return [f for f in model._meta.concrete_fields if not (f.primary_key and f.get_internal_type() in _AUTO_TYPES)]


def _insert(model, columns: list, rows: list[list[Any]], *, returning: bool) -> list[int]:
    """INSERT rows (values already prepared for the database) in batches; the new ids in row order."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    max_params = 30000
    if connection.vendor == "sqlite" and connection.Database.sqlite_version_info < (3, 32):
        max_params = 999
    per_statement = max(1, min(1000, max_params // len(columns)))
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) VALUES "
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = head + ", ".join([row_sql] * len(chunk))
            params = [value for row in chunk for value in row]
            if returning:
                cursor.execute(f"{sql} RETURNING {quote(model._meta.pk.column)}", params)
                # auto-increment ids grow in VALUES order within one statement
                ids.extend(sorted(r[0] for r in cursor.fetchall()))
            else:
                cursor.execute(sql, params)
    return ids


_FILE_TYPES = {"FileField", "ImageField"}


def _prepared_rows(objs: list, columns: list, connection) -> list[list[Any]]:
    """Values ready for the database, row by row.

    Plain values go as they are; file fields as their stored name (an import never uploads
    files); every other type is prepared once per distinct value (dates, the batch's single
    timestamp, the empty custom-field dict), not once per row.
    """
    plans = []
    for column in columns:
        kind = column.get_internal_type()
        plans.append((column.attname, "plain" if kind in _PLAIN_TYPES else "file" if kind in _FILE_TYPES else column))
    memos: dict[str, dict[Any, Any]] = {column.attname: {} for column in columns}
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = []
        for attname, plan in plans:
            value = values.get(attname)
            if plan == "plain":
                row.append(value)
            elif plan == "file":
                row.append(getattr(value, "name", value) or "")
            else:
                key = value if isinstance(value, Hashable) else json.dumps(value, sort_keys=True, default=str)
                memo = memos[attname]
                if key not in memo:
                    memo[key] = plan.get_db_prep_save(value, connection)
                row.append(memo[key])
        rows.append(row)
    return rows


def bulk_insert_customers(customers: list[Customer], *, user=None, reason: str = "") -> None:
    """Insert validated customers with their "created" history entries (R-CUS-7), as
    simple_history's ``bulk_create_with_history`` would, in a fraction of the time."""
    connection = connections[router.db_for_write(Customer)]
    now = timezone.now()
    for customer in customers:
        customer.created_at = customer.updated_at = now
    columns = _columns(Customer)
    rows = _prepared_rows(customers, columns, connection)
    ids = _insert(Customer, columns, rows, returning=True)
    for customer, pk in zip(customers, ids, strict=True):
        customer.pk = pk
        customer._state.adding = False
        customer._state.db = connection.alias
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    History = Customer.history.model
    history_columns = _columns(History)
    position = {f.attname: i for i, f in enumerate(columns)}
    meta = {
        "history_date": History._meta.get_field("history_date").get_db_prep_save(now, connection),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": getattr(user, "pk", None),
    }
    # per history column: the customer's id, a value of the customer's row, or a constant
    plan: list[tuple[str, Any]] = []
    for column in history_columns:
        if column.attname == "id":
            plan.append(("id", None))
        elif column.attname in position:
            plan.append(("row", position[column.attname]))
        elif column.attname in meta:
            plan.append(("const", meta[column.attname]))
        else:
            plan.append(("const", column.get_db_prep_save(column.get_default(), connection)))
    history_rows = [
        [customer.pk if kind == "id" else row[arg] if kind == "row" else arg for kind, arg in plan]
        for customer, row in zip(customers, rows)
    ]
    _insert(History, history_columns, history_rows, returning=False)


class RowImporter(Importer):
    """Row by row through the service of the model; each row in a savepoint."""

    def process(self, batch: list[Row]) -> None:
        for row in batch:
            if row.failed:
                continue
            try:
                with transaction.atomic():
                    label = self.save_row(row)
            except (ValidationError, PermissionDenied) as exc:
                self.validation_error(row, exc)
                continue
            if label is not None:
                self.result.created += 1
                self.result.note(row.number, "create", label)

    def save_row(self, row: Row) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fields(self, row: Row, keys: list[str], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        defaults = defaults or {}
        data = {}
        for key in keys:
            value = row.values.get(key)
            if value is None:
                value = defaults.get(key, "")
            data[key] = value
        return data

    def location_of(self, customer: Customer, name: str) -> Location:
        locations = list(customer.locations.all())
        for location in locations:
            if _norm(location.name) == _norm(name):
                return location
        known = ", ".join(f"“{loc.name}”" for loc in locations) or _("none yet")
        raise ValidationError(
            {"location": _("The customer “%(customer)s” has no location named “%(name)s”. Its locations: %(known)s. Import the locations first or correct the name.")
             % {"customer": customer.display_name, "name": name, "known": known}}
        )


class ContactImporter(RowImporter):
    KEYS = ["salutation", "title", "first_name", "last_name", "role", "phone", "mobile", "email", "priority", "birthday", "notes"]

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        location = self.location_of(customer, row.values["location"]) if row.values.get("location") else None
        contact = Contact(customer=customer, location=location, **self.fields(row, self.KEYS, {"priority": 1, "birthday": None}))
        contact._history_user = self.user
        contact._change_reason = self.reason
        contact_save(contact=contact)
        return f"{contact} ({customer.display_name})"


class LocationImporter(RowImporter):
    KEYS = ["name", "street", "postcode", "city", "country", "access_notes", "site_notes", "bill_separately"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[tuple, int] = {}

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        key = (customer.pk, _norm(row.values["name"]))
        if key in self.seen:
            self.duplicate(row, "name", _("Possible duplicate: the same customer and location name as row %(other)s.") % {"other": self.seen[key]})
        else:
            self.seen[key] = row.number
            if customer.locations.filter(name__iexact=row.values["name"]).exists():
                self.duplicate(row, "name", _("Possible duplicate: the customer “%(customer)s” already has a location named “%(name)s”.")
                               % {"customer": customer.display_name, "name": row.values["name"]})
        location = Location(customer=customer, **self.fields(row, self.KEYS, {"country": "DE", "bill_separately": False}))
        location._history_user = self.user
        location._change_reason = self.reason
        location_save(location=location)
        return f"{location.name} ({customer.display_name})"


class MeterImporter(RowImporter):
    KEYS = ["kind", "number", "unit", "comment", "installed_on"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: dict[str, int] = {}

    def save_row(self, row: Row) -> str:
        customer = self.customer_by_number(row.values["customer"])
        location = self.location_of(customer, row.values["location"])
        number = row.values["number"]
        if _norm(number) in self.seen:
            self.duplicate(row, "number", _("Possible duplicate: the meter number %(number)s also appears in row %(other)s.") % {"number": number, "other": self.seen[_norm(number)]})
        else:
            self.seen[_norm(number)] = row.number
            other = Meter.objects.filter(number=number).select_related("location").first()
            if other is not None:
                self.duplicate(row, "number", _("Possible duplicate: a meter with number %(number)s already exists at “%(location)s”.")
                               % {"number": number, "location": other.location.name})
        meter = Meter(location=location, **self.fields(row, self.KEYS, {"installed_on": None}))
        meter._history_user = self.user
        meter._change_reason = self.reason
        meter_save(meter=meter)
        return f"{meter} ({location.name})"


class ReadingImporter(RowImporter):
    field_columns = {"read_at": "read_at", "value": "value", "meter": "meter", "is_exchange": "is_exchange"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._meters: dict[tuple, Meter | ValidationError] = {}

    def meter(self, number: str, customer_number: int | None) -> Meter:
        key = (number, customer_number)
        if key not in self._meters:
            qs = Meter.objects.filter(number=number).select_related("location__customer")
            if customer_number is not None:
                qs = qs.filter(location__customer__number=customer_number)
            found = list(qs[:5])
            if not found:
                message = _("There is no meter with number “%(number)s”. Check the number, or import the meters first.") % {"number": number}
                if customer_number is not None:
                    message = _("Customer %(customer)s has no meter with number “%(number)s”. Check both numbers.") % {"number": number, "customer": customer_number}
                self._meters[key] = ValidationError({"meter": message})
            elif len(found) > 1:
                owners = ", ".join(f"{m.location.customer.display_name} ({m.location.customer.number or '–'})" for m in found)
                self._meters[key] = ValidationError(
                    {"meter": _("Several meters have the number “%(number)s” (%(owners)s). Add the column “Customer number” to say which one.")
                     % {"number": number, "owners": owners}}
                )
            else:
                self._meters[key] = found[0]
        found = self._meters[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def save_row(self, row: Row) -> str:
        meter = self.meter(row.values["meter"], row.values.get("customer"))
        reading = MeterReading(
            meter=meter,
            read_at=row.values["read_at"],
            value=row.values["value"],
            comment=row.values.get("comment") or "",
            is_exchange=bool(row.values.get("is_exchange")),
        )
        reading._history_user = self.user
        reading._change_reason = self.reason
        reading_record(reading=reading, user=self.user)
        return f"{meter.number}: {display(row.raw.get('value'))}"


IMPORTERS: dict[str, type[Importer]] = {
    C.COMPANY_CUSTOMERS.key: CustomerImporter,
    C.PRIVATE_CUSTOMERS.key: CustomerImporter,
    C.CONTACTS.key: ContactImporter,
    C.LOCATIONS.key: LocationImporter,
    C.METERS.key: MeterImporter,
    C.READINGS.key: ReadingImporter,
}


def _make_row(number: int, cells: list[Any], by_index: dict, importer: Importer, mode: str) -> Row | None:
    raw: dict[str, Any] = {}
    for index, column in by_index.items():
        raw[column.key] = cells[index] if index < len(cells) else None
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
        return None
    row = Row(number=number, raw=raw, values={})
    for column in by_index.values():
        try:
            row.values[column.key] = convert(column, raw[column.key])
        except ConvertError as exc:
            row.values[column.key] = None
            row.failed_keys.add(column.key)
            importer.problem(row, column.key, str(exc))
            continue
        if column.required and row.values[column.key] in (None, []) and (mode == INSERT or column.key == "number"):
            row.failed_keys.add(column.key)
            importer.problem(row, column.key, _("The mandatory column “%(name)s” is empty. Fill it in.") % {"name": importer.column_label(column.key)})
    for prefix in ("", "location_"):
        if row.values.get(f"{prefix}postcode"):
            row.values[f"{prefix}postcode"] = german_postcode(row.values[f"{prefix}postcode"], row.values.get(f"{prefix}country"))
    return row


def import_file(
    *,
    template: str,
    file: IO[bytes],
    file_name: str = "",
    mode: str = INSERT,
    dry_run: bool = False,
    user=None,
    allow_duplicates: bool = False,
    progress: Callable[[int, int], None] | None = None,
    total_rows: int = 0,
) -> ImportResult:
    """Import a CSV/XLSX file all or nothing. Returns what was (or, as preview, would be) done.

    Nothing is written when any row has a problem or ``dry_run`` is set.
    """
    tpl = get_template(template)
    result = ImportResult(template=tpl.key, mode=mode, dry_run=dry_run, total_rows=total_rows)
    if mode not in (INSERT, UPDATE):
        result.add(Problem(row=1, column="", value=mode, message=_("Unknown mode “%(mode)s”. Use insert or update.") % {"mode": mode}))
        return result
    try:
        table = open_table(file, file_name)
    except FileError as exc:
        result.add(Problem(row=1, column="", value="", message=str(exc)))
        return result
    match = match_headers(tpl, table.headers)
    for column, value, message in match.problems:
        result.add(Problem(row=1, column=column, value=value, message=message))
    for name in match.ignored:
        result.add(Problem(row=1, column=name, value=name, level="warning",
                           message=_("The column “%(name)s” is not part of the template “%(template)s” and is ignored.") % {"name": name, "template": tpl.title}))
    keys = {c.key for c in match.by_index.values()}
    if mode == UPDATE and not tpl.is_customer:
        result.add(Problem(row=1, column="", value="", message=_("The mode “update existing” is only available for customers. Import these rows in the mode “insert new”.")))
    elif mode == UPDATE and "number" not in keys:
        result.add(Problem(row=1, column=str(C.CUSTOMER_NUMBER.label), value="", message=_("The mode “update existing” needs the column “Customer number”.")))
    if result.error_count:
        return result
    labels = {column.key: str(table.headers[index]).strip() for index, column in match.by_index.items()}
    importer = IMPORTERS[tpl.key](template=tpl, mode=mode, user=user, allow_duplicates=allow_duplicates, result=result, labels=labels, file_name=file_name)
    with transaction.atomic():
        batch: list[Row] = []
        for number, cells in table.rows:
            row = _make_row(number, cells, match.by_index, importer, mode)
            if row is None:
                continue
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                importer.process(batch)
                result.processed += len(batch)
                batch = []
                if progress:
                    progress(result.processed, max(total_rows, result.processed))
        if batch:
            importer.process(batch)
            result.processed += len(batch)
        importer.finish()
        if result.processed == 0:
            result.add(Problem(row=2, column="", value="", message=_("The file has no data rows below the column names. Add one row per record.")))
        if result.error_count or dry_run:
            transaction.set_rollback(True)
    result.total_rows = result.processed
    result.errors.sort(key=lambda p: p.row)
    result.warnings.sort(key=lambda p: p.row)
    if progress:
        progress(result.processed, result.processed)
    if result.error_count:
        result.created = result.updated = 0
    return result


# --- import log (desk, jobs, shell) -------------------------------------------------------


def progress_key(log_id: int) -> str:
    return f"fortycrm:import-progress:{log_id}"


def import_progress(log: ImportLog) -> dict[str, Any]:
    processed, total = log.processed_rows, log.total_rows
    if log.state in (ImportLog.State.RUNNING, ImportLog.State.PENDING):
        processed = cache.get(progress_key(log.pk), processed)
    percent = 100 if log.state in (ImportLog.State.DONE, ImportLog.State.FAILED, ImportLog.State.PREVIEWED) else (min(99, int(processed * 100 / total)) if total else 0)
    return {"state": log.state, "processed": processed, "total": total, "percent": percent}


def log_allows_duplicates(log: ImportLog) -> bool:
    """A preview that only flagged duplicates (chosen at upload) lets the commit do the same."""
    return any(w.get("code") == DUPLICATE for w in log.warnings or [])


def import_run(*, log: ImportLog, dry_run: bool, allow_duplicates: bool | None = None) -> ImportResult:
    """Run the import of ``log.file`` and record the outcome on the log (outside the import transaction)."""
    if allow_duplicates is None:
        allow_duplicates = log_allows_duplicates(log)
    log.state = ImportLog.State.RUNNING
    log.dry_run = dry_run
    log.processed_rows = 0
    log.save(update_fields=["state", "dry_run", "processed_rows"])
    key = progress_key(log.pk)
    with log.file.open("rb") as f:
        try:
            log.total_rows = count_rows(f, log.file_name)
        except FileError:
            log.total_rows = 0
        f.seek(0)
        log.save(update_fields=["total_rows"])
        result = import_file(
            template=log.template,
            file=f,
            file_name=log.file_name,
            mode=log.mode,
            dry_run=dry_run,
            user=log.user,
            allow_duplicates=allow_duplicates,
            progress=lambda done, total: cache.set(key, done, 3600),
            total_rows=log.total_rows,
        )
    log.total_rows = result.total_rows or log.total_rows
    log.processed_rows = result.processed
    log.created_count = result.created
    log.updated_count = result.updated
    log.error_count = result.error_count
    log.errors = [p.as_dict() for p in result.errors]
    log.warnings = [p.as_dict() for p in result.warnings]
    log.state = ImportLog.State.FAILED if result.error_count else (ImportLog.State.PREVIEWED if dry_run else ImportLog.State.DONE)
    log.finished_at = timezone.now()
    log.save()
    cache.delete(key)
    uploads.import_file_finished(log)
    return result
