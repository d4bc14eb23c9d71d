"""Company and private customers.

Insert mode: every row goes through ``services.customers.customer_prepare``, the same
preparation step ``customer_create`` runs (status, number rules, account manager rule, tag
names, ``full_clean``); the reads it needs are answered per batch by ``BatchLookups``. The
importer only batches the write: numbers for the batch under one counter lock
(``numbers.number_assign_many``), one bulk insert with history (``bulk_insert``), one insert
of the tag links. Update mode: row by row through ``customer_update``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.files import FileDescriptor, ImageFileDescriptor
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _

from fortycrm.api import serializers as _api_serializers  # noqa: F401  the events' customer JSON: loaded with the importer, not during its first commit
from fortycrm.bulk_sql import NARROW_ROWS_PER_STATEMENT, insert_word_lists
from fortycrm.custom_fields import index_insert as custom_field_index_insert
from fortycrm.events import active_subscriptions, events_for_customers
from fortycrm.imports import columns
from fortycrm.imports.bulk_insert import bulk_insert_customers, insert_rows
from fortycrm.imports.columns import SETTINGS_KEYS
from fortycrm.imports.importer_base import Importer, norm
from fortycrm.imports.payer_importers import CustomerSettingsColumns
from fortycrm.imports.results import UPDATE, Row
from fortycrm.listcache import customer_data_changed
from fortycrm.models import Customer, CustomerSearchTerm, CustomerStatus, Tag
from fortycrm.payer_selectors import customer_defaults
from fortycrm.search import terms_for_new
from fortycrm.selectors import (
    DUPLICATE_EMAIL,
    DUPLICATE_NAME_POSTCODE,
    customer_duplicates,
    duplicate_email_key,
    duplicate_name_key,
)
from fortycrm.services import numbers
from fortycrm.services.customers import CustomerLookups, customer_prepare, customer_update
from fortycrm.services.tags import tags_resolve

# what an empty cell stores on insert ("" for every other field)
_EMPTY_CELL: dict[str, Any] = {"country": "DE", "combine_invoices": False, "start_date": None, "end_date": None}
TEXT_TYPES = {"CharField", "TextField", "EmailField", "URLField", "SlugField"}


def _duplicate_hint() -> str:
    """What to do about a possible duplicate (translated when one is found, not for every row)."""
    return _("Remove the row, use the mode “update existing” with the customer number, or choose “import possible duplicates anyway”.")


class BatchLookups(CustomerLookups):
    """``customer_prepare``'s reads, answered from memory: each status name and each account
    manager once per import, the owners of the batch's chosen numbers once per batch."""

    def __init__(self) -> None:
        self.statuses: dict[str, CustomerStatus | ValidationError] = {}
        self.manager_problems: dict[int, str | None] = {}
        self.owners: dict[int, Customer] = {}

    def load_owners(self, wanted: list[int]) -> None:
        self.owners = {c.number: c for c in Customer.objects.filter(number__in=wanted)} if wanted else {}

    def status(self, value):
        key = norm(value) if isinstance(value, str) else value
        if key not in self.statuses:
            try:
                self.statuses[key] = super().status(value or None)
            except ValidationError as exc:
                self.statuses[key] = exc
        found = self.statuses[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def number_owner(self, number: int) -> Customer | None:
        return self.owners.get(number)

    def custom_value_memo(self) -> dict:
        if not hasattr(self, "_custom_value_memo"):
            self._custom_value_memo: dict = {}
        return self._custom_value_memo

    def account_manager_problem(self, user) -> str | None:
        if user.pk not in self.manager_problems:
            self.manager_problems[user.pk] = super().account_manager_problem(user)
        return self.manager_problems[user.pk]


_STORING_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)


