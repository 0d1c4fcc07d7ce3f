"""Residents' photos: check, re-encode without any metadata, and store outside the web root.

A photo a resident attaches to a Report is hostile input until proven otherwise: it may be a decompression
bomb, a truncated or crafted file, another format wearing an image extension, or a genuine photo that
carries the reporter's GPS position and phone model in its EXIF. ``sanitize_photo`` accepts only JPEG, PNG
and WebP, checks the declared pixel count from the file header before anything is decoded, decodes the
first frame fully, applies the EXIF orientation and re-encodes the pixels alone, so no EXIF, GPS, XMP, ICC
profile, comment or text chunk survives. ``PhotoStore`` keeps the result as a content-addressed file.

Limits (see the constants below), all checked from the headers before anything is decoded: a header that
claims more than ``max_pixels`` is refused ("too_many_pixels", or "bomb" when the file is absurdly small
for that many pixels); so are JPEGs with more than ``MAX_JPEG_SCANS`` scans and files made of more than
``MAX_SEGMENTS`` segments or chunks ("bomb": each would cost a pass or a Python loop turn). The longer side
is then scaled down to ``MAX_SIDE``, and a PNG that would be stored larger than ``max_bytes`` is written
lossy instead. Pillow's global ``Image.MAX_IMAGE_PIXELS`` is left as it is: it only acts as an outer
backstop (its error and warning are reported as "bomb"), so a ``max_pixels`` above it is capped by it.

Decoding is CPU-bound and blocking, and one photo is decoded at a time per process (see
``_PILLOW_LOCK``): call ``sanitize_photo`` from a worker thread, not directly on an event loop.

Colour profiles are dropped, not converted: wide-gamut photos (Display P3) come out slightly less
saturated, which is harmless for triage and avoids feeding hostile ICC data to a colour engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import struct
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image

MAX_SIDE = 4096
"""Longer side, in pixels, above which a photo is scaled down (bounds storage; plenty for triage)."""

JPEG_QUALITY = 85
WEBP_QUALITY = 85

MAX_JPEG_SCANS = 100
"""Most scans a (progressive) JPEG may have; encoders write about 10. Each scan costs a pass over the
image, so thousands of tiny scans would make decoding take minutes."""

MAX_SEGMENTS = 10_000
"""Most JPEG marker segments or PNG chunks a file may have. Real files have tens (a PNG split into 8 KB
IDAT chunks: about a thousand); Pillow walks them in Python, so millions of tiny ones would cost minutes."""

BOMB_PIXELS_PER_BYTE = 256
"""A file whose header claims more than ``max_pixels`` and more than this many pixels per byte of file is
called a decompression bomb rather than merely too large. Real photos have well under 50."""

# format → (media type, file extension); the only formats accepted and the only ones written.
MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_EXTENSIONS = dict(MEDIA_TYPES.values())  # media type → extension

# Content-Type values an upload may declare for each accepted format (lower case, without parameters).
_DECLARED: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
    "image/png": "PNG",
    "image/x-png": "PNG",
    "image/apng": "PNG",
    "image/webp": "WEBP",
}
# Declared types that say nothing about the content (browsers send these for unknown extensions).
_NEUTRAL_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_SHA256 = re.compile(r"[0-9a-f]{64}")

# Standard EXIF orientation → the transposition that shows the image upright (as ImageOps.exif_transpose).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# warnings.catch_warnings() swaps process-wide state, so two threads inside it at once could leave
# warnings silenced (or turned into errors) for good. One lock serialises every Pillow call made here; as
# a bonus only one photo is being decoded per process at a time, which bounds peak memory.
_PILLOW_LOCK = threading.Lock()


class PhotoError(ValueError):
    """A photo was refused; ``str(exc)`` is a short English reason safe to show the resident
    (e.g. "not a JPEG, PNG or WebP image", "image is larger than 40 megapixels", "file is truncated").

    ``code`` is a stable machine word: "too_large", "too_many_pixels", "not_an_image", "type_mismatch",
    "truncated", "bomb", "unsupported_type" or "empty".
    """

    CODES = frozenset(
        {
            "too_large",
            "too_many_pixels",
            "not_an_image",
            "type_mismatch",
            "truncated",
            "bomb",
            "unsupported_type",
            "empty",
        }
    )

    code: str

    def __init__(self, code: str, reason: str) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown photo error code {code!r}")
        super().__init__(reason)
        self.code = code

    def __reduce__(self):  # keep pickling (e.g. across process pools) working with two arguments
        return (type(self), (self.code, str(self)))


@dataclass(frozen=True)
class CleanPhoto:
    """A photo re-encoded from its pixels alone: no metadata at all."""

    data: bytes  # the re-encoded image
    media_type: str  # "image/jpeg" | "image/png" | "image/webp"
    extension: str  # "jpg" | "png" | "webp"
    width: int
    height: int
    sha256: str  # hex digest of data


# ---------------------------------------------------------------------------------------------- header


@dataclass(frozen=True)
class _Header:
    """What the file says about itself, read without decoding: format, canvas size, whether it is whole."""

    format: str  # a key of MEDIA_TYPES
    width: int
    height: int
    complete: bool  # the end marker (JPEG EOI, PNG IEND, the RIFF length) is present
    end: int  # where the image proper ends (trailing bytes after it are dropped)
    scans: int = 1  # JPEG only


_NOT_AN_IMAGE = "not a JPEG, PNG or WebP image"
_DAMAGED = "image is damaged"
_TRUNCATED = "file is truncated"

# Formats that are images but not accepted, recognised by their first bytes for a clearer message.
_OTHER_IMAGE_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"8BPS", "Photoshop"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000"),
    (0, b"qoif", "QOI"),
)
_HEIF_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"hevm": "HEIC",
    b"hevs": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}


def _unsupported(name: str) -> PhotoError:
    return PhotoError("unsupported_type", f"{name} images are not accepted; send a JPEG, PNG or WebP photo")


def _other_format(data: bytes) -> PhotoError:
    """The refusal for a file that is not JPEG, PNG or WebP: name the format when it is another image."""
    for offset, magic, name in _OTHER_IMAGE_MAGIC:
        if data.startswith(magic, offset):
            return _unsupported(name)
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return _unsupported(_HEIF_BRANDS[data[8:12]])
    if data.startswith(b"BM") and len(data) >= 26 and data[14] in (12, 40, 52, 56, 64, 108, 124):
        return _unsupported("BMP")
    # SVG is XML text: look near the start only, case-insensitively, after any BOM or XML prologue.
    head = data[:4096].lower()
    if b"<svg" in head and b"<html" not in head:
        return _unsupported("SVG")
    return PhotoError("not_an_image", _NOT_AN_IMAGE)


def _read_header(data: bytes) -> _Header:
    """Identify the format by content and read the canvas size, without decoding any pixels."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_header(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_header(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_header(data)
    raise _other_format(data)


