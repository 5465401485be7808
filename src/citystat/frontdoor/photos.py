"""An uploaded photo: checked for size and type, re-encoded as JPEG without metadata.

Re-encoding keeps only the pixels: EXIF (GPS position, camera, time), comments and colour profiles
are gone, and a file that only claims to be an image fails to open. The orientation EXIF asked for
is applied to the pixels first, so the photo still shows the right way up.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000
LONGEST_SIDE = 2000


class PhotoError(ValueError):
    """Why a photo was refused, in plain words (English text; ``values`` fill its placeholders)."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


def clean_photo(data: bytes, *, max_bytes: int) -> bytes:
    """The photo as a metadata-free JPEG, or a :class:`PhotoError`."""
    if not data:
        raise PhotoError("The selected file is empty")
    if len(data) > max_bytes:
        raise PhotoError("The photo must be smaller than {mb} MB", mb=str(max_bytes // (1024 * 1024)))
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED:
                raise PhotoError("The photo must be a JPG, PNG or WEBP")
            image.load()
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGB")
            upright.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise PhotoError("The photo must be a JPG, PNG or WEBP") from exc
    return out.getvalue()


def store_photo(cleaned: bytes, folder: Path) -> str:
    """Save a cleaned photo under a random name; returns the name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(12)}.jpg"
    (folder / name).write_bytes(cleaned)
    return name
