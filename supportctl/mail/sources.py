"""Where messages come from: .eml files, mbox files, Maildir folders, folders of .eml files, stdin (read only)."""

from __future__ import annotations

import mailbox
import sys
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import BinaryIO

from supportctl.base.datatypes import datatype


@datatype(frozen=True)
class SourceItem:
    """One message read from a source, or why it could not be read (then `data` is None)."""

    label: str  # "path", "mbox:path#3", "maildir:path/cur/name", "stdin"
    data: bytes | None = field(default=None, repr=False)
    error: str | None = None


def iter_messages(source: str | Path, *, stdin: BinaryIO | None = None) -> Iterator[SourceItem]:
    """Every message in a source ("-" is standard input); an unreadable one yields an error item, never raises."""
    if str(source) == "-":
        yield read_stdin(stdin)
        return
    path = Path(source)
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            yield from _maildir(path)
        else:
            yield from _eml_folder(path)
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except OSError as exc:
        yield SourceItem(str(path), error=_why(exc))
        return
    if head == b"From ":  # mbox: every message starts with a "From " envelope line
        yield from _mbox(path)
    else:
        yield _read_file(path, str(path))


def read_stdin(stream: BinaryIO | None = None) -> SourceItem:
    """The one message on standard input (an MTA pipe), without the "From " line some MTAs put first."""
    stream = stream if stream is not None else sys.stdin.buffer
    try:
        data = stream.read()
    except OSError as exc:
        return SourceItem("stdin", error=_why(exc))
    if data.startswith(b"From "):
        # Postfix's pipe(8) with flag F and procmail prepend an mbox envelope line: not a header.
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    return SourceItem("stdin", data)


def _read_file(path: Path, label: str) -> SourceItem:
    """One file as one message, or an error item."""
    try:
        return SourceItem(label, path.read_bytes())
    except OSError as exc:
        return SourceItem(label, error=_why(exc))


def _eml_folder(folder: Path) -> Iterator[SourceItem]:
    """A plain folder: its *.eml files in name order (not recursive)."""
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
    except OSError as exc:
        yield SourceItem(str(folder), error=_why(exc))
        return
    for file in files:
        yield _read_file(file, str(file))


def _maildir(folder: Path) -> Iterator[SourceItem]:
    """A Maildir's cur/ and new/ messages in name order (names start with the delivery time); tmp/ is skipped."""
    for sub in ("cur", "new"):
        directory = folder / sub
        if not directory.is_dir():
            continue
        try:
            names = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            yield SourceItem(f"maildir:{directory}", error=_why(exc))
            continue
        for name in names:
            yield _read_file(directory / name, f"maildir:{directory / name}")


def _mbox(path: Path) -> Iterator[SourceItem]:
    """The messages of an mbox file, numbered from 1, read with the stdlib (no lock taken: reading only)."""
    try:
        box = mailbox.mbox(path, create=False)
        keys = list(box.iterkeys())
    except (OSError, mailbox.Error) as exc:
        yield SourceItem(f"mbox:{path}", error=_why(exc))
        return
    try:
        for number, key in enumerate(keys, start=1):
            label = f"mbox:{path}#{number}"
            try:
                # ">From " lines stay as written: mboxo and mboxrd cannot be told apart from the file.
                yield SourceItem(label, box.get_bytes(key))
            except (OSError, KeyError, mailbox.Error) as exc:
                yield SourceItem(label, error=_why(exc))
    finally:
        box.close()


def _why(exc: BaseException) -> str:
    """A short reason for an error item."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    return f"cannot read: {exc}"
