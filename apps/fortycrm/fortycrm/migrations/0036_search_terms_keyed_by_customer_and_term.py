"""The customers' search terms get the key (customer, term) instead of an own id.

Django cannot turn an existing primary key into a composite one, so the terms move to a new
table with that key (copied with one INSERT … SELECT), the old table is dropped and the new
one takes its name. The terms are an index of the customers (``fortycrm.search``), rebuilt
from them whenever they change; nothing else points at them."""

import django.db.models.deletion
from django.db import migrations, models


def _copy(schema_editor, source: str, target: str) -> None:
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:  # rows, not schema: a plain statement
        cursor.execute(
            f"INSERT INTO {quote(target)} ({quote('customer_id')}, {quote('term')}) SELECT {quote('customer_id')}, {quote('term')} FROM {quote(source)}"
        )


def copy_terms(apps, schema_editor):
    _copy(schema_editor, apps.get_model("fortycrm", "CustomerSearchTerm")._meta.db_table, apps.get_model("fortycrm", "CustomerSearchTermKeyed")._meta.db_table)


def copy_terms_back(apps, schema_editor):
    _copy(schema_editor, apps.get_model("fortycrm", "CustomerSearchTermKeyed")._meta.db_table, apps.get_model("fortycrm", "CustomerSearchTerm")._meta.db_table)


class Migration(migrations.Migration):
    dependencies = [
        ("fortycrm", "0035_s13_desk_customer_tags_by_tag_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSearchTermKeyed",
            fields=[
                ("pk", models.CompositePrimaryKey("customer", "term", blank=True, editable=False, primary_key=True, serialize=False)),
                ("customer", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="fortycrm.customer")),
                ("term", models.CharField(max_length=40)),
            ],
            options={
                "verbose_name": "search term",
                "verbose_name_plural": "search terms",
                "indexes": [models.Index(fields=["term", "customer"], name="customer_search_term_by_term")],
            },
        ),
        migrations.RunPython(copy_terms, copy_terms_back),
        migrations.DeleteModel(name="CustomerSearchTerm"),
        migrations.RenameModel(old_name="CustomerSearchTermKeyed", new_name="CustomerSearchTerm"),
    ]
