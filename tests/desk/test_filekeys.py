"""File keys on a big desk: git vouches for files as committed (their blob id), everything else is stat-ed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from supportctl.desk import filekeys
from supportctl.desk.filekeys import VOUCHED, file_keys, stat_key
from supportctl.desk.store import Desk
from supportctl.tickets import index
from supportctl.tickets.store import TicketStore
from tests.conftest import git, new_ticket


@pytest.fixture
def big(monkeypatch) -> None:
    """Treat every desk as big enough to ask git."""
    monkeypatch.setattr(filekeys, "GIT_FROM", 0)


def _keys(desk: Path) -> dict[str, tuple[int, int]]:
    return file_keys(desk, desk / "tickets", desk / ".supportctl" / "cache")


def _blob(desk: Path, rel: str) -> int:
    return int(git(desk, "rev-parse", f":{rel}").strip()[:15], 16)


def _stat(desk: Path, rel: str) -> tuple[int, int]:
    return stat_key(os.lstat(desk / rel))


def test_files_as_committed_are_keyed_on_their_blob_and_the_rest_on_their_stat(desk, cli, big):
    a, b, c, d = (f"tickets/{new_ticket(cli, title=t)}.md" for t in "ABCD")
    keys = _keys(desk)
    assert all(keys[rel] == (_blob(desk, rel), VOUCHED) for rel in (a, b, c, d))
    (desk / a).write_text((desk / a).read_text() + "\nEdited by hand.\n")      # changed in the work tree
    (desk / "tickets" / "NEW001.md").write_text("---\ntitle: x\n---\n")          # not in git
    (desk / b).write_text((desk / b).read_text() + "\nStaged.\n")
    git(desk, "add", b)                                                          # staged: git has its blob
    (desk / c).unlink()                                                          # deleted, still in git's index
    git(desk, "update-index", "--assume-unchanged", d)                           # git would not look at it
    keys = _keys(desk)
    assert keys[a] == _stat(desk, a) and keys["tickets/NEW001.md"] == _stat(desk, "tickets/NEW001.md")
    assert keys[b] == (_blob(desk, b), VOUCHED) and c not in keys and keys[d] == _stat(desk, d)
    # git on one thread (beside long work) finds the same.
    alone = filekeys.file_keys_while(desk, desk / "tickets", desk / ".supportctl" / "cache", lambda: 1, one_core=True)
    assert alone == (keys, 1)
    git(desk, "update-index", "--no-assume-unchanged", d)
    git(desk, "update-index", "--skip-worktree", d)
    assert _keys(desk)[d] == _stat(desk, d)
    git(desk, "update-index", "--no-skip-worktree", d)
    git(desk, "add", "-N", "tickets/NEW001.md")                                  # intent to add
    assert _keys(desk)["tickets/NEW001.md"] == _stat(desk, "tickets/NEW001.md")


def test_an_edit_of_the_same_size_right_after_a_commit_is_seen(desk, cli, big):
    """Git's racy-timestamp check, not ours, covers a file changed in the instant its index was written."""
    rel = f"tickets/{new_ticket(cli, title='Same size')}.md"
    path = desk / rel
    path.write_text(path.read_text().replace("Same size", "Sane size"))   # same length, same second
    keys = _keys(desk)
    assert keys[rel] == _stat(desk, rel)
    entries, _ = TicketStore(Desk(desk)).load_index(keys)
    assert [e.meta["title"] for e in entries] == ["Sane size"]


def test_a_conflicted_file_is_stat_ed(desk, cli, big):
    rel = f"tickets/{new_ticket(cli, title='Base')}.md"
    git(desk, "checkout", "-q", "-b", "side")
    (desk / rel).write_text("---\ntitle: side\n---\n")
    git(desk, "commit", "-qam", "side")
    git(desk, "checkout", "-q", "-")
    (desk / rel).write_text("---\ntitle: main\n---\n")
    git(desk, "commit", "-qam", "main")
    proc = subprocess.run(["git", "-c", "merge.supportctl.driver=false", "merge", "-q", "side"],
                          cwd=desk, capture_output=True)
    assert proc.returncode != 0
    assert _keys(desk)[rel] == _stat(desk, rel)


