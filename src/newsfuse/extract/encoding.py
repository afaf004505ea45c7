"""Turning payload bytes into text: charset detection and binary sniffing.

The order of evidence follows what browsers and crawlers learned the hard way:

1. a byte-order mark is never wrong;
2. bytes that decode as UTF-8 and contain non-ASCII sequences are UTF-8, whatever the page claims
   (a legacy single-byte text almost never validates as UTF-8 by accident, while pages re-encoded by a
   proxy or a headless browser often keep a stale ``<meta charset>``);
3. the declared charset (HTTP header, then ``<meta charset>`` / ``http-equiv``) when it decodes cleanly;
   ISO-8859-1 and US-ASCII are read as windows-1252, as the WHATWG encoding standard does;
4. a statistical guess (charset_normalizer), except that any single-byte Latin guess becomes
   windows-1252 (detectors confuse cp1250/cp1252/latin-1 on short Western texts and mangle accents), and
   so does a non-Latin guess that produces words mixing ASCII letters with another script ("Cafщ").
"""

from __future__ import annotations

import codecs
import re

__all__ = ["detect_encoding", "decode_payload", "sniff_binary", "charset_from_content_type"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# Labels that the WHATWG standard maps to windows-1252.
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1", "cp819"}
# Single-byte Latin guesses that detectors mix up; read them all as windows-1252.
_LATIN_GUESSES = {
    "cp1250",
    "cp1252",
    "latin_1",
    "iso8859_2",
    "iso8859_15",
    "iso8859_9",
    "cp1254",
    "cp1257",
    "mac_roman",
    "mac_latin2",
    "cp850",
    "cp437",
    "ascii",
}
# Latin-script code pages a detector also offers for short Western texts (a cp1252 file with curly quotes
# and "café" came back as cp775, Baltic DOS: "ōthis bridgeö", "cafķ"). Their own languages are common
# too, so the guess stands unless the bytes carry Windows typography: a pair of curly double quotes
# (0x93 ... 0x94), a spaced en or em dash (0x96, 0x97) or an apostrophe in "it's" / "don't" (0x92).
_LATIN_LOOKALIKES = {
    "cp775",
    "cp852",
    "cp857",
    "cp858",
    "cp860",
    "cp861",
    "cp863",
    "cp865",
    "iso8859_3",
    "iso8859_4",
    "iso8859_10",
    "iso8859_13",
    "iso8859_14",
    "iso8859_16",
    "mac_iceland",
    "mac_turkish",
}
_CP1252_TYPOGRAPHY = re.compile(
    rb"(?:^|[\s(\[])\x93[^\x93\x94\r\n]{1,400}?\x94|[ \t]\x96[ \t]|[ \t]\x97[ \t]|[A-Za-z]\x92(?:s|t|ll|re|ve|d)\b"
)

# Magic numbers of payloads that are certainly not text: (prefix, offset, content type).
_MAGIC = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"\x1f\x8b", 0, "application/gzip"),
    (b"BZh", 0, "application/x-bzip2"),
    (b"\xfd7zXZ\x00", 0, "application/x-xz"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed"),
    (b"\x7fELF", 0, "application/x-executable"),
    (b"MZ", 0, "application/x-msdownload"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "application/msword"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
    (b"\x00\x00\x00\x18ftyp", 0, "video/mp4"),
    (b"\x00\x00\x00\x20ftyp", 0, "video/mp4"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
    (b"wOFF", 0, "font/woff"),
    (b"wOF2", 0, "font/woff2"),
)
_TEXTUAL_TYPES = (
    "text/",
    "application/xhtml",
    "application/xml",
    "application/json",
    "application/rss",
    "application/atom",
)


def _norm_label(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, normalised (or None)."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return _norm_label(m.group(1)) if m else None


def _meta_charset(payload: bytes) -> str | None:
    m = _META_CHARSET.search(payload[:4096])
    return _norm_label(m.group(1).decode("ascii", "ignore")) if m else None


def _decodes(payload: bytes, encoding: str) -> bool:
    try:
        payload.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_encoding(payload: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Name of the codec to decode ``payload`` with.

    ``declared`` is a charset label or a whole Content-Type header value. With ``html=True`` a
    ``<meta charset>`` in the first 4 KB counts as a declaration too.
    """
    for bom, name in _BOMS:
        if payload.startswith(bom):
            return "utf-8-sig" if name == "utf-8" else name
    if declared and "=" in declared:
        declared = charset_from_content_type(declared)
    else:
        declared = _norm_label(declared)
    try:
        payload.decode("ascii")
    except UnicodeDecodeError:
        pass
    else:
        # BOM-less UTF-16 or UTF-32 of English text is all ASCII bytes, with a NUL beside every letter; a
        # page with no NULs that claims UTF-16 is ASCII (the WHATWG standard reads such a page as UTF-8)
        if (
            declared
            and declared.startswith(("utf-16", "utf-32"))
            and payload[:4096].count(0) >= len(payload[:4096]) // 4
            and _decodes(payload, declared)
        ):
            return declared
        return "utf-8"
    if _decodes(payload, "utf-8"):
        return "utf-8"
    candidates = [declared]
    if html:
        candidates.append(_meta_charset(payload))
    for enc in candidates:
        if enc and enc != "utf-8" and _decodes(payload, enc):
            return enc
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(payload[:65536]).best()
        guess = best.encoding if best is not None else None
    except Exception:  # noqa: BLE001 - detection is best effort
        guess = None
    if guess in _LATIN_LOOKALIKES and _CP1252_TYPOGRAPHY.search(payload[:65536]):
        return "cp1252"
    if guess and guess not in _LATIN_GUESSES and _decodes(payload, guess):
        if _plausible(payload[:65536].decode(guess, errors="replace")):
            return guess
    return "cp1252"


_WORD = re.compile(r"\w+", re.UNICODE)
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _plausible(text: str) -> bool:
    """False when many words mix ASCII letters with letters of another script ("Cafщ"): the signature of
    Western text decoded with a non-Latin code page."""
    foreign = [w for w in _WORD.findall(text) if not w.isascii()]
    if not foreign:
        return True
    mixed = sum(1 for w in foreign if _ASCII_LETTER.search(w) and any(c.isalpha() and ord(c) > 0x24F for c in w))
    return mixed <= 0.1 * len(foreign)


def decode_payload(payload: bytes, declared: str | None = None, *, html: bool = False) -> str:
    """Decode with :func:`detect_encoding`; undecodable bytes become U+FFFD, NULs are dropped."""
    encoding = detect_encoding(payload, declared, html=html)
    return payload.decode(encoding, errors="replace").replace("\x00", "")


def sniff_binary(payload: bytes, content_type: str | None = None) -> str | None:
    """The content type of a payload that is certainly not text, else None.

    Looks at magic numbers first, then at a declared non-textual Content-Type, then at control bytes.
    """
    head = payload[:16]
    for magic, offset, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            # "MZ" and "BZh" are short: only trust them when the payload does not look like text
            if len(magic) <= 3 and _looks_textual(payload):
                continue
            return kind
    if content_type:
        ctype = content_type.split(";")[0].strip().lower()
        if ctype and not ctype.startswith(_TEXTUAL_TYPES) and ctype not in {"application/octet-stream", ""}:
            if not _looks_textual(payload):
                return ctype
    if payload and not _looks_textual(payload):
        return "application/octet-stream"
    return None


def _looks_textual(payload: bytes) -> bool:
    """Few control bytes in the first 4 KB (UTF-16 text is allowed its NULs)."""
    sample = payload[:4096]
    if not sample:
        return True
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) < 0.05
