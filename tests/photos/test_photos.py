"""Residents' photos: hostile uploads are refused, metadata never survives, the store stays in its root.

Every image is generated here with Pillow (or crafted byte by byte for headers that Pillow would never
write); nothing is mocked.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import random
import struct
import threading
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from tocsin.photos import (
    BOMB_PIXELS_PER_BYTE,
    MAX_JPEG_SCANS,
    MAX_SEGMENTS,
    MAX_SIDE,
    CleanPhoto,
    PhotoError,
    PhotoStore,
    sanitize_photo,
)

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000

# Strings planted in metadata; none may appear in a sanitised file.
MARKERS = {
    "make": "MARKER-MAKE-Phone",
    "gps": "MARKER-GPS-DATUM",
    "xmp": "MARKER-XMP-creator",
    "text": "MARKER-PNG-TEXT",
    "comment": "MARKER-JPEG-COMMENT",
    "icc": "MARKER-ICC-DESC",
}


def sanitize(data: bytes, **kw) -> CleanPhoto:
    kw.setdefault("max_bytes", MAX_BYTES)
    kw.setdefault("max_pixels", MAX_PIXELS)
    return sanitize_photo(data, **kw)


def refused(data: bytes, **kw) -> PhotoError:
    with pytest.raises(PhotoError) as info:
        sanitize(data, **kw)
    exc = info.value
    assert exc.code in PhotoError.CODES
    assert str(exc) and len(str(exc)) < 120  # a short reason for the resident
    return exc


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def photo(size=(64, 48), mode="RGB") -> Image.Image:
    """A noisy picture (compresses like a photo, unlike a flat colour)."""
    rng = random.Random(size[0] * 7919 + size[1])
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    return image.convert(mode)


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MARKERS["make"]  # Make
    exif[0x0110] = "MARKER-MODEL"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x8825] = {  # GPS IFD
        1: "N",
        2: (55.0, 47.0, 1.5),
        3: "E",
        4: (32.0, 2.0, 40.25),
        0x12: MARKERS["gps"],  # GPSMapDatum
    }
    return exif


def icc_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes() + MARKERS["icc"].encode()  # trailing bytes ride along unparsed


def xmp_packet() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="'
        + MARKERS["xmp"].encode()
        + b'"/></rdf:RDF></x:xmpmeta>'
    )


def png_text_info() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", MARKERS["text"])
    info.add_text("Author", MARKERS["text"], zip=True)  # zTXt
    info.add_itxt("Description", MARKERS["text"], lang="en", tkey="Description")
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    return info


def png_chunks(data: bytes) -> list[bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    pos, kinds = 8, []
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def jpeg_segments(data: bytes) -> list[int]:
    """Markers of the JPEG's header segments, up to the first scan."""
    pos, markers = 2, []
    while True:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]


def webp_chunks(data: bytes) -> list[bytes]:
    pos, kinds = 12, []
    while pos + 8 <= len(data):
        kinds.append(data[pos : pos + 4])
        pos += 8 + struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        pos += pos % 2
    return kinds