def test_small_desks_and_git_pointed_elsewhere_use_the_stat(desk, cli, big, monkeypatch):
    rel = f"tickets/{new_ticket(cli)}.md"
    monkeypatch.setenv("GIT_INDEX_FILE", str(desk / "elsewhere"))
    assert _keys(desk)[rel] == _stat(desk, rel)
    monkeypatch.delenv("GIT_INDEX_FILE")
    monkeypatch.setattr(filekeys, "GIT_FROM", 2)
    assert _keys(desk)[rel] == _stat(desk, rel)      # one file: not worth starting git
    monkeypatch.setattr(filekeys, "GIT_FROM", 1)
    assert _keys(desk)[rel] == (_blob(desk, rel), VOUCHED)
    kept = desk / ".supportctl" / "cache" / filekeys.KEYS_FILE
    assert kept.exists()
    monkeypatch.setattr(filekeys, "GIT_FROM", 2)      # the desk is small again: back to stat, nothing kept
    assert _keys(desk)[rel] == _stat(desk, rel) and not kept.exists()


def test_a_fresh_clone_with_the_cache_restored_parses_nothing(desk, cli, big, tmp_path, monkeypatch):
    """What a CI runner gets from restoring `.supportctl/cache`: every file as committed is a hit."""
    for title in ("One", "Two", "Three"):
        new_ticket(cli, title=title)
    listed = json.loads(cli("ticket", "list", "--json").stdout)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(desk), str(clone))
    shutil.copytree(desk / ".supportctl" / "cache", clone / ".supportctl" / "cache")
    parsed: list[str] = []
    real = index.parse_many
    monkeypatch.setattr(index, "parse_many", lambda root, rels: parsed.extend(rels) or real(root, rels))
    monkeypatch.chdir(clone)
    assert json.loads(cli("ticket", "list", "--json").stdout) == listed
    assert parsed == []
    monkeypatch.setattr(filekeys, "GIT_FROM", 10)   # the same clone keyed on stat: every file is new
    shutil.rmtree(clone / ".supportctl" / "cache")
    shutil.copytree(desk / ".supportctl" / "cache", clone / ".supportctl" / "cache")
    assert json.loads(cli("ticket", "list", "--json").stdout) == listed
    assert len(parsed) == 3


def test_a_file_edited_while_it_is_read_is_not_kept_under_its_blob(desk, cli, big, monkeypatch):
    """Git vouched for the file, then it changed before it was read: what was read must not be kept
    under the blob, or putting the file back (`git checkout`) would show the edit."""
    rel = f"tickets/{new_ticket(cli, title='Committed')}.md"
    path = desk / rel
    store = TicketStore(Desk(desk))
    keys = store.stat_keys()
    assert keys[rel][1] == VOUCHED
    path.write_text(path.read_text().replace("title: Committed", "title: Edited meanwhile"))
    entries, _ = store.load_index(keys)
    assert [e.meta["title"] for e in entries] == ["Edited meanwhile"]   # what is on disk now
    assert keys[rel][1] != VOUCHED                                      # ...and not vouched for any more
    git(desk, "checkout", "--", rel)
    assert [e.meta["title"] for e in store.load_index()[0]] == ["Committed"]


def _age_folders(desk: Path) -> None:
    """Move the ticket folders' mtimes past the racy window, as on a desk not written this instant."""
    old = time.time() - 3600
    for folder in [desk / "tickets", *(p for p in (desk / "tickets").rglob("*") if p.is_dir())]:
        os.utime(folder, (old, old))


