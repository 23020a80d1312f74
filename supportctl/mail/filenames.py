"""Attachment file names made safe to store: a plain base name, unique within one message."""

from __future__ import annotations

import mimetypes
import re
import unicodedata

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_SPACES = re.compile(r"\s+")
# Names Windows refuses whatever the extension; a desk repository is cloned there too.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_MAX_BYTES = 200  # file systems allow 255 bytes; room for a "-2" and the stem of a path
# mimetypes' first guesses for a few common types are odd (".jpe", ".bat"): prefer the usual ones.
_EXTENSIONS = {"image/jpeg": ".jpg", "text/plain": ".txt", "message/rfc822": ".eml",
               "message/delivery-status": ".txt", "text/rfc822-headers": ".txt",
               "application/octet-stream": ".bin"}


def safe_filename(name: str | None, content_type: str, fallback: str = "attachment") -> str:
    """A base name without path separators, leading dots or control characters; made up when empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a Windows or Unix path: keep the last part
    name = _SPACES.sub(" ", _UNSAFE.sub("", name)).strip()
    name = name.lstrip(". ").rstrip(". ")  # no hidden files, no "..", no trailing dot (Windows)
    if not name:
        name = fallback + extension_for(content_type)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _RESERVED:
        stem = "_" + stem
    ext = ext[:16]
    budget = _MAX_BYTES - len(ext.encode("utf-8")) - 1
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ") or fallback
    return f"{stem}.{ext}" if ext else stem


def extension_for(content_type: str) -> str:
    """A file extension (with its dot) for a MIME type, '' when none is known."""
    content_type = content_type.lower()
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type, strict=False) or ""


def unique_names(names: list[str]) -> list[str]:
    """The names with later duplicates (case-insensitively) numbered: a.png, a-2.png, a-3.png."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            stem, dot, ext = name.rpartition(".")
            candidate = f"{stem}-{n}.{ext}" if dot and stem else f"{name}-{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out
