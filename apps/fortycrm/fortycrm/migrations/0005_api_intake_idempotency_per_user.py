"""Idempotency-Keys of the intake per caller (API key or desk user), not per nullable API key."""

from django.db import migrations, models


def fill_owner(apps, schema_editor):
    IntakeRequest = apps.get_model("fortycrm", "IntakeRequest")
    for record in IntakeRequest.objects.filter(api_key__isnull=False).only("pk", "api_key_id"):
        IntakeRequest.objects.filter(pk=record.pk).update(owner=f"key:{record.api_key_id}")
    # earlier session requests did not record their user: each keeps its own owner
    for pk in IntakeRequest.objects.filter(api_key__isnull=True).values_list("pk", flat=True):
        IntakeRequest.objects.filter(pk=pk).update(owner=f"unknown:{pk}")


class Migration(migrations.Migration):
    dependencies = [("fortycrm", "0004_account_manager_active_in_group")]

    operations = [
        migrations.AddField(
            model_name="intakerequest",
            name="owner",
            field=models.CharField(default="", max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill_owner, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="intakerequest", name="intake_idempotency_unique"),
        migrations.AddConstraint(
            model_name="intakerequest",
            constraint=models.UniqueConstraint(fields=("owner", "key"), name="intake_idempotency_owner_unique"),
        ),
    ]