def test_names_are_read_again_only_when_a_folder_changed(desk, cli, big, monkeypatch):
    a = f"tickets/{new_ticket(cli, title='A')}.md"
    (desk / "tickets" / "2026").mkdir()
    _age_folders(desk)
    assert set(_keys(desk)) == {a}                  # walked; the folders' mtimes are kept
    walks = []
    real = filekeys.markdown_files
    monkeypatch.setattr(filekeys, "markdown_files", lambda *args, **kw: walks.append(kw) or real(*args, **kw))
    assert set(_keys(desk)) == {a} and walks == []  # nothing moved: the names kept are used
    (desk / "tickets" / "2026" / "B00001.md").write_text("---\ntitle: b\n---\n")   # a sub-folder changed
    assert set(_keys(desk)) == {a, "tickets/2026/B00001.md"} and len(walks) == 1
    _age_folders(desk)
    _keys(desk)
    (desk / a).unlink()                              # the top folder changed
    assert set(_keys(desk)) == {"tickets/2026/B00001.md"}


def test_a_copied_desk_has_git_refresh_its_stat_cache_once(desk, cli, big, tmp_path, monkeypatch):
    """`cp -a` (or a restore) changes every inode and ctime: git's index no longer vouches for anything
    until refreshed, as `git status` would. A file really changed stays stat-ed."""
    monkeypatch.setattr(filekeys, "REFRESH_FROM", 2)
    rels = [f"tickets/{new_ticket(cli, title=t)}.md" for t in ("One", "Two", "Three")]
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(desk), str(copy)], check=True)
    (copy / rels[0]).write_text((copy / rels[0]).read_text() + "\nChanged in the copy.\n")
    from supportctl.desk.store import Desk as _Desk

    with _Desk(copy).lock():   # a writer at work: the reader leaves git's index alone
        keys = _keys(copy)
    assert all(keys[rel][1] != VOUCHED for rel in rels)
    keys = _keys(copy)
    assert keys[rels[0]] == _stat(copy, rels[0])
    assert keys[rels[1]] == (_blob(copy, rels[1]), VOUCHED) and keys[rels[2]] == (_blob(copy, rels[2]), VOUCHED)


def test_the_token_is_the_same_only_while_every_key_is(desk, cli, big):
    """Equal tokens let the index skip checking 100,000 keys: anything that changes a key must change
    the token or leave none."""
    a = f"tickets/{new_ticket(cli, title='A')}.md"
    new_ticket(cli, title="B")
    _age_folders(desk)
    first = _keys(desk)
    again = _keys(desk)
    assert first.token is not None and again.token == first.token and again == first
    (desk / a).write_text((desk / a).read_text() + "\nEdited.\n")
    assert _keys(desk).token is None                       # a file git does not vouch for
    git(desk, "checkout", "--", a)
    back = _keys(desk)
    assert back == first and back.token is not None
    (desk / "tickets" / "NEW001.md").write_text("---\ntitle: x\n---\n")
    assert _keys(desk).token is None                       # a file git does not know
    git(desk, "add", "tickets/NEW001.md")
    git(desk, "commit", "-qm", "new")
    _age_folders(desk)
    committed = _keys(desk)
    assert committed.token not in (None, first.token) and set(committed) == set(first) | {"tickets/NEW001.md"}
    (desk / a).write_text((desk / a).read_text() + "\nCommitted edit.\n")   # the same names, another blob
    git(desk, "commit", "-qam", "edit")
    edited = _keys(desk)
    assert edited[a] != committed[a] and edited.token not in (None, committed.token)


def test_the_index_is_saved_with_the_token_it_was_checked_against(desk, cli, big):
    from supportctl.tickets.index import read_index

    new_ticket(cli, title="A")
    _age_folders(desk)
    store = TicketStore(Desk(desk))
    store.load_index()
    keys = store.stat_keys()
    store.load_index()
    assert read_index(Desk(desk))[1] == keys.token is not None
    # A token the index was not checked against is no shortcut: an edit is still seen.
    rel = next(iter(keys))
    (desk / rel).write_text((desk / rel).read_text().replace("title: A", "title: Edited"))
    assert [e.meta["title"] for e in store.load_index()[0]] == ["Edited"]