def assert_no_metadata(clean: CleanPhoto) -> Image.Image:
    """Re-open the output and prove no metadata of any kind is left, in Pillow's view and in the bytes."""
    for marker in (*MARKERS.values(), "MARKER-MODEL"):
        assert marker.encode() not in clean.data
    for blob in (b"Exif\x00\x00", b"xmpmeta", b"adobe:ns:meta", b"http://ns.adobe.com/xap"):
        assert blob not in clean.data
    out = Image.open(io.BytesIO(clean.data))
    out.load()
    exif = out.getexif()
    assert len(exif) == 0
    assert len(exif.get_ifd(0x8825)) == 0  # GPS
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "Author"):
        assert key not in out.info
    assert out.format == {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[clean.media_type]
    if out.format == "PNG":
        assert out.text == {}
        assert set(png_chunks(clean.data)) <= {b"IHDR", b"IDAT", b"IEND", b"PLTE", b"tRNS"}
    elif out.format == "JPEG":
        # SOI is not listed; only JFIF (APP0), tables, frame header and scan: no APP1/APP2/APP13/COM.
        assert set(jpeg_segments(clean.data)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}
    else:
        assert set(webp_chunks(clean.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()
    assert (out.width, out.height) == (clean.width, clean.height)
    return out


# --------------------------------------------------------------------------------- metadata stripping


def test_jpeg_exif_gps_xmp_icc_comment_are_stripped():
    data = encode(
        photo((80, 60)),
        "JPEG",
        exif=exif_with_gps(),
        icc_profile=icc_profile(),
        comment=MARKERS["comment"].encode(),
        xmp=xmp_packet(),
        quality=90,
    )
    original = Image.open(io.BytesIO(data))  # the planted metadata really is there
    assert original.getexif().get_ifd(0x8825)[0x12] == MARKERS["gps"]
    assert {"icc_profile", "comment", "xmp"} <= set(original.info)
    for marker in ("make", "gps", "xmp", "comment", "icc"):
        assert MARKERS[marker].encode() in data

    clean = sanitize(data, declared_type="image/jpeg")
    assert (clean.media_type, clean.extension, clean.width, clean.height) == ("image/jpeg", "jpg", 80, 60)
    out = assert_no_metadata(clean)
    assert out.mode == "RGB"


def test_png_text_chunks_exif_icc_are_stripped():
    data = encode(
        photo((50, 40)), "PNG", pnginfo=png_text_info(), exif=exif_with_gps(), icc_profile=icc_profile()
    )
    kinds = set(png_chunks(data))
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= kinds
    clean = sanitize(data, declared_type="image/png")
    assert (clean.media_type, clean.extension) == ("image/png", "png")
    out = assert_no_metadata(clean)
    assert out.tobytes() == photo((50, 40)).tobytes()  # PNG stays lossless


def test_webp_exif_xmp_icc_are_stripped():
    data = encode(photo((40, 30)), "WEBP", exif=exif_with_gps(), xmp=xmp_packet(), icc_profile=icc_profile())
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(webp_chunks(data))
    clean = sanitize(data, declared_type="image/webp")
    assert (clean.media_type, clean.extension) == ("image/webp", "webp")
    assert_no_metadata(clean)


def test_malformed_exif_does_not_refuse_the_photo_and_no_warning_escapes():
    # An EXIF block whose IFD claims far more data than it holds: Pillow warns while reading it; the
    # photo must still pass (its metadata is dropped anyway) and, with warnings as errors, nothing leaks.
    bad_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x02\x01\x0f\x00\x02\x00\x00\xff\xff\x00\x00\x00\x20"
    bad_exif += b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00"
    data = encode(photo((30, 20)), "JPEG", exif=bad_exif)
    clean = sanitize(data)
    assert_no_metadata(clean)


# ---------------------------------------------------------------------------------------- orientation


def two_pixels() -> Image.Image:
    image = Image.new("RGB", (2, 1))
    image.putpixel((0, 0), (255, 0, 0))  # left: red
    image.putpixel((1, 0), (0, 0, 255))  # right: blue
    return image


def test_orientation_6_turns_a_2x1_image_into_1x2():
    data = encode(two_pixels(), "PNG", exif=exif_with_gps(orientation=6))
    clean = sanitize(data)
    out = assert_no_metadata(clean)
    assert (clean.width, clean.height) == (1, 2)
    # Orientation 6: the stored picture must be turned 90° clockwise to be upright, so left goes to top.
    assert out.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    assert out.convert("RGB").getpixel((0, 1)) == (0, 0, 255)


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (2, 1)), (3, (2, 1)), (5, (1, 2)), (6, (1, 2)), (8, (1, 2)), (99, (2, 1))]
)
def test_orientations_in_jpeg(orientation, size):
    data = encode(two_pixels().resize((200, 100)), "JPEG", exif=exif_with_gps(orientation=orientation))
    clean = sanitize(data)
    assert_no_metadata(clean)
    assert (clean.width, clean.height) == (size[0] * 100, size[1] * 100)


