from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse

from fortycrm import uploads

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def protected_file(request, name: str):
    """Uploaded files, each only to users who may view the owning model; no listing.

    ``logos/`` → view customer, ``readings/`` → view meter reading, ``imports/`` → view
    import log (uploads.FOLDER_PERMISSIONS). Others, and users without the permission, are
    sent to the login; the answer is never cached.
    """
    if ".." in name.split("/") or name.startswith("/"):
        raise Http404
    permission = uploads.permission_for(name)
    user = request.user
    if permission is None:
        raise Http404
    if not (user.is_authenticated and user.is_active and user.has_perm(permission)):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not name or name.endswith("/") or not default_storage.exists(name):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (IsADirectoryError, PermissionError):  # a folder is never listed
        raise Http404 from None
    content_type, _encoding = mimetypes.guess_type(name)
    content_type = content_type or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=PurePath(name).name)
    response["Cache-Control"] = "no-store"
    return response