def _too_many_segments() -> PhotoError:
    return PhotoError("bomb", "image is made of too many pieces to decode safely")


def _png_header(data: bytes) -> _Header:
    n = len(data)
    if n < 33:
        raise PhotoError("truncated", _TRUNCATED)
    if data[12:16] != b"IHDR" or struct.unpack(">I", data[8:12])[0] != 13:
        raise PhotoError("not_an_image", _DAMAGED)
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise PhotoError("not_an_image", _DAMAGED)
    pos, complete, end = 8, False, n
    # Walk the chunk headers (no payload is read) to find IEND; a file cut short never reaches it.
    for _ in range(MAX_SEGMENTS):
        if pos + 8 > n:
            break
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        if length >= 2**31:
            raise PhotoError("not_an_image", _DAMAGED)
        if data[pos + 4 : pos + 8] == b"IEND":
            complete, end = True, min(n, pos + 12)
            break
        pos += 12 + length
    else:
        raise _too_many_segments()
    return _Header("PNG", width, height, complete, end)


def _webp_header(data: bytes) -> _Header:
    n = len(data)
    riff_end = 8 + struct.unpack("<I", data[4:8])[0]
    chunk, body = data[12:16], data[20:]
    if chunk == b"VP8 " and len(body) >= 10:
        if body[3:6] != b"\x9d\x01\x2a":
            raise PhotoError("not_an_image", _DAMAGED)
        width = struct.unpack("<H", body[6:8])[0] & 0x3FFF
        height = struct.unpack("<H", body[8:10])[0] & 0x3FFF
    elif chunk == b"VP8L" and len(body) >= 5:
        if body[0] != 0x2F:
            raise PhotoError("not_an_image", _DAMAGED)
        bits = struct.unpack("<I", body[1:5])[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8X" and len(body) >= 10:
        # Extended format: the canvas is 24 bits a side, and the decoder allocates it up front.
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
    elif n < 30:
        raise PhotoError("truncated", _TRUNCATED)
    else:
        raise PhotoError("not_an_image", _DAMAGED)
    if width == 0 or height == 0:
        raise PhotoError("not_an_image", _DAMAGED)
    return _Header("WEBP", width, height, riff_end <= n, min(riff_end, n))


# JPEG start-of-frame markers (baseline, extended, progressive, lossless, arithmetic); C4, C8, CC are not.
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


# A marker: 0xFF then a byte that is not stuffing (00), TEM (01), a restart marker (D0–D7) or fill (FF).
# One fixed-width pattern, so the search is linear even over long runs of 0xFF.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\x01\xd0-\xd7\xff]")


def _jpeg_header(data: bytes) -> _Header:
    """Walk the JPEG's markers up to the first EOI: frame size, number of scans, completeness.

    Inside entropy-coded data a 0xFF byte is always followed by 0x00 (stuffing) or a restart marker, so
    any other 0xFFxx there is the next real marker; junk and fill bytes between segments are skipped as
    libjpeg does. The walk is linear in the file size and reads no pixel data.
    """
    n = len(data)
    pos = 2
    width = height = 0
    scans = segments = 0
    while match := _JPEG_MARKER.search(data, pos):
        marker, pos = data[match.start() + 1], match.end()
        segments += 1
        if segments > MAX_SEGMENTS:
            raise _too_many_segments()
        if marker == 0xD9:  # EOI
            if not scans:
                raise PhotoError("not_an_image", _DAMAGED)
            return _Header("JPEG", width, height, True, pos, scans)
        if pos + 2 > n:
            break
        length = struct.unpack(">H", data[pos : pos + 2])[0]
        if length < 2:
            raise PhotoError("not_an_image", _DAMAGED)
        if marker in _SOF:
            if pos + 7 > n:
                break
            frame_height, frame_width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            if frame_width * frame_height >= width * height:  # several frame headers: trust the largest
                width, height = frame_width, frame_height
        elif marker == 0xDA:  # SOS: a scan header, then entropy-coded data up to the next marker
            if not (width and height):
                raise PhotoError("not_an_image", _DAMAGED)
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise PhotoError("bomb", "image has too many progressive scans to decode safely")
        pos += length
    # The walk ran out of bytes before EOI (and perhaps before the frame header): the file was cut short.
    raise PhotoError("truncated", _TRUNCATED)


def _check_declared(declared_type: str | None, detected: str) -> None:
    """Refuse an upload whose Content-Type names something other than what the bytes are."""
    if declared_type is None:
        return
    media = declared_type.split(";", 1)[0].strip().lower()
    if media in _NEUTRAL_TYPES or _DECLARED.get(media) == detected:
        return
    raise PhotoError(
        "type_mismatch",
        f"the file is a {detected.replace('WEBP', 'WebP')} image but was sent as another type",
    )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


# ---------------------------------------------------------------------------------------------- decode


def _pillow_failure(exc: BaseException) -> PhotoError:
    """Translate whatever Pillow raised on hostile input into a PhotoError."""
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return PhotoError("bomb", "image expands to far more pixels than allowed (decompression bomb)")
    if isinstance(exc, MemoryError):
        return PhotoError("bomb", "image needs too much memory to decode")
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text:
        return PhotoError("truncated", _TRUNCATED)
    # PngImagePlugin's caps on compressed text and ICC chunks (MAX_TEXT_CHUNK, MAX_TEXT_MEMORY).
    if "too large" in text or "too much memory" in text:
        return PhotoError("bomb", "image holds a decompression bomb in its metadata")
    return PhotoError("not_an_image", _DAMAGED)


def _open(data: bytes, header: _Header, max_pixels: int) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=[header.format])
    # An MPO (multi-picture JPEG from some phones) opens as its first picture, which is all we keep.
    if image.format not in (header.format, "MPO"):
        raise PhotoError("not_an_image", _DAMAGED)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise PhotoError("not_an_image", _DAMAGED)
    if width * height > max_pixels:  # our header reading and Pillow's disagree: trust the larger
        raise PhotoError("too_many_pixels", f"image is larger than {_megapixels(max_pixels)} megapixels")
    return image


