"""Peak memory of one logo upload (check + thumbnail) over the idle process, in MB.

    .venv/bin/python benchmarks/upload_memory.py                 # built-in worst cases
    .venv/bin/python benchmarks/upload_memory.py logo.png ...    # your own files

Each file is measured in a fresh Python process: Django set up and warmed with a small
logo, then the resident-set high-water mark (Linux VmHWM) is reset, the upload runs through
the same steps as in the desk (Django's image form field, the model's validators,
``services.customers._make_thumbnail``), and the peak over the idle resident size is printed.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 50


def png_file(path: Path, width: int, height: int, *, mode: str = "RGB") -> Path:
    """A large but small-on-disk PNG written row by row (never held in memory)."""
    channels, color_type = {"RGB": (3, 2), "RGBA": (4, 6)}[mode]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes([200, 30, 30, 255][:channels]) * width
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)))
        data = b""
        for _ in range(height):
            data += compressor.compress(row)
            if len(data) > 1 << 20:
                out.write(chunk(b"IDAT", data))
                data = b""
        out.write(chunk(b"IDAT", data + compressor.flush()) + chunk(b"IEND", b""))
    return path


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(key)


def _measure(path: str) -> dict:
    """Runs inside the child process."""
    import gc

    sys.path[:0] = [str(ROOT), str(ROOT / "apps" / "fortycrm")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.forms import ImageField

    from fortycrm.models import Customer
    from fortycrm.services.customers import _make_thumbnail

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="fortycrm-upload-memory-")

    def upload(name: str, content: bytes) -> bool:
        file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        try:
            ImageField().clean(file)
            customer = Customer(logo=file)
            customer.clean_fields(exclude=[f.name for f in Customer._meta.fields if f.name != "logo"])
        except ValidationError:
            return False
        _make_thumbnail(customer)
        return True

    small = Path(settings.MEDIA_ROOT) / "small.png"
    upload("warm.png", png_file(small, 300, 200).read_bytes())  # load Pillow's plugins, Django's forms
    content = Path(path).read_bytes()
    gc.collect()
    idle = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current resident size
    accepted = upload(Path(path).name, content)
    peak = _status("VmHWM")
    return {"file": Path(path).name, "bytes": len(content), "accepted": accepted, "idle_mb": round(idle / 2**20, 1), "peak_over_idle_mb": round((peak - idle) / 2**20, 1)}


def measure(path: Path) -> dict:
    """Peak memory of uploading ``path`` as a logo, measured in a fresh process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "apps" / "fortycrm"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _made_by_pillow(path: Path, mode: str, side: int, **options) -> Path:
    """An image written by Pillow in another process (its pixels never raise this one's memory)."""
    color = {"RGB": (255, 140, 0), "RGBA": (200, 30, 30, 128), "P": 3}[mode]
    code = f"from PIL import Image; Image.new({mode!r}, ({side}, {side}), {color!r}).save({str(path)!r}, **{options!r})"
    subprocess.run([sys.executable, "-c", code], check=True)
    return path


def worst_cases(folder: Path) -> list[Path]:
    """The 6300×6300 PNG of issue 8 (item 11), then the largest logo allowed in each format."""
    from fortycrm.validators import LOGO_PIXEL_LIMITS

    side = {fmt: int(limit**0.5) for fmt, limit in LOGO_PIXEL_LIMITS.items()}
    return [
        png_file(folder / "bomb_6300x6300.png", 6300, 6300),
        png_file(folder / f"largest_png_{side['PNG']}px_rgba.png", side["PNG"], side["PNG"], mode="RGBA"),
        _made_by_pillow(folder / f"largest_webp_{side['WEBP']}px_rgba.webp", "RGBA", side["WEBP"], quality=80),
        _made_by_pillow(folder / f"largest_gif_{side['GIF']}px.gif", "P", side["GIF"]),
        _made_by_pillow(folder / f"largest_jpeg_{side['JPEG']}px.jpg", "RGB", side["JPEG"], quality=80),
    ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        print(json.dumps(_measure(argv[1])))
        return 0
    sys.path[:0] = [str(ROOT / "apps" / "fortycrm")]
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(a) for a in argv] or worst_cases(Path(tmp))
        worst = 0.0
        for path in files:
            result = measure(path)
            worst = max(worst, result["peak_over_idle_mb"])
            state = "accepted" if result["accepted"] else "refused"
            print(f"{result['file']:<40} {result['bytes'] / 1024:>9.0f} KB  {state:<8}  peak +{result['peak_over_idle_mb']:.1f} MB over idle {result['idle_mb']:.0f} MB")
    print(f"worst peak over idle: {worst:.1f} MB (limit {LIMIT_MB} MB)")
    return 0 if worst < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
