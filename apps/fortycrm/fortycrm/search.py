"""Customer search without scanning: a table of normalised search terms (issue 13, item 3).

Every customer has one row per distinct *term* in :class:`~fortycrm.models.CustomerSearchTerm`:
the words of its name, short name, first and last name, e-mail, postcode and city, its
customer number, and the first and last names and e-mails of its contacts. A term is
lower-cased and folded so that spelling variants meet: ``ß`` → ``ss``, accents dropped, and a
word with ``ä``/``ö``/``ü`` is stored twice, once with ``a``/``o``/``u`` and once with
``ae``/``oe``/``ue`` ("Müller" → ``muller`` and ``mueller``). A search splits the query the
same way and asks, per query word, for terms that *start* with it: a range on the index
``(term, customer)``, never a scan of the customers. All query words must match (AND).
"1003" therefore finds the customer numbers 1003, 10030–10039, 100300… (and postcodes that
start with 1003).

The terms follow every change: customer and contact saves and deletes (signals, so the
services, the API, a history revert and the row importers all keep them right) and the
bulk customer import (:func:`terms_for_new`, one multi-row INSERT per batch).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from contextvars import ContextVar
from functools import lru_cache
from operator import itemgetter

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull

TERM_MAX_LENGTH = 40
MAX_QUERY_WORDS = 6
#: customer fields whose words are search terms
CUSTOMER_FIELDS = ("name", "short_name", "first_name", "last_name", "email", "postcode", "city", "number")
#: contact fields whose words are search terms of the contact's customer
CONTACT_FIELDS = ("first_name", "last_name", "email")

_UMLAUTS_E = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SPECIAL = str.maketrans({"ß": "ss", "ẞ": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text  # nothing to decompose
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_SPECIAL_LETTER = re.compile("[" + "".join(chr(c) for c in _SPECIAL) + "]")
_WORD = re.compile(r"[^\W_]+")  # runs of characters for which str.isalnum() is true (\w is isalnum or "_")


def _words(text: str) -> list[str]:
    """Lower-case words (letters and digits) of ``text``, ß folded, umlauts still there."""
    text = str(text)
    if text.isascii():  # already NFC, and none of _SPECIAL's letters
        text = text.lower()
    else:
        text = unicodedata.normalize("NFC", text).lower()
        if _SPECIAL_LETTER.search(text):  # translate() with a table is slow; most texts have none of them
            text = text.translate(_SPECIAL)
    # a piece between white space that is all letters and digits is one word (what the
    # pattern finds in it: \w is isalnum() or "_"); only the other pieces need the pattern
    words: list[str] = []
    for piece in text.split():
        if piece.isalnum():
            words.append(piece)
        else:
            words += _WORD.findall(piece)
    return words


def word_variants(word: str) -> set[str]:
    """The stored forms of one word: without accents, and with ä/ö/ü as ae/oe/ue."""
    return set(_variants(word))


@lru_cache(maxsize=16384)
def _variants(word: str) -> frozenset[str]:
    """``word_variants``, remembered: an import meets the same words (cities, "GmbH", street
    names) on most rows."""
    plain = _strip_accents(word)[:TERM_MAX_LENGTH]
    variants = {plain} if plain else set()
    if any(c in word for c in "äöü"):
        spelled = _strip_accents(word.translate(_UMLAUTS_E))[:TERM_MAX_LENGTH]
        if spelled:
            variants.add(spelled)
    return frozenset(variants)


def terms_of(values: Iterable) -> set[str]:
    """The search terms of some texts (empty values are ignored).

    The texts are split as one (joined by a space, which separates words and changes neither
    the case folding nor the normalisation of its neighbours); a word of ASCII letters and
    digits is its own single form, without the variants' cache (most unique words of an
    import, numbers and e-mail parts, are such)."""
    text = " ".join([value if type(value) is str else str(value) for value in values if value is not None and value != ""])
    terms: set[str] = set()
    add, update = terms.add, terms.update
    for word in _words(text):
        if word.isascii():
            add(word[:TERM_MAX_LENGTH])
        else:
            update(_variants(word))
    return terms


def query_words(text: str) -> list[set[str]]:
    """The words of a search query, each as the set of its stored forms (at most six words)."""
    found: list[set[str]] = []
    for word in _words(text or ""):
        variants = word_variants(word)
        if variants and variants not in found:
            found.append(variants)
    return found[:MAX_QUERY_WORDS]


def _prefix_q(prefix: str) -> Q:
    """Terms starting with ``prefix``, as a range the index (term, customer) answers.

    MariaDB: ``LIKE 'prefix%'`` on the case-insensitive column is an index range. SQLite uses
    an index for LIKE only on NOCASE columns, so there it is ``term >= prefix AND term < next``
    (binary order of UTF-8 is code point order).
    """
    if connection.vendor == "sqlite":
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return Q(term__gte=prefix, term__lt=upper)
    return Q(term__istartswith=prefix)


SMALL_MATCH = 2000


#: from this row of a list on (a deep page), MariaDB reads a long match list materialised (see ``ids_in``)
DEEP_OFFSET = 2000


def ids_in(subquery, column: str, *, outer: str = "pk", memo_key: tuple | None = None, gen: str | None = None, offset: int = 0):
    """``outer IN (subquery's column)``, written so that the database keeps the list's index order.

    A short match list (at most 2,000 ids, one capped count) as IN (MariaDB: the column as an
    expression, ``+ 0``, so the subquery is materialised once instead of pulled up into a join that
    starts from it and sorts every row); a long one as EXISTS probed per row in list order, so a
    page stops after its rows (``_exists``; MariaDB materialised the tag's 20,000 ids for every page).
    With ``gen`` (a customer-data generation, ``fortycrm.listcache``) and ``memo_key`` the
    capped count is remembered for that generation.

    ``offset``: the first row of the page asked for. On MariaDB a deep page (from ``DEEP_OFFSET``)
    of a long match list reads the matches once, materialised (IN with the column as ``+ 0``),
    and walks the list's index against them: probing each row costs more once thousands of rows
    are walked (customers by a tag of 20,000, index (tag, customer) of migration 0035: offset
    950 probed 5.5 ms, materialised 7.9; offset 4,950: 28 against 16; page 200, offset 9,950,
    walking 50,000 rows: 57–65 against 23–28 ms). SQLite probes faster than it materialises
    (page 200: 18 ms against 40), so it keeps EXISTS.
    """
    def small() -> bool:
        return not _more_than(subquery, column, SMALL_MATCH)

    if gen is not None and memo_key is not None:
        from fortycrm.listcache import memo

        is_small = memo(gen, ("ids_in_small", *memo_key), small)
    else:
        is_small = small()
    if is_small or (offset >= DEEP_OFFSET and connection.vendor != "sqlite"):
        if connection.vendor != "sqlite":
            return Q(**{f"{outer}__in": subquery.values(filter_id=F(column) + 0)})
        return Q(**{f"{outer}__in": subquery.values(column)})
    return _exists(subquery, column, outer)


def _exists(subquery, column: str, outer: str):
    """``EXISTS`` probed per row in the list's index order: a page of a long match list (a tag of
    20,000 customers, contacts of company customers) stops after its 50 rows. MariaDB: the outer
    column as an expression (``+ 0``), else it turns the EXISTS into a semi-join that materialises
    (or sorts) every match first (issue 13: tag filter 37 → 1 ms, contacts by kind 44 → 1 ms)."""
    if connection.vendor == "sqlite":
        return Exists(subquery.filter(**{column: OuterRef(outer)}))
    return Exists(subquery.filter(**{column: OuterRef(outer) + 0}))


def customer_search_q(text: str, *, gen: str | None = None) -> Q | None:
    """A filter for customers matching every word of ``text`` (None: nothing to search for).

    ``gen``: the customer-data generation, when the caller has it (the API): the size of each
    word's match list is then read once per generation."""
    from fortycrm.models import CustomerSearchTerm

    words = query_words(text)
    if not words:
        return None
    condition = Q()
    for variants in words:
        condition &= ids_in(CustomerSearchTerm.objects.filter(_matches(variants)), "customer_id", memo_key=("customer", *sorted(variants)), gen=gen)
    return condition


# --- keeping the terms current ----------------------------------------------------------------
def customer_terms(values: dict, contacts: Iterable[dict]) -> set[str]:
    """All terms of one customer from its field values and its contacts' values."""
    terms = terms_of(values.get(f) for f in CUSTOMER_FIELDS)
    for contact in contacts:
        terms |= terms_of(contact.get(f) for f in CONTACT_FIELDS)
    return terms


def terms_refresh(customer_ids: Iterable[int]) -> bool:
    """Rewrite the terms of these customers from the stored data; True when any term changed.

    Three queries for any number of customers (plus the writes of what changed).
    """
    from fortycrm.models import Contact, Customer, CustomerSearchTerm

    ids = sorted({pk for pk in customer_ids if pk})
    if not ids:
        return False
    wanted: dict[int, set[str]] = {}
    contacts: dict[int, list[dict]] = {}
    for row in Contact.objects.filter(customer_id__in=ids).values("customer_id", *CONTACT_FIELDS):
        contacts.setdefault(row["customer_id"], []).append(row)
    for row in Customer.objects.filter(pk__in=ids).values("pk", *CUSTOMER_FIELDS):
        wanted[row["pk"]] = customer_terms(row, contacts.get(row["pk"], ()))
    stored: dict[int, set[str]] = {}
    for customer_id, term in CustomerSearchTerm.objects.filter(customer_id__in=ids).values_list("customer_id", "term"):
        stored.setdefault(customer_id, set()).add(term)
    doomed: list[tuple[int, str]] = []  # keys (customer, term)
    new: list[CustomerSearchTerm] = []
    for customer_id in ids:
        have = stored.get(customer_id, set())
        want = wanted.get(customer_id, set())
        doomed += [(customer_id, term) for term in sorted(have - want)]
        new += [CustomerSearchTerm(customer_id=customer_id, term=term) for term in sorted(want - have)]
    if doomed:
        CustomerSearchTerm.objects.filter(pk__in=doomed).delete()
    if new:
        CustomerSearchTerm.objects.bulk_create(new, batch_size=1000)
    return bool(doomed or new)


def terms_for_new(customers: Iterable) -> list[tuple[int, list[str]]]:
    """``(customer id, its terms in order)`` for freshly inserted customers (without contacts
    yet): the bulk import writes them with ``bulk_sql.insert_word_lists``."""
    groups: list[tuple[int, list[str]]] = []
    fields = CUSTOMER_FIELDS
    pick = itemgetter(*fields)
    for customer in customers:
        values = customer.__dict__
        try:
            texts = pick(values)
        except KeyError:  # a field not loaded: through the model
            texts = [values[f] if f in values else getattr(customer, f) for f in fields]
        groups.append((customer.id, sorted(terms_of(texts))))
    return groups


def _customer_saved(sender, instance, created, update_fields=None, raw=False, **kwargs) -> None:
    if raw or (update_fields is not None and not set(update_fields) & set(CUSTOMER_FIELDS)):
        return
    terms_refresh([instance.pk])  # the customer's own save already moves the generation on


def _contact_before_save(sender, instance, raw=False, **kwargs) -> None:
    from fortycrm.models import Contact

    instance._search_old_customer_id = None
    if not raw and instance.pk and not instance._state.adding:
        instance._search_old_customer_id = Contact.objects.filter(pk=instance.pk).values_list("customer_id", flat=True).first()


def _contact_changed(sender, instance, raw=False, origin=None, **kwargs) -> None:
    from fortycrm.listcache import customer_data_changed
    from fortycrm.models import Customer

    if raw:
        return
    if isinstance(origin, Customer) or getattr(origin, "model", None) is Customer:
        return  # the customer itself is being deleted: its terms go with it
    ids = {instance.customer_id, getattr(instance, "_search_old_customer_id", None)}
    if terms_refresh(ids):
        customer_data_changed()  # cached search counts of the customer list follow


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    from fortycrm.models import Contact, Customer

    post_save.connect(_customer_saved, sender=Customer, dispatch_uid="fortycrm_search_customer_saved")
    pre_save.connect(_contact_before_save, sender=Contact, dispatch_uid="fortycrm_search_contact_before")
    post_save.connect(_contact_changed, sender=Contact, dispatch_uid="fortycrm_search_contact_saved")
    post_delete.connect(_contact_changed, sender=Contact, dispatch_uid="fortycrm_search_contact_deleted")
    connect_records()


# --- contacts, locations and meters (the desk lists' searches) ---------------------------------
#: fields whose words a contact, location, meter, order or reading is found by
#: (``RecordSearchTerm``; the kind is the model's name)
RECORD_FIELDS = {
    "contact": CONTACT_FIELDS,  # also its customer's terms: the contacts list searches those alone (_word_q)
    "location": ("name", "street", "postcode", "city"),
    "meter": ("number", "comment"),
    "order": ("title",),
    "meterreading": ("comment",),
}


def _record_model(kind: str):
    from fortycrm.models import Contact, Location, Meter, MeterReading, Order

    return {"contact": Contact, "location": Location, "meter": Meter, "order": Order, "meterreading": MeterReading}[kind]


def record_terms_refresh(kind: str, record_ids: Iterable[int]) -> bool:
    """Rewrite the terms of these records of ``kind`` from the stored data; True when any changed.

    Two reads for any number of records (plus the writes of what changed)."""
    from fortycrm.models import RecordSearchTerm

    ids = sorted({pk for pk in record_ids if pk})
    if not ids:
        return False
    fields = RECORD_FIELDS[kind]
    wanted = {row["pk"]: terms_of(row[f] for f in fields) for row in _record_model(kind).objects.filter(pk__in=ids).values("pk", *fields)}
    stored: dict[int, dict[str, int]] = {}
    for pk, record_id, term in RecordSearchTerm.objects.filter(kind=kind, record_id__in=ids).values_list("pk", "record_id", "term"):
        stored.setdefault(record_id, {})[term] = pk
    doomed: list[int] = []
    new: list[RecordSearchTerm] = []
    for record_id in ids:
        have, want = stored.get(record_id, {}), wanted.get(record_id, set())
        doomed += [pk for term, pk in have.items() if term not in want]
        new += [RecordSearchTerm(kind=kind, record_id=record_id, term=term) for term in sorted(want - set(have))]
    if doomed:
        RecordSearchTerm.objects.filter(pk__in=doomed).delete()
    if new:
        RecordSearchTerm.objects.bulk_create(new, batch_size=1000)
    return bool(doomed or new)


def record_terms_fill(term_model, model, kind: str, fields: Iterable[str]) -> None:
    """Write the terms of every ``model`` row of ``kind`` in batches (the data migrations, which
    pass their historical models)."""
    rows = []
    for values in model.objects.order_by("pk").values_list("pk", *fields).iterator(chunk_size=2000):
        rows += [term_model(kind=kind, record_id=values[0], term=term) for term in sorted(terms_of(values[1:]))]
        if len(rows) >= 5000:
            term_model.objects.bulk_create(rows, batch_size=1000)
            rows = []
    term_model.objects.bulk_create(rows, batch_size=1000)


def _matches(variants: set[str]) -> Q:
    matches = Q()
    for variant in sorted(variants):
        matches |= _prefix_q(variant)
    return matches


def _record_terms(kind: str, variants: set[str]):
    from fortycrm.models import RecordSearchTerm

    return RecordSearchTerm.objects.filter(kind=kind).filter(_matches(variants))


def _customer_terms(variants: set[str]):
    from fortycrm.models import CustomerSearchTerm

    return CustomerSearchTerm.objects.filter(_matches(variants))


#: up to this many matching ids a list search filters by the ids themselves
LITERAL_IDS = 1000


def _ids(subquery, column: str, *, outer: str = "pk"):
    """``outer`` among the ``column`` values of ``subquery``, read first (one small index read):
    up to ``LITERAL_IDS`` of them as a literal list, which every database answers by an index
    range or an index merge of the OR'ed parts (MariaDB scans the rows for an OR of two
    ``IN (subquery)``). More: the subquery itself (SQLite: EXISTS probed in list order; MariaDB:
    materialised once, or, for a common word of a one-common-word search (more than
    ``DENSE_MATCH`` matches), probed row by row in the list's order). The same queries either way
    (MariaDB: always also the capped count), so a page's query count does not depend on the data."""
    state = _search_state.get()
    try:
        key = (str(subquery.query), column)
    except EmptyResultSet:  # matches nothing: answered without a query
        key = None
    if state is not None and key in state["read"]:
        found, dense = state["read"][key]
    else:
        found = set(subquery.values_list(column, flat=True)[: 2 * LITERAL_IDS + 1])
        dense = connection.vendor != "sqlite" and _dense(subquery, column)  # asked always: the same queries for any data
        if state is not None and key is not None:
            state["read"][key] = (found, dense)
    if state is not None and dense and len(found) > LITERAL_IDS:
        state["dense"] = True
    if len(found) <= LITERAL_IDS:
        return Q(**{f"{outer}__in": sorted(found)})
    if connection.vendor == "sqlite":
        if state is not None:
            state["long"] = True
            if state["materialise"]:  # the capped count of several long words (list_search_q)
                return Q(**{f"{outer}__in": subquery.values(column)})
        return _exists(subquery, column, outer)
    # MariaDB materialises an OR'ed IN or EXISTS whole (a common word: 25,000 terms per page and
    # count). When the matches are dense (a common word), each row is probed in the list's order
    # instead, by a subquery MariaDB keeps per row, and a page stops after its rows.
    if dense and (state is None or state["probe"]):
        if state is not None:
            state["probed"] = True
        probe = subquery.filter(**{column: OuterRef(outer) + 0}).values(column)[:1]
        return Q(IsNull(Subquery(probe), False))
    return Q(**{f"{outer}__in": subquery.values(filter_id=F(column) + 0)})


DENSE_MATCH = 10_000

#: lists whose SQLite search, with two or more long words, counts by each word's list read once
#: (their words are one list each: the customer's terms; measured, see ``list_search_q``)
SQLITE_COUNT_MATERIALISED = ("contact", "invoice")

# one list search: the matches read per subquery (read once), whether dense rows may be probed
_search_state: ContextVar[dict | None] = ContextVar("fortycrm_search_state", default=None)


def _more_than(subquery, column: str, limit: int) -> bool:
    """More than ``limit`` matches: is there a match after the first ``limit`` (one walk over the
    terms' index; MariaDB: ``LIMIT 1 OFFSET`` skips them without a capped count's derived table,
    2.8 → 1.9 ms for a word of 25,000 matches)."""
    return bool(list(subquery.values_list(column, flat=True)[limit : limit + 1]))


def _dense(subquery, column: str) -> bool:
    """More than ``DENSE_MATCH`` matches (a common word)."""
    return _more_than(subquery, column, DENSE_MATCH)


def _word_q(list_kind: str, variants: set[str]):
    """Rows of a desk list (``list_kind``) one query word finds: their own terms or those of the
    customer, location or meter they belong to; each an index range, never a scan."""
    from fortycrm.models import Location, Meter

    if list_kind == "contact":
        # its own words or its customer's: a contact's terms are among its customer's terms (the
        # customer's include its contacts' names and e-mails, CONTACT_FIELDS), so the customer's
        # terms alone answer, one range and one list of matches per word instead of two
        return _ids(_customer_terms(variants), "customer_id", outer="customer_id")
    if list_kind == "location":
        return _ids(_record_terms(list_kind, variants), "record_id") | _ids(_customer_terms(variants), "customer_id", outer="customer_id")
    if list_kind == "meter":  # its number or comment, its location, or the location's customer
        return (
            _ids(_record_terms("meter", variants), "record_id")
            | _ids(_record_terms("location", variants), "record_id", outer="location_id")
            | _ids(Location.objects.filter(_ids(_customer_terms(variants), "customer_id", outer="customer_id")), "id", outer="location_id")
        )
    if list_kind == "reading":  # its comment, or its meter's number, comment or location
        meters = Meter.objects.filter(
            _ids(_record_terms("meter", variants), "record_id") | _ids(_record_terms("location", variants), "record_id", outer="location_id")
        )
        return _ids(_record_terms("meterreading", variants), "record_id") | _ids(meters, "id", outer="meter_id")
    if list_kind == "order":  # its title, its customer or its location
        locations = Location.objects.filter(_ids(_record_terms("location", variants), "record_id"))
        return (
            _ids(_record_terms("order", variants), "record_id")
            | _ids(_customer_terms(variants), "customer_id", outer="customer_id")
            | _ids(locations, "id", outer="location_id")
        )
    if list_kind == "invoice":
        return _ids(_customer_terms(variants), "customer_id", outer="customer_id")
    raise ValueError(list_kind)


def list_search_q(list_kind: str, text: str, info: dict | None = None) -> Q | None:
    """The desk search of the contacts, locations, meters, readings, orders or invoices list:
    every word of ``text`` must start a word of the row (or of its customer, location, meter),
    umlauts and ß folded as in the customer search. None: nothing to search for. ``info`` gets
    ``materialised``: True when every part is a materialised list of matches (no probing); and
    ``count_condition`` when the search is one common word, probed (MariaDB): the same condition
    with every part materialised, for the capped count. Probing finds a page's 50 rows early in
    the list's order, but counting up to 1,001 matches probes thousands of rows one by one
    (orders searched by "weber": 38–58 ms); the materialised lists count them in 10–12 ms."""
    words = query_words(text)
    if not words:
        return None
    # MariaDB probes the rows of a common word one by one in the list's order (a page stops after
    # its rows). Two or more common words together match few rows: probing would walk most of
    # the table for the capped count, so then every part is materialised once (the same reads).
    state = {"read": {}, "probe": True, "dense": False, "probed": False, "long": False, "materialise": False}
    token = _search_state.set(state)
    try:
        parts = []
        dense_words = long_words = 0
        for variants in words:
            state["dense"] = state["long"] = False
            parts.append(_word_q(list_kind, variants))
            dense_words += state["dense"]
            long_words += state["long"]
        if dense_words > 1:
            state["probe"] = False
            parts = [_word_q(list_kind, variants) for variants in words]
            if info is not None:
                info["materialised"] = True
        elif state["probed"] and dense_words == len(words) and info is not None:
            # one common word alone: its count would probe thousands of rows. With other words
            # beside it, their short lists bound the rows probed, and materialising the common
            # word's matches would cost more ("Objekt 1234": 15 → 57 ms)
            state["probe"] = False  # the same reads (remembered in state["read"])
            counted = Q()
            for variants in words:
                counted &= _word_q(list_kind, variants)
            info["count_condition"] = counted
        elif long_words > 1 and list_kind in SQLITE_COUNT_MATERIALISED and info is not None:
            # SQLite (long lists are only probed there): two or more words with long match
            # lists. The page probes each row (EXISTS; it stops after its rows), but counting
            # up to 1,001 rows that match every word walks far ("Jorg Weber": 22,000 contacts,
            # two probes each, 10.5 ms); each word's list read once (IN) counts them in 7 ms.
            # The same reads (remembered in state["read"]), the same rows.
            state["materialise"] = True
            counted = Q()
            for variants in words:
                counted &= _word_q(list_kind, variants)
            info["count_condition"] = counted
    finally:
        _search_state.reset(token)
    condition = Q()
    for part in parts:
        condition &= part
    return condition


def _record_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        record_terms_refresh(sender._meta.model_name, [instance.pk])


def _record_deleted(sender, instance, **kwargs) -> None:
    from fortycrm.models import RecordSearchTerm

    RecordSearchTerm.objects.filter(kind=sender._meta.model_name, record_id=instance.pk).delete()


def connect_records() -> None:
    from django.db.models.signals import post_delete, post_save

    for kind in RECORD_FIELDS:
        model = _record_model(kind)
        post_save.connect(_record_saved, sender=model, dispatch_uid=f"fortycrm_search_{kind}_saved")
        post_delete.connect(_record_deleted, sender=model, dispatch_uid=f"fortycrm_search_{kind}_deleted")
