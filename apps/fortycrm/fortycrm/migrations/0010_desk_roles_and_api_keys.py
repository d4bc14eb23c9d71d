"""API keys are for Administration only; "staff status" follows the roles (groups).

Office roles (Büro, Support) lose the permission to view API keys. Every user's "staff status"
is set to what the roles say (superuser or in at least one group), as fortycrm.access keeps it.
"""

from django.db import migrations
from django.db.models import Q

OFFICE_ROLES = ["Büro", "Support"]


def forward(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    view_key = Permission.objects.filter(content_type__app_label="fortycrm", codename="view_apikey").first()
    if view_key is not None:
        for group in Group.objects.filter(name__in=OFFICE_ROLES):
            group.permissions.remove(view_key)
    in_group = set(User.objects.filter(groups__isnull=False).values_list("pk", flat=True))
    with_role = Q(is_superuser=True) | Q(pk__in=in_group)
    User.objects.filter(with_role).update(is_staff=True)
    User.objects.exclude(with_role).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [
        ("fortycrm", "0009_upload_names"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
