"""Reading messages from .eml files, mbox files, Maildir folders, folders of .eml files and stdin."""

from __future__ import annotations

import io
import os

import pytest

from supportctl.mail.sources import iter_messages, read_stdin

ONE = b"From: a@example.com\nSubject: one\n\nbody one\n"
TWO = b"From: b@example.com\nSubject: two\n\nbody two\n"


def test_eml_file(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(ONE)
    assert [(i.label, i.data, i.error) for i in iter_messages(path)] == [(str(path), ONE, None)]


def test_mbox_file(tmp_path):
    path = tmp_path / "box"
    path.write_bytes(b"From a@example.com Tue Mar  5 10:00:00 2024\n" + ONE + b"\n"
                     b"From b@example.com Tue Mar  5 11:00:00 2024\n" + TWO)
    items = list(iter_messages(str(path)))
    assert [i.label for i in items] == [f"mbox:{path}#1", f"mbox:{path}#2"]
    assert items[0].data.rstrip(b"\n") == ONE.rstrip(b"\n") and items[1].data == TWO


def test_maildir(tmp_path):
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    (tmp_path / "cur" / "1709632800.M1P1.host:2,S").write_bytes(ONE)
    (tmp_path / "new" / "1709636400.M2P2.host").write_bytes(TWO)
    (tmp_path / "tmp" / "1709636401.M3P3.host").write_bytes(b"half-delivered")
    items = list(iter_messages(tmp_path))
    assert [i.label for i in items] == [f"maildir:{tmp_path}/cur/1709632800.M1P1.host:2,S",
                                        f"maildir:{tmp_path}/new/1709636400.M2P2.host"]
    assert [i.data for i in items] == [ONE, TWO]


def test_folder_of_eml_files(tmp_path):
    (tmp_path / "b.eml").write_bytes(TWO)
    (tmp_path / "a.EML").write_bytes(ONE)
    (tmp_path / "notes.txt").write_bytes(b"not mail")
    assert [i.data for i in iter_messages(tmp_path)] == [ONE, TWO]


def test_stdin_drops_the_mta_envelope_line():
    item = read_stdin(io.BytesIO(b"From sender@example.com Tue Mar  5 10:00:00 2024\n" + ONE))
    assert (item.label, item.data) == ("stdin", ONE)
    assert [i.data for i in iter_messages("-", stdin=io.BytesIO(ONE))] == [ONE]


def test_missing_path_is_an_error_item(tmp_path):
    (item,) = iter_messages(tmp_path / "nope.eml")
    assert item.data is None and item.error.startswith("cannot read")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_maildir_message_does_not_stop_the_rest(tmp_path):
    (tmp_path / "cur").mkdir()
    (tmp_path / "cur" / "1").write_bytes(ONE)
    (tmp_path / "cur" / "2").write_bytes(TWO)
    (tmp_path / "cur" / "1").chmod(0)
    items = list(iter_messages(tmp_path))
    assert items[0].error and items[1].data == TWO


def test_unreadable_item_does_not_stop_the_rest(tmp_path):
    # Works as root too: a directory where a message file is expected cannot be read as one.
    (tmp_path / "cur").mkdir()
    (tmp_path / "cur" / "1").mkdir()
    (tmp_path / "cur" / "2").write_bytes(TWO)
    items = list(iter_messages(tmp_path))
    assert items[0].data is None and items[0].error and items[1].data == TWO