def test_orientation_8_in_webp():
    data = encode(two_pixels().resize((20, 10)), "WEBP", lossless=True, exif=exif_with_gps(orientation=8))
    clean = sanitize(data)
    out = assert_no_metadata(clean).convert("RGB")
    assert (clean.width, clean.height) == (10, 20)
    # Orientation 8: turn 90° counter-clockwise, so the right (blue) half ends on top.
    red, _, blue = out.getpixel((5, 2))
    assert blue > 200 and red < 60


# -------------------------------------------------------------------------------- modes, frames, size


def test_cmyk_jpeg_becomes_rgb():
    clean = sanitize(encode(photo((32, 32), "CMYK"), "JPEG"))
    assert assert_no_metadata(clean).mode == "RGB"


def test_greyscale_jpeg_stays_greyscale():
    clean = sanitize(encode(photo((32, 32), "L"), "JPEG"))
    assert assert_no_metadata(clean).mode == "L"


def test_palette_png_with_transparency_becomes_rgba():
    image = photo((16, 16)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    data = encode(image, "PNG", transparency=0)
    out = assert_no_metadata(sanitize(data))
    assert out.mode == "RGBA"
    assert out.getchannel("A").getextrema()[0] == 0


def test_palette_png_without_transparency_becomes_rgb():
    image = photo((16, 16)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    assert assert_no_metadata(sanitize(encode(image, "PNG"))).mode == "RGB"


def test_la_png_becomes_rgba():
    image = Image.merge("LA", (photo((8, 8), "L"), Image.new("L", (8, 8), 128)))
    out = assert_no_metadata(sanitize(encode(image, "PNG")))
    assert out.mode == "RGBA"
    assert out.getchannel("A").getextrema() == (128, 128)


def test_16_bit_greyscale_png_is_scaled_not_clipped():
    image = Image.new("I;16", (2, 1))
    image.putpixel((0, 0), 65535)
    image.putpixel((1, 0), 32768)
    out = assert_no_metadata(sanitize(encode(image, "PNG")))
    assert out.mode == "L"
    assert [out.getpixel((0, 0)), out.getpixel((1, 0))] == [255, 128]


def test_webp_alpha_is_kept():
    image = photo((20, 20)).convert("RGBA")
    image.putalpha(100)
    out = assert_no_metadata(sanitize(encode(image, "WEBP", lossless=True)))
    assert out.mode == "RGBA"


def test_apng_keeps_only_the_first_frame():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert b"acTL" in data and b"fdAT" in data
    clean = sanitize(data)
    out = assert_no_metadata(clean)
    assert b"acTL" not in clean.data and b"fcTL" not in clean.data
    assert getattr(out, "n_frames", 1) == 1
    assert out.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_animated_webp_keeps_only_the_first_frame():
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    clean = sanitize(data)
    out = assert_no_metadata(clean)
    assert b"ANIM" not in clean.data and b"ANMF" not in clean.data
    assert getattr(out, "n_frames", 1) == 1
    red, green, _ = out.convert("RGB").getpixel((5, 5))
    assert red > 200 and green < 60


def test_mpo_multi_picture_jpeg_keeps_the_first_picture():
    first, second = photo((40, 30)), Image.new("RGB", (40, 30), (0, 255, 0))
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    clean = sanitize(data, declared_type="image/jpeg")
    out = assert_no_metadata(clean)
    assert clean.media_type == "image/jpeg"
    assert getattr(out, "n_frames", 1) == 1 and out.size == (40, 30)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_long_side_is_scaled_down_to_max_side(fmt):
    image = photo((60, 25)).resize((MAX_SIDE * 2 + 10, 500))
    clean = sanitize(encode(image, fmt))
    assert_no_metadata(clean)
    assert clean.width == MAX_SIDE
    assert clean.height == round(500 * MAX_SIDE / (MAX_SIDE * 2 + 10))


def test_a_very_thin_image_keeps_at_least_one_pixel():
    clean = sanitize(encode(Image.new("L", (MAX_SIDE * 3, 1), 200), "PNG"))
    assert (clean.width, clean.height) == (MAX_SIDE, 1)


def test_image_at_max_side_is_not_resized():
    clean = sanitize(encode(Image.new("RGB", (MAX_SIDE, 3), (1, 2, 3)), "PNG"))
    assert (clean.width, clean.height) == (MAX_SIDE, 3)


def test_png_that_would_be_stored_larger_than_max_bytes_becomes_jpeg():
    data = encode(photo((200, 200)).quantize(256), "PNG")  # palette: one byte a pixel
    as_rgb_png = len(encode(photo((200, 200)).quantize(256).convert("RGB"), "PNG"))
    assert as_rgb_png > 2 * len(data)
    clean = sanitize(data, max_bytes=len(data), declared_type="image/png")
    assert (clean.media_type, clean.extension) == ("image/jpeg", "jpg")
    assert len(clean.data) < as_rgb_png
    assert_no_metadata(clean)
    assert sanitize(data, max_bytes=as_rgb_png).media_type == "image/png"  # room enough: stays lossless


def test_transparent_png_that_would_be_too_large_becomes_webp():
    image = photo((200, 200)).quantize(256)
    data = encode(image, "PNG", transparency=3)
    clean = sanitize(data, max_bytes=len(data))
    assert (clean.media_type, clean.extension) == ("image/webp", "webp")
    assert assert_no_metadata(clean).mode == "RGBA"


def test_trailing_data_is_dropped_not_kept():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>MARKER-ZIP-PAYLOAD</script>")
    for fmt in ("JPEG", "PNG", "WEBP"):
        clean = sanitize(encode(photo((20, 20)), fmt) + archive.getvalue())
        assert_no_metadata(clean)
        assert b"MARKER-ZIP-PAYLOAD" not in clean.data and b"PK\x03\x04" not in clean.data


def test_same_input_gives_same_output():
    data = encode(photo((30, 30)), "JPEG", exif=exif_with_gps())
    assert sanitize(data) == sanitize(data)


# ------------------------------------------------------------------------------------ size and pixels


def test_empty_file():
    assert refused(b"").code == "empty"


def test_over_max_bytes_is_refused_before_decoding():
    data = encode(photo((64, 64)), "PNG")
    assert refused(data, max_bytes=len(data) - 1).code == "too_large"
    assert refused(b"\x00" * 5000, max_bytes=4096).code == "too_large"  # not even looked at
    assert str(refused(b"x" * (MAX_BYTES + 1))) == "file is larger than 8 MB"
    assert sanitize(data, max_bytes=len(data)).width == 64


def test_too_many_pixels():
    data = encode(photo((400, 300)), "PNG")  # noise: an ordinary ratio of pixels to bytes
    exc = refused(data, max_pixels=100_000)
    assert exc.code == "too_many_pixels"
    assert str(exc) == "image is larger than 0.1 megapixels"
    assert sanitize(data, max_pixels=120_000).width == 400


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def crafted_png(width: int, height: int, idat: bytes = b"", colour_type: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def test_png_header_claiming_100000x100000_is_a_bomb():
    data = crafted_png(100_000, 100_000, zlib.compress(b"\x00" * 1000))
    assert len(data) < 200
    exc = refused(data)
    assert exc.code == "bomb"
    # Even when the deployment's limit would allow it, Pillow's own guard still stops it (and its
    # error is reported as a bomb, not raised).
    assert refused(data, max_pixels=10**12).code == "bomb"


def test_pillow_bomb_warning_does_not_escape():
    # Between Pillow's MAX_IMAGE_PIXELS and twice that, Pillow only warns; with a generous max_pixels our
    # header check lets it through, and the warning must become a refusal, not escape (pytest: -W error).
    assert Image.MAX_IMAGE_PIXELS is not None
    side = int((Image.MAX_IMAGE_PIXELS * 1.5) ** 0.5)
    data = crafted_png(side, side, zlib.compress(b"\x00" * 100))
    assert refused(data, max_pixels=10**12).code == "bomb"


def test_real_highly_compressible_large_png_is_a_bomb():
    data = encode(Image.new("1", (16_000, 16_000)), "PNG")  # 256 megapixels in a few tens of KB
    assert BOMB_PIXELS_PER_BYTE * len(data) < 16_000 * 16_000
    assert refused(data).code == "bomb"


def test_compressible_png_within_the_limits_is_accepted_and_scaled():
    data = encode(Image.new("L", (6000, 5000), 77), "PNG")  # 30 megapixels, tiny file
    clean = sanitize(data)
    assert (clean.width, clean.height) == (MAX_SIDE, round(5000 * MAX_SIDE / 6000))


def segment_offset(data: bytes, marker: int) -> int:
    """Offset of the first header segment with this marker (walking lengths, not searching bytes)."""
    pos = 2
    while data[pos + 1] != marker:
        assert data[pos + 1] != 0xDA, "marker not found before the first scan"
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return pos


def with_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    sof = segment_offset(data, 0xC0)
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def test_jpeg_header_claiming_huge_dimensions():
    data = with_jpeg_size(encode(photo((16, 16)), "JPEG"), 65_000, 65_000)
    assert refused(data).code == "bomb"
    big = encode(photo((200, 200)), "JPEG", quality=95)
    assert refused(with_jpeg_size(big, 9000, 5000)).code in {"too_many_pixels", "bomb"}
    assert refused(with_jpeg_size(big, 9000, 5000), max_pixels=1000).code in {"too_many_pixels", "bomb"}


def test_webp_canvas_claiming_huge_dimensions():
    data = bytearray(encode(photo((16, 16)), "WEBP", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"))
    assert data[12:16] == b"VP8X"
    data[24:30] = (2**24 - 1).to_bytes(3, "little") * 2  # canvas 16777216 × 16777216
    assert refused(bytes(data)).code == "bomb"


def test_jpeg_with_too_many_scans_is_refused():
    data = encode(photo((64, 64)), "JPEG", progressive=True)
    last_sos = data.rindex(b"\xff\xda")
    extra = data[last_sos:-2] * (MAX_JPEG_SCANS + 5)
    exc = refused(data[:-2] + extra + b"\xff\xd9")
    assert exc.code == "bomb"
    assert sanitize(data).width == 64  # the original progressive JPEG is fine


def test_jpeg_made_of_too_many_segments_is_refused():
    # Millions of empty APP segments would keep Pillow's Python marker loop busy for minutes.
    data = encode(photo((16, 16)), "JPEG")
    many = data[:2] + b"\xff\xe5\x00\x02" * (MAX_SEGMENTS + 1) + data[2:]
    assert refused(many).code == "bomb"
    assert sanitize(data[:2] + b"\xff\xe5\x00\x02" * 100 + data[2:]).width == 16  # a few are fine


def test_png_made_of_too_many_chunks_is_refused():
    data = encode(photo((16, 16)), "PNG")
    idat = data.index(b"IDAT") - 4
    many = data[:idat] + png_chunk(b"tEXt", b"a\x00b") * (MAX_SEGMENTS + 1) + data[idat:]
    assert refused(many).code == "bomb"
    few = data[:idat] + png_chunk(b"tEXt", b"a\x00MARKER-PNG-TEXT") * 100 + data[idat:]
    assert_no_metadata(sanitize(few))


def test_png_text_chunk_bomb_is_refused():
    # A zTXt chunk that inflates to 64 MB: Pillow stops at its text-chunk cap instead of inflating it all.
    bomb = zlib.compress(b"A" * (64 * 1024 * 1024), 9)
    base = encode(photo((8, 8)), "PNG")
    iend = base.rindex(b"IEND") - 4
    data = base[:iend] + png_chunk(b"zTXt", b"Comment\x00\x00" + bomb) + base[iend:]
    assert refused(data).code == "bomb"


# --------------------------------------------------------------------------------------- truncation


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_files(fmt, keep):
    data = encode(photo((120, 90)), fmt)
    exc = refused(data[: int(len(data) * keep)])
    assert exc.code == "truncated"
    assert str(exc) == "file is truncated"


def test_jpeg_cut_inside_its_header():
    data = encode(photo((32, 32)), "JPEG", exif=exif_with_gps())
    assert refused(data[:40]).code == "truncated"
    assert refused(data[:3]).code == "truncated"


def test_png_with_only_a_signature_or_broken_ihdr():
    assert refused(b"\x89PNG\r\n\x1a\n").code == "truncated"
    data = bytearray(encode(photo((8, 8)), "PNG"))
    data[12:16] = b"IHDX"
    assert refused(bytes(data)).code == "not_an_image"


def test_png_with_a_bad_crc_is_damaged():
    data = bytearray(encode(photo((8, 8)), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    exc = refused(bytes(data))
    assert exc.code == "not_an_image"
    assert str(exc) == "image is damaged"


def test_corrupt_jpeg_scan_data_never_escapes():
    data = bytearray(encode(photo((64, 64)), "JPEG"))
    start = data.index(b"\xff\xda") + 20
    rng = random.Random(5)
    for i in range(start, len(data) - 2, 7):
        data[i] = rng.randrange(256) & 0xFE  # never 0xFF: keep the marker structure
    try:
        assert_no_metadata(sanitize(bytes(data)))
    except PhotoError as exc:  # whatever the damage looks like, the answer is a PhotoError
        assert exc.code in PhotoError.CODES


# ------------------------------------------------------------------------------------- wrong formats


def gif() -> bytes:
    return encode(photo((8, 8)), "GIF")


@pytest.mark.parametrize(
    ("data", "code", "reason"),
    [
        (gif(), "unsupported_type", "GIF images are not accepted; send a JPEG, PNG or WebP photo"),
        (encode(photo((8, 8)), "BMP"), "unsupported_type", None),
        (encode(photo((8, 8)), "TIFF"), "unsupported_type", None),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "unsupported_type", None),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + b"\x00" * 64, "unsupported_type", None),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            "unsupported_type",
            "SVG images are not accepted; send a JPEG, PNG or WebP photo",
        ),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "not_an_image", None),
        (b"<html><body><svg><script>alert(1)</script></svg></body></html>", "not_an_image", None),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "not_an_image", None),
        (b"\x00", "not_an_image", None),
        (b"\x00" * 4096, "not_an_image", None),
        (b"\xef\xbb\xbfhello, world", "not_an_image", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40, "not_an_image", None),
    ],
    ids=[
        "gif",
        "bmp",
        "tiff",
        "heic",
        "avif",
        "svg",
        "html",
        "html-svg",
        "pdf",
        "nul",
        "zeros",
        "text",
        "wav",
    ],
)
def test_wrong_types(data, code, reason):
    exc = refused(data)
    assert exc.code == code
    if reason:
        assert str(exc) == reason
    elif code == "not_an_image":
        assert str(exc) == "not a JPEG, PNG or WebP image"


def test_zip_archive():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert refused(archive.getvalue()).code == "not_an_image"


def test_random_bytes():
    rng = random.Random(1)
    for _ in range(20):
        assert refused(rng.randbytes(rng.randrange(1, 3000))).code == "not_an_image"


def test_polyglots():
    png = encode(photo((8, 8)), "PNG")
    # An HTML page that carries a PNG later on is HTML, not a PNG.
    assert refused(b"<html><!--" + png + b"--><script>alert(1)</script></html>").code == "not_an_image"
    # The classic GIF/JavaScript polyglot.
    assert refused(b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1);").code == "unsupported_type"
    # A JPEG whose comment holds a script: accepted only as its pixels; the script is gone.
    data = encode(photo((16, 16)), "JPEG", comment=b"<script>alert('MARKER-POLYGLOT')</script>")
    clean = sanitize(data)
    assert b"MARKER-POLYGLOT" not in clean.data and b"<script" not in clean.data


def test_jpeg_without_frame_or_scan():
    assert refused(b"\xff\xd8\xff\xd9").code == "not_an_image"
    assert refused(b"\xff\xd8\xff\xe0\x00\x01" + b"\x00" * 50).code == "not_an_image"


# ------------------------------------------------------------------------------------- declared type


@pytest.mark.parametrize(
    "declared",
    [
        None,
        "",
        "image/png",
        "IMAGE/PNG",
        "image/png; charset=binary",
        " image/x-png ",
        "application/octet-stream",
    ],
)
def test_declared_type_that_fits(declared):
    assert sanitize(encode(photo((8, 8)), "PNG"), declared_type=declared).media_type == "image/png"


@pytest.mark.parametrize(
    ("fmt", "declared"),
    [
        ("PNG", "image/jpeg"),
        ("PNG", "image/webp"),
        ("JPEG", "image/png"),
        ("WEBP", "image/jpeg; q=1"),
        ("JPEG", "image/gif"),
        ("JPEG", "image/svg+xml"),
        ("PNG", "text/html"),
        ("PNG", "application/pdf"),
        ("JPEG", "image/jpeg\r\nX-Evil: 1"),  # not a clean type: refused rather than parsed loosely
    ],
)
def test_type_mismatch(fmt, declared):
    exc = refused(encode(photo((8, 8)), fmt), declared_type=declared)
    assert exc.code == "type_mismatch"
    assert declared.split(";")[0].strip() not in str(exc)  # the resident's own header is not echoed


def test_type_mismatch_is_checked_before_decoding():
    data = crafted_png(100_000, 100_000)  # a bomb, but the declared type already gives it away
    assert refused(data, declared_type="image/jpeg").code == "type_mismatch"


# -------------------------------------------------------------------------------------- the error type


def test_photo_error_is_a_value_error_with_a_code_and_pickles():
    exc = refused(b"")
    assert isinstance(exc, ValueError)
    again = pickle.loads(pickle.dumps(exc))
    assert (again.code, str(again)) == ("empty", "file is empty")
    with pytest.raises(ValueError):
        PhotoError("no_such_code", "x")


# ---------------------------------------------------------------------------------------- hypothesis


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=4096), st.sampled_from([None, "image/png", "image/jpeg", "application/octet-stream"])
)
def test_arbitrary_bytes_give_a_clean_photo_or_a_photo_error(data, declared):
    try:
        clean = sanitize(data, max_bytes=3000, max_pixels=1_000_000, declared_type=declared)
    except PhotoError as exc:
        assert exc.code in PhotoError.CODES
    else:
        assert_no_metadata(clean)


