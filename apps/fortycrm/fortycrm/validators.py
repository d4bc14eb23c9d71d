"""Validators shared by models, forms, API and import."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

color_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}$", _("Enter a colour as #RRGGBB, e.g. #1E88E5."), code="invalid_color"
)

MAX_ID = 2**63 - 1


def parse_whole_number(value, *, maximum: int = MAX_ID) -> int | None:
    """``value`` as a whole number 0..maximum when it is written in ASCII digits, else None.

    ``str.isdigit()`` is true for "³" or "٣", which ``int()`` refuses or reads differently;
    user input goes through this instead.
    """
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None


MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def validate_image_file(file) -> None:
    """Refuse files that are not real images (checked by decoding) or are too large."""
    if file is None:
        return
    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(max)d MB are allowed. Please upload a smaller picture."),
            code="file_too_large",
            params={"size": size / 1024 / 1024, "max": MAX_IMAGE_BYTES // 1024 // 1024},
        )
    from PIL import Image, UnidentifiedImageError

    try:
        pos = file.tell() if hasattr(file, "tell") else None
        image = Image.open(file)
        fmt = image.format
        width, height = image.size
        image.verify()
        if pos is not None:
            file.seek(pos)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image. Please upload a JPEG, PNG, GIF or WebP picture."),
            code="invalid_image",
        ) from None
    if fmt not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            _("Image type %(fmt)s is not supported. Please upload a JPEG, PNG, GIF or WebP picture."),
            code="invalid_image_type",
            params={"fmt": fmt},
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            _("The picture has %(px)d megapixels; at most %(max)d are allowed."),
            code="image_too_large",
            params={"px": width * height // 1_000_000, "max": MAX_IMAGE_PIXELS // 1_000_000},
        )
