"""Uploaded files: random stored names, who may read which folder, thumbnails, clean-up.

Files live in the default storage (``sites/<site>/files/``) in one folder per owning model:

- ``logos/`` (and ``logos/thumbs/``) belong to customers,
- ``readings/`` to meter readings,
- ``letterheads/`` to letterhead templates (R-PAY-2),
- ``imports/`` to import logs (the uploaded CSV/XLSX, deleted once the import has finished).

A file is served (``views.protected_file``) only to a signed-in user who may view the
owning model; stored names are random, the original name stays where the desk shows it
(``ImportLog.file_name``).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction

THUMBNAIL_SIZE = (96, 96)
IMPORT_FILE_KEEP_DAYS = 7

# first folder of the stored name → permission on the owning model
FOLDER_PERMISSIONS = {
    "logos": "fortycrm.view_customer",
    "readings": "fortycrm.view_meterreading",
    "imports": "fortycrm.view_importlog",
    "letterheads": "fortycrm.view_letterhead",
}


def random_name(folder: str, filename: str) -> str:
    """``<folder>/<32 hex digits><.ext>``: the original name never reaches the disk."""
    suffix = PurePath(filename or "").suffix.lower()
    if not suffix[1:].isalnum() or len(suffix) > 6 or not suffix.isascii():
        suffix = ""
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def logo_upload_to(instance, filename: str) -> str:
    return random_name("logos", filename)


def logo_thumbnail_upload_to(instance, filename: str) -> str:
    return random_name("logos/thumbs", filename)


def reading_photo_upload_to(instance, filename: str) -> str:
    return random_name("readings", filename)


def import_file_upload_to(instance, filename: str) -> str:
    return random_name("imports", filename)


def permission_for(name: str) -> str | None:
    """The permission needed to read the stored file ``name`` (None: nobody is served it)."""
    folder = name.split("/", 1)[0]
    return FOLDER_PERMISSIONS.get(folder) if "/" in name else None


def delete_after_commit(storage, names: Iterable[str]) -> None:
    """Delete stored files once the current transaction commits (never on a rollback)."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def logo_thumbnail(file) -> ContentFile:
    """A PNG of at most THUMBNAIL_SIZE for the lists.

    JPEGs are decoded at reduced size (``draft``: 1/2 … 1/8 of the pixels); other formats are
    decoded whole, which is why logos in those formats have a lower pixel limit
    (validators.LOGO_PIXEL_LIMITS). ``reduce`` shrinks by whole factors before resampling.
    """
    from PIL import Image

    file.seek(0)
    with Image.open(file) as image:
        image.draft(None, (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
        image.thumbnail(THUMBNAIL_SIZE, reducing_gap=2.0)
        out = io.BytesIO()
        image.convert("RGBA").save(out, format="PNG")
    file.seek(0)
    return ContentFile(out.getvalue(), name=f"{PurePath(file.name).stem}.png")


def import_file_finished(log) -> None:
    """An import ended: delete its uploaded file unless a preview waits for its commit.

    The log (counts, problems, original file name) stays. Files of previews nobody committed
    within IMPORT_FILE_KEEP_DAYS are removed too (their commit is then refused by the log's
    state), so no customer list stays on disk for good.
    """
    from django.utils import timezone

    from fortycrm.models import ImportLog

    waiting = log.dry_run and log.state in (ImportLog.State.PREVIEWED, ImportLog.State.FAILED)
    if log.file and not waiting:
        name, storage = log.file.name, log.file.storage
        ImportLog.objects.filter(pk=log.pk).update(file="")
        log.file = ""
        storage.delete(name)
    stale = ImportLog.objects.exclude(file="").exclude(state__in=[ImportLog.State.PENDING, ImportLog.State.RUNNING])
    stale = stale.filter(created_at__lt=timezone.now() - timedelta(days=IMPORT_FILE_KEEP_DAYS))
    storage = ImportLog._meta.get_field("file").storage
    for pk, name in list(stale.values_list("pk", "file")[:100]):
        ImportLog.objects.filter(pk=pk).update(file="", state=ImportLog.State.FAILED, dry_run=True)
        storage.delete(name)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer (any DRF response, errors included).

    Customer data must not stay in browser or proxy caches; served files set it themselves
    (views.protected_file). Put it in ``MIDDLEWARE``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if hasattr(response, "accepted_renderer"):  # set by every DRF view, errors included
            response["Cache-Control"] = "no-store"
        return response
