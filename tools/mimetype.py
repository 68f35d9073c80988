"""What an uploaded file really is, from its bytes: images verified by Pillow,
videos by their container, never by the name the client gives."""

import io
import re
import struct

# Odoo loads only a few Pillow plugins (odoo.tools.image); WebP photos are
# checked by Pillow too, so its plugin is loaded here.
from PIL import (
    Image,
    ImageFile,
    WebPImagePlugin,  # noqa: F401
)

from odoo.tools.image import IMAGE_MAX_RESOLUTION, image_fix_orientation
from odoo.tools.mimetypes import guess_mimetype

# What each kind may hold, by detected content type. Videos are detected from
# their own signature: Odoo's sniffer knows images and documents only.
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm"}
DOCUMENT_TYPES = {"application/pdf", *IMAGE_TYPES}
UNKNOWN_TYPE = "application/octet-stream"

# Pillow's formats we accept, and their type. MPO is the JPEG of cameras that
# store several pictures in one file.
PILLOW_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
# Major brands of the ISO media files phones and cameras record (MP4, MOV,
# 3GP); HEIF stills (heic, mif1, ...) share the container but are no videos.
VIDEO_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42",
    b"mp71", b"avc1", b"hvc1", b"M4V ", b"M4VP", b"MSNV", b"XAVC", b"dash",
    b"mmp4", b"f4v ", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"3g2b", b"3g2c",
    b"qt  ",
}  # fmt: skip
MAX_TOP_LEVEL_BOXES = 32
BOX_TYPE = re.compile(rb"[\x20-\x7e]{4}")
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = 0x4282
MATROSKA_SEGMENT = b"\x18\x53\x80\x67"


def _iso_media_type(raw):
    """video/mp4 or video/quicktime when ``raw`` is an ISO media file: a
    ``ftyp`` box of a video brand first, then top-level boxes whose sizes
    stay within the file, holding the movie (``moov``) and its data
    (``mdat``). None otherwise."""
    pos, seen, brand = 0, set(), None
    for _index in range(MAX_TOP_LEVEL_BOXES):
        if pos == len(raw):
            break
        if pos + 8 > len(raw):
            return None
        size, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > len(raw):
                return None
            size, header = struct.unpack(">Q", raw[pos + 8 : pos + 16])[0], 16
        elif size == 0:  # the last box runs to the end of the file
            size = len(raw) - pos
        if size < header or pos + size > len(raw) or not BOX_TYPE.fullmatch(kind):
            return None
        if not pos:
            brand = raw[8:12]
            if kind != b"ftyp" or size < 16 or brand not in VIDEO_BRANDS:
                return None
        seen.add(kind)
        pos += size
    if not {b"moov", b"mdat"} <= seen:
        return None
    return "video/quicktime" if brand == b"qt  " else "video/mp4"


def _read_vint(raw, pos, marker=False):
    """(value, length) of the EBML variable-size integer at ``pos``; None
    when it is cut or longer than 8 bytes. IDs keep their marker bit."""
    if pos >= len(raw) or not raw[pos]:
        return None
    length = 9 - raw[pos].bit_length()
    if pos + length > len(raw):
        return None
    value = int.from_bytes(raw[pos : pos + length], "big")
    return (value if marker else value & ((1 << (7 * length)) - 1)), length


def _webm_type(raw):
    """video/webm when ``raw`` starts with a well-formed EBML header whose
    DocType is ``webm``, followed by a Matroska segment. None otherwise."""
    size = _read_vint(raw, len(EBML_MAGIC))
    if not raw.startswith(EBML_MAGIC) or not size:
        return None
    pos = len(EBML_MAGIC) + size[1]
    end = pos + size[0]
    if end > len(raw):
        return None
    doctype = None
    while pos < end:
        element = _read_vint(raw, pos, marker=True)
        length = element and _read_vint(raw, pos + element[1])
        if not length:
            return None
        start = pos + element[1] + length[1]
        pos = start + length[0]
        if pos > end:
            return None
        if element[0] == EBML_DOCTYPE:
            doctype = raw[start:pos].rstrip(b"\x00")
    if doctype != b"webm" or raw[end : end + 4] != MATROSKA_SEGMENT:
        return None
    return "video/webm"


