from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def olga(django_user_model):
    """An account manager: in the Büro group (R-CUS-5)."""
    from django.contrib.auth.models import Group

    from fortycrm.setup import ROLE_OFFICE

    user = django_user_model.objects.create_user("olga", "olga@example.com", "pw-olga-12345", is_staff=True, first_name="Olga")
    user.groups.add(Group.objects.get(name=ROLE_OFFICE))
    return user


@pytest.fixture
def nogroup(django_user_model):
    return django_user_model.objects.create_user("nogroup", "nogroup@example.com", "pw-nogroup-123")


@pytest.fixture
def base_data(olga, nogroup):
    """Customers 10001 (company) and 10002 (private) that the location/contact/meter files refer to."""
    from tests import factories

    hansa = factories.company("Hansa Reinigung GmbH", status="Kunde", number=10001, postcode="20457", email="info@hansa.de")
    schulz = factories.private("Schulz", "Petra", status="Kunde", number=10002)
    return {"hansa": hansa, "schulz": schulz}


def fixture_path(name: str) -> Path:
    return FIXTURES / name


def run(template: str, name: str, **kwargs):
    """Import a committed fixture file through the real service."""
    from fortycrm.imports.driver import import_file

    with fixture_path(name).open("rb") as f:
        return import_file(template=template, file=f, file_name=name, **kwargs)


def run_bytes(template: str, data: bytes, name: str = "upload.csv", **kwargs):
    import io

    from fortycrm.imports.driver import import_file

    return import_file(template=template, file=io.BytesIO(data), file_name=name, **kwargs)


def by_row(result) -> dict[int, list]:
    rows: dict[int, list] = {}
    for p in [*result.errors, *result.warnings]:
        rows.setdefault(p.row, []).append(p)
    return rows
