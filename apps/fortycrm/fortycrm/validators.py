"""Validators shared by models, forms, API and import."""

from __future__ import annotations

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import formats
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
# The logo's thumbnail decodes PNG, GIF and WebP whole (PNG with alpha ~8 bytes a pixel at
# the peak, WebP ~15), JPEG at 1/8 size (draft): these limits keep one upload under 50 MB
# more than an idle worker (benchmarks/upload_memory.py, tests/test_uploads.py).
LOGO_PIXEL_LIMITS = {"JPEG": MAX_IMAGE_PIXELS, "PNG": 5_000_000, "GIF": 5_000_000, "WEBP": 2_000_000}
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")


def _new_upload(file) -> bool:
    """A file just uploaded (not yet stored); stored files were checked when they came in."""
    return hasattr(file, "read") and not getattr(file, "_committed", False)


def validate_image_extension(file) -> None:
    """Only picture extensions: the stored name keeps it, and it decides the served type."""
    if not _new_upload(file):
        return
    suffix = PurePath(file.name or "").suffix.lower()
    if suffix not in IMAGE_EXTENSIONS:
        raise ValidationError(
            _("Files ending in “%(ext)s” cannot be uploaded as a picture. Please upload a JPEG, PNG, GIF or WebP picture "
              "(.jpg, .jpeg, .png, .gif or .webp)."),
            code="invalid_image_extension",
            params={"ext": suffix or PurePath(file.name or "").name},
        )


def _too_many_pixels(pixels: int, maximum: int) -> ValidationError:
    return ValidationError(
        _("The picture has %(px)d megapixels; at most %(max)d are allowed."),
        code="image_too_large",
        params={"px": pixels // 1_000_000, "max": maximum // 1_000_000},
    )


def validate_image_file(file) -> None:
    """Refuse files that are not real images (checked by decoding), are too large or have
    another extension than .jpg/.jpeg/.png/.gif/.webp. Already stored files pass."""
    if not _new_upload(file):
        return
    validate_image_extension(file)
    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("The file is %(size).1f MB; at most %(max)d MB are allowed. Please upload a smaller picture."),
            code="file_too_large",
            params={"size": size / 1024 / 1024, "max": MAX_IMAGE_BYTES // 1024 // 1024},
        )
    fmt, width, height = _inspect(file)
    if fmt not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            _("Image type %(fmt)s is not supported. Please upload a JPEG, PNG, GIF or WebP picture."),
            code="invalid_image_type",
            params={"fmt": fmt},
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(width * height, MAX_IMAGE_PIXELS)


def validate_logo_file(file) -> None:
    """A customer's logo: a picture as above, within LOGO_PIXEL_LIMITS for its format, so
    that making its thumbnail stays small in memory."""
    validate_image_file(file)
    if not _new_upload(file):
        return
    fmt, width, height = _inspect(file)
    limit = LOGO_PIXEL_LIMITS.get(fmt, MAX_IMAGE_PIXELS)
    if width * height > limit:
        raise ValidationError(
            _("The logo has %(px)s megapixels; a %(fmt)s logo may have at most %(max)d. "
              "Please scale it down or save it as JPEG."),
            code="logo_too_large",
            params={"px": formats.number_format(round(width * height / 1_000_000, 1), 1), "fmt": fmt, "max": limit // 1_000_000},
        )


def _inspect(file) -> tuple[str, int, int]:
    """Format and size from the header, after Pillow's structural check; the pixels are not decoded."""
    from PIL import Image, UnidentifiedImageError

    pos = file.tell() if hasattr(file, "tell") else None
    try:
        if pos is not None:
            file.seek(0)
        image = Image.open(file)
        fmt = image.format
        width, height = image.size
        image.verify()
    except Image.DecompressionBombError:
        raise _too_many_pixels(Image.MAX_IMAGE_PIXELS * 2, MAX_IMAGE_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This file is not an image. Please upload a JPEG, PNG, GIF or WebP picture."),
            code="invalid_image",
        ) from None
    finally:
        if pos is not None:
            file.seek(pos)
    return fmt, width, height
