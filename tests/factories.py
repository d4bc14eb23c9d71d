"""Test data made through the services, so every rule holds for test data too."""

from __future__ import annotations

import io

from fortycrm.models import Customer, CustomerStatus
from fortycrm.services.customers import customer_create


def status(name: str) -> CustomerStatus:
    return CustomerStatus.objects.get(name=name)


def company(name: str = "Müller Gebäudereinigung GmbH", **kwargs) -> Customer:
    return customer_create(kind="company", name=name, **kwargs)


def private(last_name: str = "Schmidt", first_name: str = "Erika", **kwargs) -> Customer:
    return customer_create(kind="private", first_name=first_name, last_name=last_name, **kwargs)


def png_bytes(size: tuple[int, int] = (200, 120), color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()
