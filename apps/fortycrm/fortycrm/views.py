from __future__ import annotations

import mimetypes

from django.contrib.admin.views.decorators import staff_member_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404


@staff_member_required
def protected_file(request, name: str):
    """Uploaded files (logos, meter photos) are served to signed-in staff only; no listing."""
    if ".." in name.split("/") or name.startswith("/"):
        raise Http404
    if not name or name.endswith("/") or not default_storage.exists(name):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (IsADirectoryError, PermissionError):  # a folder is never listed
        raise Http404 from None
    content_type, _encoding = mimetypes.guess_type(name)
    return FileResponse(handle, content_type=content_type or "application/octet-stream")