def _target_size(width: int, height: int) -> tuple[int, int]:
    longer = max(width, height)
    if longer <= MAX_SIDE:
        return width, height
    scale = MAX_SIDE / longer
    return max(1, round(width * scale)), max(1, round(height * scale))


def _orientation(image: Image.Image) -> int:
    """EXIF (or XMP) orientation 1–8; 1 when absent or unreadable (bad EXIF must not refuse the photo)."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
        return int(value) if int(value) in range(1, 9) else 1
    except Exception:
        return 1


def _plain_mode(image: Image.Image) -> Image.Image:
    """Convert to L, RGB or RGBA: the only modes written out (alpha kept when the image has any)."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        # 16-bit greyscale: scale to 8 bits (a plain convert would clip everything above 255 to white).
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = mode in ("RGBA", "LA", "La", "PA", "RGBa") or "transparency" in image.info
    if has_alpha:
        return image if mode == "RGBA" else image.convert("RGBA")
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    return image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV …


def _clean_pixels(data: bytes, header: _Header, max_pixels: int) -> Image.Image:
    """Verify, decode the first frame fully, scale down, orient: a new image holding pixels only."""
    with Image.open(io.BytesIO(data), formats=[header.format]) as probe:
        probe.verify()  # PNG: every chunk's CRC; JPEG and WebP: nothing beyond the open itself
    image = _open(data, header, max_pixels)
    try:
        target = _target_size(*image.size)
        if target != image.size and header.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale straight away (never below the target).
            image.draft(None, target)
        image.load()  # the first frame only, for animated PNG and WebP
        orientation = _orientation(image)
        pixels = _plain_mode(image)
        if pixels.size != target:
            pixels = pixels.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        if orientation in _ORIENTATION:
            pixels = pixels.transpose(_ORIENTATION[orientation])
        # A brand-new image from raw pixels: no info dict, no EXIF, no palette, nothing to leak.
        return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    finally:
        image.close()