def _plain_init_possible(model) -> bool:
    """True when ``Model.__init__`` with every field given positionally amounts to filling the
    instance dict: no pre_init/post_init receiver, and each field's class attribute is a
    descriptor that stores the value unchanged (text, numbers, JSON, dates, foreign key ids,
    files; an image field updates dimensions only when replacing an earlier file)."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return False
    for field in model._meta.concrete_fields:
        descriptor = model.__dict__.get(field.attname)
        if descriptor is None:
            descriptor = next((klass.__dict__[field.attname] for klass in model.__mro__ if field.attname in klass.__dict__), None)
        if type(descriptor) not in (*_STORING_DESCRIPTORS, ImageFileDescriptor):
            return False
    return True


#: SQLite page cache while an import writes (KiB): the customer table, its indexes, the
#: history and the search terms of a large file outgrow SQLite's default of 2 MB, and every
#: index page pushed out is read back for the next batch's inserts
IMPORT_PAGE_CACHE_KIB = 65536


def page_cache_raise(connection) -> int:
    """Give this SQLite connection a larger page cache (``IMPORT_PAGE_CACHE_KIB``) for the
    import; the earlier setting to restore (0: nothing changed, other databases or already larger).
    The cache only grows as far as pages are read; after a rolled-back import the connection
    keeps the larger setting."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        pages_or_kib = -before if before < 0 else before * 4  # a positive setting counts pages (4 KiB assumed)
        if pages_or_kib >= IMPORT_PAGE_CACHE_KIB:
            return 0
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_PAGE_CACHE_KIB}")
    return before


