"""Ship the default statuses (R-STA-1), the customer and invoice counters, and the roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def forwards(apps, schema_editor):
    from fortycrm.setup import ensure_defaults

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("fortycrm", "0001_initial_schema"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