SEEDS = {
    "jpeg": encode(photo((24, 16)), "JPEG", exif=exif_with_gps(6), progressive=True),
    "png": encode(photo((24, 16), "RGBA"), "PNG", pnginfo=png_text_info()),
    "webp": encode(photo((24, 16)), "WEBP", exif=exif_with_gps(3)),
    "webp-lossless": encode(photo((24, 16), "RGBA"), "WEBP", lossless=True),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.integers(0, 10**6),
    st.binary(max_size=64),
)
def test_mutated_images_give_a_clean_photo_or_a_photo_error(seed, flips, cut, tail):
    data = bytearray(SEEDS[seed])
    for where, value in flips:
        data[where % len(data)] = value
    data = bytes(data[: len(data) - cut % 50]) + tail
    try:
        clean = sanitize(data, max_bytes=MAX_BYTES, max_pixels=1_000_000)
    except PhotoError as exc:
        assert exc.code in PhotoError.CODES
    else:
        assert_no_metadata(clean)


# ---------------------------------------------------------------------------------------------- store


def clean_photo(fmt="JPEG", size=(20, 10)) -> CleanPhoto:
    return sanitize(encode(photo(size), fmt, exif=exif_with_gps()))


def test_store_round_trip(tmp_path):
    store = PhotoStore(tmp_path / "photos")
    for fmt in ("JPEG", "PNG", "WEBP"):
        clean = clean_photo(fmt)
        path = store.save(clean)
        assert path == tmp_path / "photos" / clean.sha256[:2] / f"{clean.sha256}.{clean.extension}"
        assert path == store.path(clean.sha256, clean.media_type)
        assert store.read(clean.sha256, clean.media_type) == clean.data
    files = sorted(p for p in (tmp_path / "photos").rglob("*") if p.is_file())
    assert len(files) == 3
    assert not [p for p in files if p.name.startswith(".tmp-")]  # no temporary file left over