def page_cache_restore(connection, before: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")


class CustomerImporter(Importer):
    """Company or private customers; insert = prepared rows written in bulk, update = row by row through customer_update."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind = self.template.customer_kind
        self.field_keys = [
            c.key for c in self.template.columns
            if c.key not in {"number", "status", "account_manager", "tags", *SETTINGS_KEYS} and c.kind != columns.CUSTOM
        ]
        self.settings = CustomerSettingsColumns(self)  # R-PAY-2
        self.lookups = BatchLookups()
        self.stored_tags: dict[int, set[str]] = {}  # update mode: the batch's customers' tags (normalized)
        self._defaults: dict[str, Any] | None = None
        self._customer_defaults = None  # the site's CustomerDefaults (the events' settings), read at the first write
        self._subscriptions: list[dict] = []  # the active webhook subscriptions, read then as well
        self._mutable_defaults: set[str] = set()
        self._plain_init = False
        self._plain_db: str | None = None
        self._users: dict[str, Any] | None = None
        self._tags: dict[str, Tag] = {}
        self._tag_keys: dict[str, str] = {}
        self.file_numbers: dict[int, int] = {}
        self.assigned_numbers: dict[int, int] = {}  # next free numbers given to earlier rows of the file
        self.file_names: dict[tuple, int] = {}
        self.file_emails: dict[str, int] = {}
        self._page_cache: int | None = None  # SQLite: the connection's page cache before the first write (0: unchanged)

    # --- lookups --------------------------------------------------------------------
    def account_manager(self, row: Row):
        """The user a cell names by user name or e-mail (whether it may be account manager is
        the services' rule)."""
        wanted = row.values.get("account_manager")
        if not wanted:
            return None
        if self._users is None:
            self._users = {}
            emails: dict[str, list] = {}
            for user in get_user_model().objects.all():
                self._users[norm(user.get_username())] = user
                if user.email:
                    emails.setdefault(norm(user.email), []).append(user)
            for email, users in emails.items():
                self._users.setdefault(email, users[0] if len(users) == 1 else users)
        found = self._users.get(norm(wanted))
        if found is None:
            self.problem(row, "account_manager", _("There is no user with the user name or e-mail “%(value)s”. Enter the user name or e-mail of a desk user.") % {"value": wanted})
        elif isinstance(found, list):
            self.problem(row, "account_manager", _("Several users have the e-mail “%(value)s”. Enter the user name instead.") % {"value": wanted})
        else:
            return found
        return None

    def fields(self, row: Row) -> dict[str, Any]:
        data: dict[str, Any] = {}
        cells, failed, update = row.values, row.failed_keys, self.mode == UPDATE
        for key in self.field_keys:
            if key in failed:
                continue
            value = cells.get(key)
            if value is None:
                if update:
                    continue  # empty cells leave the stored value unchanged
                value = _EMPTY_CELL.get(key, "")
            data[key] = value
        return data

    def tag_objects(self, names: list[str]) -> list[Tag]:
        keys = self._tag_keys  # name as written → normalized name, once per distinct spelling
        for name in names:
            if name not in keys:
                keys[name] = Tag.normalize(name)
        missing = [n for n in names if keys[n] not in self._tags]
        if missing:
            for tag in tags_resolve(missing):
                self._tags[tag.normalized] = tag
        return [self._tags[keys[n]] for n in names]

    def hint(self, key: str) -> str:
        if key == "account_manager":
            # the users the file may name, by the services' rule (asked once per user, as for the rows)
            users = {u.pk: u for u in (self._users or {}).values() if not isinstance(u, list)}
            names = sorted(
                (u.get_username() for u in list(users.values())[:200] if self.lookups.account_manager_problem(u) is None), key=str.casefold
            )[:50]
            return _("Account managers on this site: %(names)s.") % {"names": ", ".join(names) or "–"} if names else _(
                "No user can be account manager yet: add desk users to a user group (e.g. Büro) first, or leave the column empty."
            )
        if key == "status":
            return _("Statuses on this site: %(names)s.") % {"names": ", ".join(CustomerStatus.objects.values_list("name", flat=True))}
        return ""

    # --- duplicates (the criteria: selectors.customer_duplicates) -----------------------
    def check_duplicates(self, row: Row, customer: Customer, stored: list[tuple[Customer, str]], key: tuple | None, email: str) -> None:
        """The row's possible duplicates within the file and among ``stored`` customers;
        ``key`` and ``email``: the customer's ``duplicate_name_key`` and ``duplicate_email_key``."""
        name_column = "name" if self.kind == Customer.Kind.COMPANY else "last_name"
        if key is not None:
            if key in self.file_names:
                self.duplicate(row, name_column, _("Possible duplicate: same name and postcode as row %(other)s.") % {"other": self.file_names[key]} + " " + _duplicate_hint())
            else:
                self.file_names[key] = row.number
                other = next((c for c, reason in stored if reason == DUPLICATE_NAME_POSTCODE), None)
                if other is not None:
                    self.duplicate(
                        row, name_column,
                        _("Possible duplicate: the customer “%(customer)s” (customer number %(number)s) has the same name and postcode.")
                        % {"customer": other.display_name, "number": other.number or "–"} + " " + _duplicate_hint(),
                    )
        if email:
            if email in self.file_emails:
                self.duplicate(row, "email", _("Possible duplicate: same e-mail as row %(other)s.") % {"other": self.file_emails[email]} + " " + _duplicate_hint())
            else:
                self.file_emails[email] = row.number
                other = next((c for c, reason in stored if reason == DUPLICATE_EMAIL), None)
                if other is not None:
                    self.duplicate(
                        row, "email",
                        _("Possible duplicate: the customer “%(customer)s” (customer number %(number)s) or one of its contacts has the same e-mail.")
                        % {"customer": other.display_name, "number": other.number or "–"} + " " + _duplicate_hint(),
                    )

    # --- the work -------------------------------------------------------------------
    def process(self, batch: list[Row]) -> None:
        if self.mode == UPDATE:
            self.process_update(batch)
        else:
            self.process_insert(batch)

    def number_once(self, row: Row) -> int | None:
        """The row's chosen customer number, unless an earlier row of the file has it."""
        number = row.values.get("number")
        if number is None:
            return None
        if number in self.file_numbers:
            self.problem(row, "number", _("The customer number %(number)s appears more than once in the file (also in row %(other)s). Every number exists only once.")
                         % {"number": number, "other": self.file_numbers[number]})
            return None
        if number in self.assigned_numbers:
            self.problem(row, "number", _("The customer number %(number)s was already given to row %(other)s of this file as the next free number. Choose another number or leave the cell empty.")
                         % {"number": number, "other": self.assigned_numbers[number]})
            return None
        self.file_numbers[number] = row.number
        return number

    def new_customer(self, values: dict[str, Any]) -> Customer:
        """``Customer(**values)`` through Django's positional fast path (every field in order,
        the defaults read once per import): the same instance at a fraction of the cost."""
        if self._defaults is None:
            self._defaults = {f.attname: f.get_default() for f in Customer._meta.concrete_fields}
            self._mutable_defaults = {name for name, value in self._defaults.items() if isinstance(value, (dict, list))}
            self._plain_init = _plain_init_possible(Customer)
            # relations set without the descriptor (set_account_manager): only with Django's default routing
            self._plain_db = router.db_for_write(Customer) if self._plain_init and not router.routers else None
        merged = self._defaults | values
        for name in self._mutable_defaults - values.keys():
            merged[name] = Customer._meta.get_field(name).get_default()  # never share a dict between rows
        if not self._plain_init:
            return Customer(*merged.values())
        # what Model.__init__ does with positional values when no init signal listens and every
        # field's descriptor stores the value as given (fresh instance: no cached relation to clear)
        customer = Customer.__new__(Customer)
        merged["_state"] = ModelState()
        customer.__dict__ = merged  # the merged dict becomes the instance's (no second copy)
        return customer

    def set_account_manager(self, customer: Customer, user) -> None:
        """``customer.account_manager = user`` for a customer of ``new_customer``: what Django's
        descriptor does for a fresh instance (database of the write, id, cached user) without
        asking the router per row, when no database router is configured (the router's own
        answer then: the user's database is the customer's)."""
        if self._plain_db is None or (user is not None and user._state.db != self._plain_db):
            customer.account_manager = user
            return
        state = customer._state
        if user is not None and state.db is None:
            state.db = self._plain_db
        customer.__dict__["account_manager_id"] = None if user is None else user.pk
        state.fields_cache["account_manager"] = user

    def process_insert(self, batch: list[Row]) -> None:
        self.lookups.load_owners([r.values["number"] for r in batch if r.values.get("number") is not None])
        checked: list[tuple[Row, Customer]] = []
        for row in batch:
            customer = self.new_customer({"kind": self.kind, "custom_field_data": self.custom_data(row), **self.fields(row)})
            self.set_account_manager(customer, self.account_manager(row))
            number = self.number_once(row)
            try:
                customer.number = customer_prepare(
                    customer=customer, status=row.values.get("status"), number=number, tags=row.values.get("tags") or [],
                    actor=self.user, lookups=self.lookups, exclude=row.failed_keys,
                )
            except (ValidationError, PermissionDenied) as exc:
                self.validation_error(row, exc)
            self.settings.check(row)
            checked.append((row, customer))
        customers = [c for _row, c in checked]
        name_keys, email_keys = [duplicate_name_key(c) for c in customers], [duplicate_email_key(c) for c in customers]
        found = customer_duplicates(customers, name_keys=name_keys, email_keys=email_keys)
        for (row, customer), stored, key, email in zip(checked, found, name_keys, email_keys, strict=True):
            self.check_duplicates(row, customer, stored, key, email)
        if self.result.error_count:
            return  # nothing will be written; keep checking the rest of the file
        self.write(checked)

    def write(self, checked: list[tuple[Row, Customer]]) -> None:
        """Numbers, then (not in a preview) the rows, their history, tag links, events and settings.

        A preview stops after the numbers: it is rolled back anyway, and the checks of later
        batches do not need the rows in the database (within the file, numbers, names and
        e-mails are compared in memory: ``file_numbers``, ``file_names``, ``file_emails``).
        """
        customers = [c for _row, c in checked]
        numbered = [(row, c) for row, c in checked if c.status.with_number]
        for (row, customer), number in zip(numbered, numbers.number_assign_many(numbers.CUSTOMER, [c.number for _row, c in numbered])):
            customer.number = number
            self.assigned_numbers[number] = row.number  # a later row choosing it collides in preview and commit alike
        if self.dry_run:
            self.result.created += len(customers)
            for row, customer in checked:
                self.result.note(row.number, "create", f"{customer.number or ''} {customer.display_name}".strip())
            return
        tags_per_row = [self.tag_objects(row.values.get("tags") or []) for row, _customer in checked]
        if self._page_cache is None:
            connection = connections[router.db_for_write(Customer)]
            self._page_cache = page_cache_raise(connection)
            if self._page_cache:  # back after the commit (shrinking it before would spill the import's pages)
                transaction.on_commit(partial(page_cache_restore, connection, self._page_cache), using=connection.alias)
        if self._customer_defaults is None:  # read once (the transaction sees the same all along): the events need them after the pipe has filled
            self._customer_defaults, self._subscriptions = customer_defaults(), active_subscriptions()
            # the bulk INSERTs send no signals; cached list counts must follow. Once per import: the
            # database's counter changes for others with the commit, whatever the number of calls
            # (SQLite: a write, done before the pipe fills)
            customer_data_changed()
        bulk_insert_customers(customers, user=self.user, reason=self.reason)
        through = Customer.tags.through
        through_columns = [through._meta.get_field("customer"), through._meta.get_field("tag")]
        insert_rows(through, through_columns, [[c.id, t.id] for c, tags in zip(customers, tags_per_row) for t in tags], returning=False,
                    max_rows=NARROW_ROWS_PER_STATEMENT)
        # the index rows and search terms point only at the customers just inserted (fresh_parents)
        custom_field_index_insert("customer", customers, defs=self.lookups.custom_field_definitions(), fresh=True)
        terms = CustomerSearchTerm._meta  # the desk search's terms (bulk INSERTs send no signals)
        insert_word_lists(CustomerSearchTerm, [terms.get_field("customer"), terms.get_field("term")], terms_for_new(customers), fresh_parents=True)
        own_settings = [customer.pk for row, customer in checked if self.settings.save(row, customer)]
        events_for_customers(customers, tags_per_row, own_settings=own_settings, defaults=self._customer_defaults, subscriptions=self._subscriptions)
        self.result.created += len(customers)
        for row, customer in checked:
            self.result.note(row.number, "create", f"{customer.number or ''} {customer.display_name}".strip())

    # --- update mode: only real changes are written -------------------------------------
    def load_stored(self, batch: list[Row]) -> dict[int, Customer]:
        """The batch's customers by number (with status and own settings) and their tags: two queries."""
        wanted = [r.values["number"] for r in batch if r.values.get("number") is not None]
        if not wanted:
            return {}
        found = {c.number: c for c in Customer.objects.select_related("status", "own_settings").filter(number__in=wanted)}
        through = Customer.tags.through
        self.stored_tags = {}
        for customer_id, normalized in through.objects.filter(customer_id__in=[c.pk for c in found.values()]).values_list("customer_id", "tag__normalized"):
            self.stored_tags.setdefault(customer_id, set()).add(normalized)
        return found

    def customer_changes(self, customer: Customer, fields: dict[str, Any], status, tags: list[str] | None) -> list[str]:
        """The names of what the row would change on the stored customer (empty: nothing)."""
        changes = []
        for name, value in fields.items():
            model_field = Customer._meta.get_field(name)
            if model_field.is_relation:
                if getattr(value, "pk", value) != getattr(customer, model_field.attname):
                    changes.append(name)
                continue
            if value is None and not model_field.null and model_field.get_internal_type() in TEXT_TYPES:
                value = ""
            if value != getattr(customer, name):
                changes.append(name)
        if status is not None and status.pk != customer.status_id:
            changes.append("status")
        if tags is not None and {Tag.normalize(n) for n in tags} != self.stored_tags.get(customer.pk, set()):
            changes.append("tags")
        return changes

    def settings_change(self, row: Row, customer: Customer) -> bool:
        """True when the row's settings columns differ from the customer's own settings."""
        values = self.settings.values(row)
        if not values:
            return False
        try:
            own = customer.own_settings
        except ObjectDoesNotExist:
            return True
        return any(getattr(value, "pk", value) != getattr(own, "letterhead_id" if name == "letterhead" else name) for name, value in values.items())

    def process_update(self, batch: list[Row]) -> None:
        stored = self.load_stored(batch)
        for row in batch:
            number = row.values.get("number")
            if number is None:
                if "number" not in row.failed_keys:
                    self.problem(row, "number", _("In the mode “update existing” every row needs the customer number of the customer to change."))
                continue
            if self.number_once(row) is None:
                continue
            customer = stored.get(number)
            if customer is None:
                self.problem(row, "number", _("There is no customer with customer number %(number)s. The mode “update existing” only changes existing customers; import new ones in the mode “insert new”.") % {"number": number})
                continue
            if customer.kind != self.kind:
                self.problem(row, "number", _("Customer number %(number)s belongs to “%(customer)s”, a customer of the other kind. Use the matching template.")
                             % {"number": number, "customer": customer.display_name})
                continue
            status = None
            if row.values.get("status"):
                try:
                    status = self.lookups.status(row.values["status"])
                except ValidationError as exc:
                    self.validation_error(row, exc)
            manager = self.account_manager(row)
            try:
                settings_changed = self.settings_change(row, customer)
            except ValidationError as exc:
                self.validation_error(row, exc)
            if row.failed:
                continue
            fields = self.fields(row)
            custom = self.custom_data(row, customer.custom_field_data)
            if custom != (customer.custom_field_data or {}):
                fields["custom_field_data"] = custom
            if manager is not None:
                fields["account_manager"] = manager
            tags = row.values.get("tags")
            changes = self.customer_changes(customer, fields, status, tags)
            if not changes and not settings_changed:
                self.result.unchanged += 1
                continue
            customer._history_user = self.user
            customer._change_reason = self.reason
            try:
                with transaction.atomic():
                    if changes:
                        customer_update(customer=customer, status=status or customer.status, tags=tags, actor=self.user, **fields)
                    if settings_changed:
                        self.settings.save(row, customer)
            except (ValidationError, PermissionDenied) as exc:
                self.validation_error(row, exc)
                continue
            self.result.updated += 1
            self.result.note(row.number, "update", f"{customer.number} {customer.display_name}")