def _jpeg_is_complete(raw):
    """Whether the JPEG's first scan ends with an end-of-image marker. Odoo
    lets Pillow load truncated images (ImageFile.LOAD_TRUNCATED_IMAGES), so a
    cut JPEG decodes "fine", grey where its data is missing."""
    pos = 2  # after the start-of-image marker
    while pos + 4 <= len(raw):
        if raw[pos] != 0xFF:
            return False
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == 0xDA:  # start of scan: its data runs up to the end
            return raw.find(b"\xff\xd9", pos) != -1
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without data
            pos += 2
        else:
            pos += 2 + struct.unpack(">H", raw[pos + 2 : pos + 4])[0]
    return False


def _open_image(raw):
    """(Pillow format, width, height) of an image's header, without decoding
    it; None when Pillow does not recognise it, or when it is a
    decompression bomb beyond even Pillow's own limit."""
    try:
        with Image.open(io.BytesIO(raw)) as image:
            return image.format, image.width, image.height
    except Image.DecompressionBombError:
        return "BOMB", 0, 0
    except Exception:  # noqa: BLE001 -- Pillow raises many kinds on bad files
        return None


def image_exceeds_resolution(raw):
    """Whether ``raw`` is an image above Odoo's resolution limit: decoding it
    would take a lot of memory and time (a decompression bomb)."""
    header = _open_image(raw)
    return bool(header) and (
        header[0] == "BOMB" or header[1] * header[2] > IMAGE_MAX_RESOLUTION
    )


def verify_image(raw):
    """(mimetype, decoded image or None) when Pillow opens, verifies and, but
    for WebP, decodes ``raw`` to its end; None otherwise. Images above Odoo's
    resolution limit are never decoded."""
    header = _open_image(raw)
    if not header or header[0] not in PILLOW_TYPES:
        return None
    if header[1] * header[2] > IMAGE_MAX_RESOLUTION:
        return None
    fmt = header[0]
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()  # PNG: every chunk and its checksum, up to IEND
        if fmt == "WEBP":
            # Opening parsed the whole container already. Its pixels are left
            # to the browser: Odoo does not decode WebP either, and the
            # libwebp bundled with Pillow 9.4 predates CVE-2023-4863's fix.
            return PILLOW_TYPES[fmt], None
        # verify() leaves the image unusable: decode it again, all of it.
        parser = ImageFile.Parser()
        parser.feed(raw)
        image = parser.close()
        image.load()
    except Exception:  # noqa: BLE001 -- Pillow raises many kinds on bad files
        return None
    if fmt in ("JPEG", "MPO") and not _jpeg_is_complete(raw):
        return None
    if fmt == "GIF" and not raw.rstrip(b"\x00").endswith(b"\x3b"):
        return None  # the trailer is missing: cut after the first frame
    return PILLOW_TYPES[fmt], image


def inspect_file(raw):
    """(mimetype, decoded image or None) of ``raw`` from its bytes alone."""
    if raw[4:8] == b"ftyp":
        return _iso_media_type(raw) or UNKNOWN_TYPE, None
    if raw.startswith(EBML_MAGIC):
        return _webm_type(raw) or UNKNOWN_TYPE, None
    verified = verify_image(raw)
    if verified:
        return verified
    mimetype = guess_mimetype(raw, default=UNKNOWN_TYPE)
    if mimetype.startswith("image/"):
        # Looks like an image, but Pillow refused it: truncated, garbage, a
        # polyglot, or SVG (which can carry scripts).
        return UNKNOWN_TYPE, None
    return mimetype, None


def sniff_mimetype(raw):
    """The content type of ``raw`` from its bytes, never from its name: an
    image only when Pillow verifies it, a video only when its container
    parses. HTML named ``photo.jpg`` stays ``text/html``."""
    return inspect_file(raw)[0]


def make_preview(image, size):
    """``image`` reduced to ``size`` pixels at most, encoded again by Pillow:
    what the customer's browser receives is never the uploaded bytes."""
    preview = image_fix_orientation(image.copy())
    preview.thumbnail((size, size))
    output = io.BytesIO()
    if preview.mode in ("RGBA", "LA", "PA") or "transparency" in preview.info:
        preview.convert("RGBA").save(output, "PNG", optimize=True)
    else:
        preview.convert("RGB").save(output, "JPEG", quality=90)
    return output.getvalue()
