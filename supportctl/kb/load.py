"""Reading a desk's kb/ folder: article files, categories and the home page text."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.errors import SupportctlError
from supportctl.kb.checks import check_articles
from supportctl.kb.model import CATEGORY_FIELDS, CATEGORY_FILE, HOME_FILE, Article, Category, Kb, KbProblem, parse_article

if TYPE_CHECKING:
    from supportctl.config.model import Config
    from supportctl.desk.store import Desk


def article_files(kb_dir: Path) -> dict[str, os.stat_result]:
    """kb/<category>/<slug>.md files (relative to the desk root) -> stat. Deeper files are reported too."""
    from supportctl.desk.store import markdown_files

    # `_` marks category files and partials, not articles.
    return markdown_files(kb_dir, kb_dir.parent, skip=(".", "_"), min_depth=1)


def load_categories(kb_dir: Path, config: Config | None) -> tuple[dict[str, Category], list[KbProblem]]:
    from supportctl.base.yamlio import load_fast

    cats: dict[str, Category] = {}
    problems: list[KbProblem] = []
    configured = dict(config.kb.categories) if config else {}
    if kb_dir.is_dir():
        for entry in sorted(os.scandir(kb_dir), key=lambda e: e.name):
            if not entry.is_dir() or entry.name.startswith((".", "_")):
                continue
            name = entry.name
            cat = Category(name=name, title=title_from_name(name))
            data: dict[str, Any] = {}
            meta_path = Path(entry.path) / CATEGORY_FILE
            rel = f"kb/{name}/{CATEGORY_FILE}"
            if meta_path.is_file():
                cat.path = rel
                try:
                    loaded = load_fast(meta_path.read_text(encoding="utf-8")) or {}
                except Exception as exc:  # noqa: BLE001 - any YAML error is reported the same way
                    problems.append(KbProblem("category", f"not valid YAML: {exc}", path=rel, line=1,
                                              hint="write title:, order: and description: keys"))
                    loaded = {}
                if not isinstance(loaded, dict):
                    problems.append(KbProblem("category", "must be a mapping", path=rel, line=1,
                                              hint="write title:, order: and description: keys"))
                    loaded = {}
                data.update(loaded)
            if name in configured:
                data.update(configured[name].model_dump(exclude_none=True))
            for key in data:
                if key not in CATEGORY_FIELDS:
                    problems.append(KbProblem("category", f"unknown key {key!r}", path=cat.path or "supportctl.yml",
                                              hint=f"category keys: {', '.join(CATEGORY_FIELDS)}"))
            if data.get("title"):
                cat.title = str(data["title"])
            if data.get("order") is not None:
                try:
                    cat.order = int(data["order"])
                except (TypeError, ValueError):
                    problems.append(KbProblem("category", f"order must be a number, not {data['order']!r}",
                                              path=cat.path or "supportctl.yml", hint="e.g. order: 10"))
            cat.description = str(data.get("description") or "")
            cat.icon = str(data["icon"]) if data.get("icon") else None
            cats[name] = cat
    return cats, problems


def title_from_name(name: str) -> str:
    text = name.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def load_kb(root: Path, config: Config | None = None) -> Kb:
    """Read every article and category of the desk at `root`."""
    kb_dir = root / "kb"
    categories, problems = load_categories(kb_dir, config)
    articles: list[Article] = []
    for rel, st in sorted(article_files(kb_dir).items()):
        try:
            with open(root / rel, encoding="utf-8") as fh:
                text = fh.read()
            articles.append(parse_article(text, rel, st.st_mtime))
        except UnicodeDecodeError as exc:
            problems.append(KbProblem("front-matter", f"the file is not UTF-8 text ({exc.reason})", path=rel,
                                      hint="save it as UTF-8"))
        except KbProblem as exc:
            problems.append(exc)
    home_path = kb_dir / HOME_FILE
    home = home_path.read_text(encoding="utf-8") if home_path.is_file() else None
    return Kb(articles, categories, problems, home, root)


def desk_kb(desk: Desk) -> Kb:
    """The KB of a desk, read with its config."""
    return load_kb(desk.root, desk.config)


def check_kb(desk: Desk, now: datetime) -> list[SupportctlError]:
    """Every KB problem of the desk (for `kb check` and `supportctl check`); each has path, line, hint."""
    return list(check_articles(desk_kb(desk), desk.config, now))