def test_store_save_is_idempotent(tmp_path):
    store = PhotoStore(tmp_path)
    clean = clean_photo()
    path = store.save(clean)
    before = path.stat()
    assert store.save(clean) == path
    assert store.save(sanitize(encode(photo((20, 10)), "JPEG", exif=exif_with_gps()))) == path  # same bytes
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_store_repairs_a_file_of_the_wrong_size(tmp_path):
    store = PhotoStore(tmp_path)
    clean = clean_photo()
    path = store.path(clean.sha256, clean.media_type)
    path.parent.mkdir()
    path.write_bytes(clean.data[:10])  # e.g. copied in by hand and cut short
    assert store.save(clean) == path
    assert path.read_bytes() == clean.data


def test_store_concurrent_saves_of_one_photo(tmp_path):
    store = PhotoStore(tmp_path / "deep" / "root")
    clean = clean_photo()
    errors: list[BaseException] = []

    def save():
        try:
            store.save(clean)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in (tmp_path / "deep").rglob("*") if p.is_file()] == [f"{clean.sha256}.jpg"]
    assert store.read(clean.sha256, "image/jpeg") == clean.data


def test_store_refuses_a_photo_whose_digest_does_not_match(tmp_path):
    clean = clean_photo()
    forged = CleanPhoto(clean.data + b"x", clean.media_type, clean.extension, 1, 1, clean.sha256)
    with pytest.raises(ValueError):
        PhotoStore(tmp_path).save(forged)
    assert list(tmp_path.iterdir()) == []


