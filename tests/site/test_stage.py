"""Staging copies only regular files inside the repository: no symlink in kb/ or overrides/ is followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supportctl.errors import SupportctlError
from supportctl.site.build import build
from supportctl.site.stage import stage
from tests.site.test_build import NOW, make_desk

ARTICLE = ("---\ntitle: Outside\ndescription: An article kept outside the repository.\nstatus: published\n"
           "visibility: public\ntags: [security]\nupdated: 2026-11-01\n---\n\nSECRET FROM OUTSIDE THE REPOSITORY\n")


def _link_env_file(root: Path, outside: Path) -> str:
    """The issue's probe: kb/account/env.txt -> /proc/self/environ, linked from a public article."""
    os.symlink("/proc/self/environ", root / "kb/account/env.txt")
    page = root / "kb/account/reset-your-password.md"
    page.write_text(page.read_text() + "\nSee [the environment](env.txt).\n")
    return "kb/account/env.txt"


def _link_article(root: Path, outside: Path) -> str:
    (outside / "leak.md").write_text(ARTICLE)
    os.symlink(outside / "leak.md", root / "kb/account/leak.md")
    return "kb/account/leak.md"


def _link_category_folder(root: Path, outside: Path) -> str:
    (outside / "cat").mkdir()
    (outside / "cat" / "leak.md").write_text(ARTICLE)
    os.symlink(outside / "cat", root / "kb/outside")
    return "kb/outside"


def _link_home(root: Path, outside: Path) -> str:
    (outside / "home.md").write_text("SECRET FROM OUTSIDE THE REPOSITORY\n")
    (root / "kb/_home.md").unlink()
    os.symlink(outside / "home.md", root / "kb/_home.md")
    return "kb/_home.md"


def _link_category_file(root: Path, outside: Path) -> str:
    (outside / "cat.yml").write_text('title: Banking\ndescription: "SECRET FROM OUTSIDE THE REPOSITORY"\n')
    (root / "kb/banking/_category.yml").unlink()
    os.symlink(outside / "cat.yml", root / "kb/banking/_category.yml")
    return "kb/banking/_category.yml"


def _link_override(root: Path, outside: Path) -> str:
    (outside / "secret.txt").write_text("SECRET FROM OUTSIDE THE REPOSITORY\n")
    os.symlink(outside / "secret.txt", root / "overrides/assets/secret.txt")
    return "overrides/assets/secret.txt"


@pytest.mark.parametrize("plant", [_link_env_file, _link_article, _link_category_folder, _link_home,
                                   _link_category_file, _link_override])
def test_a_symlink_is_never_published(tmp_path, plant):
    root, cfg = make_desk(tmp_path / "desk")
    outside = tmp_path / "outside"
    outside.mkdir()
    rel = plant(root, outside)
    with pytest.raises(SupportctlError, match="symbolic link") as info:
        build(root, cfg, now=NOW, out=tmp_path / "out")
    assert rel in str(info.value) + (info.value.path or "")
    assert not (tmp_path / "out").exists()
    staged = root / "site_docs"
    if staged.exists():
        for path in staged.rglob("*"):
            assert not path.is_symlink(), path
            assert "SECRET FROM OUTSIDE" not in (path.read_text(errors="replace") if path.is_file() else "")
            assert "PATH=" not in (path.read_text(errors="replace") if path.is_file() else "")


def test_staging_replaces_symlinks_in_the_docs_folder_instead_of_writing_through_them(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    outside = tmp_path / "outside"
    outside.mkdir()
    docs = root / "site_docs"
    for child in (docs / "account").iterdir():
        child.unlink()
    (docs / "account").rmdir()
    os.symlink(outside, docs / "account")                       # a folder planted in the generated tree
    os.symlink(outside / "x.md", docs / "tags.md.tmp")          # and a dangling file link
    (docs / "index.md").unlink()
    os.symlink("/etc/hostname", docs / "index.md")
    stage(root, cfg)
    assert list(outside.iterdir()) == []                        # nothing was written outside the desk
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(docs):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            assert not path.is_symlink(), path
            assert path.resolve().is_relative_to(real_root), path
    assert (docs / "account" / "reset-your-password.md").is_file()


def test_many_files_are_synced_exactly_by_several_writers(tmp_path):
    """From PARALLEL_WRITES_FROM files on, threads write them: the folder still ends up exactly as planned."""
    from supportctl.site.stage import PARALLEL_WRITES_FROM, sync_folder

    folder = tmp_path / "docs"
    files: dict[str, str | bytes] = {f"c{i % 7}/sub{i % 3}/page-{i}.md": f"# Page {i}\n" * (i % 50 + 1)
                                     for i in range(3 * PARALLEL_WRITES_FROM)}
    files["img/logo.png"] = bytes(range(256)) * 40
    assert sync_folder(folder, files) == (len(files), 0)
    on_disk = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    mtime = (folder / "c1/sub1/page-1.md").stat().st_mtime_ns
    assert sync_folder(folder, files) == (0, 0)                      # nothing rewritten
    assert (folder / "c1/sub1/page-1.md").stat().st_mtime_ns == mtime
    changed = {k: (v + "more\n" if isinstance(v, str) and k.startswith("c2/") else v)
               for k, v in files.items() if not k.startswith("c3/")}
    written, removed = sync_folder(folder, changed)
    assert written == sum(1 for k in files if k.startswith("c2/"))
    assert removed == sum(1 for k in files if k.startswith("c3/")) and not (folder / "c3").exists()
    assert sorted(p.name for p in folder.rglob(".*.tmp")) == []
    assert (folder / "c2/sub2/page-2.md").read_text().endswith("more\n")
