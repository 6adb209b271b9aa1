"""Uploaded photos are decoded and re-encoded: square JPEG, no metadata, bad files refused."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from webapp.therapy.photos import SIZE, PhotoError, prepare_photo

LIMIT = 4 * 1024 * 1024


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS info
        options["exif"] = data.tobytes()
    image.save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_become_a_square_jpeg(fmt):
    result = Image.open(io.BytesIO(prepare_photo(image_bytes(fmt), max_bytes=LIMIT)))
    assert result.format == "JPEG" and result.size == (SIZE, SIZE)


def test_metadata_such_as_location_is_removed():
    original = image_bytes(exif=True)
    assert b"SecretCam" in original
    result = prepare_photo(original, max_bytes=LIMIT)
    assert b"SecretCam" not in result
    assert not Image.open(io.BytesIO(result)).getexif()


def test_a_gif_is_refused():
    with pytest.raises(PhotoError, match="JPEG, PNG or WebP"):
        prepare_photo(image_bytes("GIF"), max_bytes=LIMIT)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(PhotoError, match="smaller than 1MB"):
        prepare_photo(b"x" * (1024 * 1024 + 1), max_bytes=1024 * 1024)


def test_an_empty_upload_asks_for_a_photo():
    with pytest.raises(PhotoError, match="Select a photo"):
        prepare_photo(b"", max_bytes=LIMIT)


def test_a_tiny_image_is_refused():
    with pytest.raises(PhotoError, match="at least 100 pixels"):
        prepare_photo(image_bytes(size=(50, 400)), max_bytes=LIMIT)


def test_an_image_claiming_too_many_pixels_is_refused_before_decoding():
    huge = image_bytes("PNG", size=(1, 1))
    # Rewrite the PNG header's width and height to 20,000 x 20,000 (400 megapixels).
    patched = huge[:16] + (20000).to_bytes(4, "big") + (20000).to_bytes(4, "big") + huge[24:]
    with pytest.raises(PhotoError):
        prepare_photo(patched, max_bytes=LIMIT)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_cleanly_or_give_a_jpeg(data):
    try:
        result = prepare_photo(data, max_bytes=LIMIT)
    except PhotoError:
        return
    assert Image.open(io.BytesIO(result)).format == "JPEG"
