"""The "import possible duplicates anyway" choice becomes a field of the import log.

It used to be stored as a fake warning row (level "option", code "duplicate"); such rows
are turned into the field and removed."""

from django.db import migrations, models


def option_rows_to_field(apps, schema_editor):
    ImportLog = apps.get_model("fortycrm", "ImportLog")
    for log in ImportLog.objects.filter(warnings__isnull=False).only("pk", "warnings").iterator():
        warnings = log.warnings or []
        kept = [w for w in warnings if not (isinstance(w, dict) and w.get("level") == "option")]
        if len(kept) != len(warnings):
            ImportLog.objects.filter(pk=log.pk).update(allow_duplicates=True, warnings=kept)


class Migration(migrations.Migration):
    dependencies = [
        ("fortycrm", "0010_desk_roles_and_api_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="importlog",
            name="allow_duplicates",
            field=models.BooleanField(
                default=False,
                help_text="Same name and postcode or same e-mail are then only flagged, not refused.",
                verbose_name="Import possible duplicates anyway",
            ),
        ),
        migrations.RunPython(option_rows_to_field, migrations.RunPython.noop),
    ]