def _encode(pixels: Image.Image, fmt: str, max_bytes: int) -> tuple[bytes, str]:
    """Write the pixels in ``fmt``; return the bytes and the format actually used.

    A lossless PNG can come out much larger than the upload (a palette image written as RGB triples in
    size, a downscaled photo may compress worse): past ``max_bytes`` it is written lossy instead, as JPEG,
    or WebP when it has transparency, so a stored photo stays about as small as the uploads allowed.
    """
    encoded = _write(pixels, fmt)
    if fmt == "PNG" and len(encoded) > max_bytes:
        fmt = "WEBP" if pixels.mode == "RGBA" else "JPEG"
        encoded = _write(pixels, fmt)
    return encoded, fmt


def _write(pixels: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if pixels.mode == "RGBA":  # cannot happen for JPEG input; kept so the encoder never fails
            pixels = pixels.convert("RGB")
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        pixels.save(out, "PNG", compress_level=6)
    else:
        pixels.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def sanitize_photo(
    data: bytes, *, max_bytes: int, max_pixels: int, declared_type: str | None = None
) -> CleanPhoto:
    """Check a resident's photo and return it re-encoded from its pixels alone, or raise ``PhotoError``.

    Accepts JPEG, PNG and WebP (detected from the content); ``declared_type`` is the upload's
    Content-Type (parameters allowed; None or application/octet-stream say nothing) and must not name a
    different type. The size and the header's pixel count are checked before any decoding; the first frame
    of an animation is kept; EXIF orientation is applied; the longer side is cut to ``MAX_SIDE``. The
    output has no metadata of any kind and the input's format, except that a PNG that would be stored
    larger than ``max_bytes`` is written as JPEG (WebP if it has transparency).
    """
    if not data:
        raise PhotoError("empty", "file is empty")
    if len(data) > max_bytes:
        raise PhotoError("too_large", f"file is larger than {_size_text(max_bytes)}")
    data = bytes(data)
    header = _read_header(data)
    _check_declared(declared_type, header.format)
    pixels = header.width * header.height
    if pixels > max_pixels:
        if pixels > BOMB_PIXELS_PER_BYTE * len(data):
            raise PhotoError("bomb", "image expands to far more pixels than allowed (decompression bomb)")
        raise PhotoError("too_many_pixels", f"image is larger than {_megapixels(max_pixels)} megapixels")
    if not header.complete:
        raise PhotoError("truncated", _TRUNCATED)
    if header.format != "JPEG":  # bytes after IEND / the RIFF chunk are not part of the image
        data = data[: header.end]

    with _PILLOW_LOCK, warnings.catch_warnings():
        # Pillow warns about corrupt EXIF, malformed MPO and the like: harmless here (the metadata is
        # dropped), but a warning must not escape. Its decompression-bomb warning is a refusal.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            clean = _clean_pixels(data, header, max_pixels)
            encoded, out_format = _encode(clean, header.format, max_bytes)
        except PhotoError:
            raise
        except Exception as exc:  # hostile input can make a decoder raise nearly anything
            raise _pillow_failure(exc) from exc

    media_type, extension = MEDIA_TYPES[out_format]
    return CleanPhoto(
        data=encoded,
        media_type=media_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


# ----------------------------------------------------------------------------------------------- store


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PhotoStore:
    """Files under root/<sha[:2]>/<sha>.<ext>, outside any web root.

    Content-addressed: the file name is the SHA-256 of the stored bytes, so a photo saved twice is one
    file, and names built only from validated hex and a fixed extension cannot escape ``root``.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, media_type: str) -> Path:
        """Where the photo with this digest and media type lives (whether or not it exists).

        Raises ValueError unless ``sha256`` is 64 lower-case hex digits and ``media_type`` is one of
        image/jpeg, image/png, image/webp.
        """
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        extension = _EXTENSIONS.get(media_type) if isinstance(media_type, str) else None
        if extension is None:
            raise ValueError(f"unknown photo media type {media_type!r}")
        return self.root / sha256[:2] / f"{sha256}.{extension}"

    def save(self, photo: CleanPhoto) -> Path:
        """Store a photo durably and return its path; saving the same photo again rewrites nothing.

        The bytes go to a temporary file in the target directory, are fsynced, renamed into place, and
        the directory is fsynced, so after a crash the file is either absent or whole.
        """
        if hashlib.sha256(photo.data).hexdigest() != photo.sha256:
            raise ValueError("photo.sha256 does not match photo.data")
        target = self.path(photo.sha256, photo.media_type)
        try:
            if target.stat().st_size == len(photo.data):
                return target
        except FileNotFoundError:
            pass
        self._make_dirs(target.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(photo.data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(target.parent)
        return target

    def read(self, sha256: str, media_type: str) -> bytes:
        """The stored bytes; FileNotFoundError when no such photo was saved."""
        return self.path(sha256, media_type).read_bytes()

    def _make_dirs(self, directory: Path) -> None:
        """Create missing directories (private to this user), fsyncing each new entry's parent."""
        missing: list[Path] = []
        current = directory
        while not current.is_dir():
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        for new in reversed(missing):
            try:
                new.mkdir(mode=0o700)
            except FileExistsError:
                if not new.is_dir():
                    raise
                continue
            _fsync_dir(new.parent)
