"""The API's customer search goes through the same indexed search terms as the desk (issue 13)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def test_api_customer_search_uses_the_terms(read_api):
    mueller = factories.company("Müller Gebäudeservice GmbH", status="Kunde", number=10030)
    numbered = factories.company("Zahl GmbH", status="Kunde", number=10039)
    factories.company("Beta GmbH", status="Kunde", number=10040)
    found = {r["id"] for r in read_api.get("/api/v1/customers/", {"search": "muller"}).json()["results"]}
    assert found == {mueller.pk}
    found = {r["id"] for r in read_api.get("/api/v1/customers/", {"search": "1003"}).json()["results"]}
    assert found == {mueller.pk, numbered.pk}  # a number by its first digits
    with CaptureQueriesContext(connection) as captured:
        read_api.get("/api/v1/customers/", {"search": "gebaudeservice"})
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "customersearchterm" in sql and not re.search(r"(name|email|city)\W*\s+LIKE", sql)  # no LIKE '%…%' over customers


def _terms_one_text_at_a_time(values) -> set[str]:
    """The rule before the texts were split as one: every text by itself, every word through the cache of variants."""
    from fortycrm.search import _variants, _words

    terms: set[str] = set()
    for value in values:
        if value in (None, ""):
            continue
        for word in _words(value):
            terms |= _variants(word)
    return terms


def test_terms_of_splits_all_texts_at_once_with_the_same_result():
    from fortycrm.search import terms_of

    cases = [
        ["Gebäudeservice Müller 17 GmbH", "Müller 17", "", None, "info17@mueller-17.de", "50667", "Köln", 10017],
        ["STRAẞE", "Straße 5", "Æbeltoft Œuvre Øster Łódź Đorđe Þór"],
        ["ΟΔΟΣ", "Σ", "σοφός ΟΔΟΣ ΑΘΗΝΑΣ"],  # Greek final sigma: lower() looks at the neighbours
        ["Cafe\u0301 Zoe\u0308", "e\u0301", "\u0301Anfang", "İstanbul"],  # combining marks, decomposed umlauts, dotted I
        ["x" * 60, "ü" * 50, "a_b c-d", "12.345,67", "über-ÄRGER", "ÜBER"],
        [0, 123456789, "0"],
    ]
    for values in cases:
        assert terms_of(values) == _terms_one_text_at_a_time(values), values


def test_words_split_at_white_space_give_the_patterns_words():
    """``_words`` takes a piece between white space that is all letters and digits as one word and
    runs the pattern only on the other pieces: the same words as the pattern over the whole text."""
    import random
    import unicodedata

    from fortycrm.search import _SPECIAL, _WORD, _words

    def by_pattern(text: str) -> list[str]:
        return _WORD.findall(unicodedata.normalize("NFC", text).lower().translate(_SPECIAL))

    chooser = random.Random(14)
    alphabet = "aZ9_-.@ \t\n\xa0\u2003\x1cäÖßẞ\u0301Σσ²½٣一İ,;/'"
    samples = ["Gebäudeservice Müller 17 GmbH", "info17@mueller-17.de", "a_b c-d", "12.345,67", "x²+½ ٣ 一二", " \xa0lead trail\u2003", ""]
    samples += ["".join(chooser.choice(alphabet) for _ in range(chooser.randint(1, 20))) for _ in range(5000)]
    for text in samples:
        assert _words(text) == by_pattern(text), repr(text)


@pytest.mark.django_db(transaction=True)
def test_migration_keys_the_terms_by_customer_and_term_and_keeps_them_both_ways():
    from django.db.migrations.executor import MigrationExecutor

    from tests.migrations import migration_around

    executor, before, after = migration_around("_search_terms_keyed_by_customer_and_term")

    def terms(state) -> list[tuple[int, str]]:
        model = executor.loader.project_state(state).apps.get_model("fortycrm", "CustomerSearchTerm")
        return sorted(model.objects.values_list("customer_id", "term"))

    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    status = old_apps.get_model("fortycrm", "CustomerStatus").objects.first()
    customer = old_apps.get_model("fortycrm", "Customer").objects.create(kind="company", name="Alt GmbH", status_id=status.pk)
    old_apps.get_model("fortycrm", "CustomerSearchTerm").objects.bulk_create(
        [old_apps.get_model("fortycrm", "CustomerSearchTerm")(customer_id=customer.pk, term=t) for t in ("alt", "gmbh")]
    )
    for target in (after, before, after):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(target)
        assert terms(target) == [(customer.pk, "alt"), (customer.pk, "gmbh")]
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the newest schema for the next tests
    # the key refuses a term twice for the same customer
    from django.db import IntegrityError

    from fortycrm.models import CustomerSearchTerm

    with pytest.raises(IntegrityError):
        CustomerSearchTerm.objects.create(customer_id=customer.pk, term="alt")
