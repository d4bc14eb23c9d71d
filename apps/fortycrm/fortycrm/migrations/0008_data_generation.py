"""The customer-data generation gets its own table instead of a row among the number sequences."""

from django.db import migrations, models

GENERATION_KEY = "customer-data"


def move_to_own_table(apps, schema_editor):
    NumberSequence = apps.get_model("fortycrm", "NumberSequence")
    DataGeneration = apps.get_model("fortycrm", "DataGeneration")
    old = NumberSequence.objects.filter(key=GENERATION_KEY).first()
    DataGeneration.objects.update_or_create(key=GENERATION_KEY, defaults={"value": old.last_value if old else 0})
    NumberSequence.objects.filter(key=GENERATION_KEY).delete()


def move_back(apps, schema_editor):
    NumberSequence = apps.get_model("fortycrm", "NumberSequence")
    DataGeneration = apps.get_model("fortycrm", "DataGeneration")
    current = DataGeneration.objects.filter(key=GENERATION_KEY).first()
    if current is not None:
        NumberSequence.objects.update_or_create(key=GENERATION_KEY, defaults={"last_value": current.value})


class Migration(migrations.Migration):

    dependencies = [
        ("fortycrm", "0007_rate_counters"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataGeneration",
            fields=[
                ("key", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="key")),
                ("value", models.BigIntegerField(default=0, verbose_name="value")),
            ],
            options={
                "verbose_name": "data generation",
                "verbose_name_plural": "data generations",
            },
        ),
        migrations.RunPython(move_to_own_table, move_back),
    ]