GOOD_SHA = "ab" * 32


@pytest.mark.parametrize(
    "sha",
    [
        "../../etc/passwd",
        "../" + "a" * 61,
        "a" * 62 + "/.",
        "AB" * 32,
        "Ab" * 32,
        "a" * 63,
        "a" * 65,
        "",
        "g" * 64,
        "a" * 63 + "\n",
        "a" * 64 + "\n",
        "a" * 63 + "\x00",
        "/" + "a" * 63,
        "ａ" * 64,  # full-width letters: not ASCII hex
        "٣" * 64,  # Arabic-Indic digits: \d would take them, hex must not
        None,
        b"a" * 64,
    ],
)
def test_store_path_refuses_malformed_digests(tmp_path, sha):
    store = PhotoStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(sha, "image/jpeg")
    with pytest.raises(ValueError):
        store.read(sha, "image/jpeg")


@pytest.mark.parametrize(
    "media_type",
    ["image/gif", "image/svg+xml", "text/html", "IMAGE/JPEG", "image/jpeg; x=1", "../jpg", "", None],
)
def test_store_path_refuses_unknown_media_types(tmp_path, media_type):
    with pytest.raises(ValueError):
        PhotoStore(tmp_path).path(GOOD_SHA, media_type)


def test_store_paths_stay_under_root(tmp_path):
    root = tmp_path / "photos"
    store = PhotoStore(str(root))  # a str root works too
    for media_type, ext in (("image/jpeg", "jpg"), ("image/png", "png"), ("image/webp", "webp")):
        path = store.path(GOOD_SHA, media_type)
        assert path == root / "ab" / f"{GOOD_SHA}.{ext}"
        assert path.resolve().is_relative_to(root.resolve())
    store.save(clean_photo())
    for dirpath, _, names in os.walk(tmp_path):
        for name in names:
            assert Path(dirpath, name).resolve().is_relative_to(root.resolve())


def test_store_read_of_a_missing_photo(tmp_path):
    with pytest.raises(FileNotFoundError):
        PhotoStore(tmp_path).read(GOOD_SHA, "image/png")
    with pytest.raises(FileNotFoundError):
        PhotoStore(tmp_path / "never-created").read(GOOD_SHA, "image/png")


def test_store_files_are_private(tmp_path):
    path = PhotoStore(tmp_path / "photos").save(clean_photo())
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0
