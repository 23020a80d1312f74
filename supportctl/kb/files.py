"""What is in kb/: the article files with their stat, the other files and the symbolic links.

Kept apart from kb/load.py, which parses what these files hold: `kb suggest`
brings its search index up to date from the stats alone, and parses (and
imports the parser of) only an article that changed.
"""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path

from supportctl.base.datatypes import datatype


@datatype
class KbFiles:
    """What is in kb/: article files with their stat, other regular files, and symbolic links."""

    articles: dict[str, os.stat_result] = field(default_factory=dict)
    assets: set[str] = field(default_factory=set)
    symlinks: dict[str, str] = field(default_factory=dict)     # path -> where it points


def scan_kb(kb_dir: Path) -> KbFiles:
    """Every file below kb/ (paths relative to the desk root), without following links.

    os.scandir, not pathlib: its d_type tells links, folders and files apart without a stat call.
    Articles are `.md` files in a category folder or deeper (deeper ones are reported by the loader);
    names starting with `.` are skipped, and `_` marks category files and partials, not articles.
    """
    found = KbFiles()
    prefix = str(kb_dir.parent) + os.sep

    def scan(path: str, depth: int, articles: bool) -> None:
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = entry.path[len(prefix):].replace(os.sep, "/")
            if entry.is_symlink():
                found.symlinks[rel] = os.readlink(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                scan(entry.path, depth + 1, articles and not entry.name.startswith("_"))
            elif entry.is_file(follow_symlinks=False):
                if (articles and entry.name.endswith(".md") and depth >= 1 and not entry.name.startswith("_")
                        and entry.name != "README.md"):
                    found.articles[rel] = entry.stat(follow_symlinks=False)
                else:
                    found.assets.add(rel)

    if kb_dir.is_symlink():
        found.symlinks["kb"] = os.readlink(kb_dir)
    else:
        scan(str(kb_dir), 0, True)
    return found


def article_files(kb_dir: Path) -> dict[str, os.stat_result]:
    """kb/<category>/<slug>.md files (relative to the desk root) -> stat; links left out."""
    return scan_kb(kb_dir).articles
