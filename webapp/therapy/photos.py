"""Profile photos: whatever image a therapist uploads is decoded and re-encoded by us.

No flask, no sqlalchemy: bytes in, bytes out. Re-encoding to a fresh JPEG drops every piece of
metadata (EXIF with GPS positions, camera serials, embedded thumbnails, ICC profiles, comments)
and anything hidden in the original file, so what we serve is only pixels we wrote. Only JPEG,
PNG and WebP are accepted; images with more than MAX_PIXELS pixels are refused before decoding
(decompression bombs); the result is a centred square of at most SIZE pixels a side.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PIXELS = 40_000_000  # about a 7,000 x 5,700 photo: more than any phone takes
SIZE = 400
CONTENT_TYPE = "image/jpeg"


class PhotoError(ValueError):
    """The upload cannot be used; the message is written for the person who uploaded it."""


def prepare_photo(data: bytes, *, max_bytes: int) -> bytes:
    """A square JPEG of at most SIZE x SIZE pixels with no metadata, or PhotoError."""
    if not data:
        raise PhotoError("Select a photo")
    if len(data) > max_bytes:
        raise PhotoError(f"The photo must be smaller than {max_bytes // (1024 * 1024)}MB")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below its own hard limit; here a warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format not in ACCEPTED_FORMATS:
                raise PhotoError("The photo must be a JPEG, PNG or WebP")
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise PhotoError("The photo is too large: choose one under 40 megapixels")
            image.load()
            upright = ImageOps.exif_transpose(image)
            square = ImageOps.fit(upright.convert("RGB"), (SIZE, SIZE), Image.Resampling.LANCZOS)
    except PhotoError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise PhotoError("The photo must be a JPEG, PNG or WebP") from error
    if min(width, height) < 100:
        raise PhotoError("The photo must be at least 100 pixels wide and high")
    out = io.BytesIO()
    # No exif=, icc_profile= or comment=: the new file carries pixels only.
    square.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()
