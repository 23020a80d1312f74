"""Reading a desk's kb/ folder: article files, categories, the home page text and article templates.

No symbolic link under kb/ (or templates/kb/) is followed: a link can point
anywhere on the machine (`env.txt -> /proc/self/environ`), and whatever it
points to would be read, checked as ours and published. Links are reported
as `symlink` problems and otherwise ignored.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.base.yamlio import load_fast
from supportctl.desk.store import regular_file
from supportctl.errors import NotFound, SupportctlError, UsageError
from supportctl.kb.files import scan_kb
from supportctl.kb.model import CATEGORY_FIELDS, CATEGORY_FILE, HOME_FILE, Category, Kb, KbProblem, parse_article

if TYPE_CHECKING:
    from supportctl.config.model import Config
    from supportctl.desk.store import Desk

TEMPLATE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z")


def symlink_problem(rel: str, target: str) -> KbProblem:
    """The problem reported for a symbolic link found in kb/."""
    return KbProblem("symlink", f"{rel} is a symbolic link (to {target}); supportctl does not follow links",
                     hint="put the file itself there: a link can point outside the repository, and the help site "
                          "would publish whatever it points to", path=rel)


def load_categories(kb_dir: Path, config: Config | None) -> tuple[dict[str, Category], list[KbProblem]]:
    """Category folders of kb/ with their _category.yml and supportctl.yml settings (config wins)."""
    cats: dict[str, Category] = {}
    problems: list[KbProblem] = []
    configured = dict(config.kb.categories) if config else {}
    if kb_dir.is_dir() and not kb_dir.is_symlink():
        for entry in sorted(os.scandir(kb_dir), key=lambda e: e.name):
            if not entry.is_dir(follow_symlinks=False) or entry.name.startswith((".", "_")):
                continue
            name = entry.name
            cat = Category(name=name, title=title_from_name(name))
            data: dict[str, Any] = {}
            rel = f"kb/{name}/{CATEGORY_FILE}"
            if regular_file(kb_dir.parent, rel):
                cat.path = rel
                text = ""
                try:
                    text = (Path(entry.path) / CATEGORY_FILE).read_text(encoding="utf-8")
                    loaded = load_fast(text) or {}
                except Exception as exc:  # noqa: BLE001 - any YAML or decoding error is reported the same way
                    problems.append(KbProblem("category", f"not valid YAML: {exc}", path=rel, line=1,
                                              hint="write title:, order: and description: keys"))
                    loaded = {}
                if not isinstance(loaded, dict):
                    problems.append(KbProblem("category", "must be a mapping", path=rel, line=1,
                                              hint="write title:, order: and description: keys"))
                    loaded = {}
                data.update(loaded)
                cat.lines = {m.group(1): text.count("\n", 0, m.start()) + 1
                             for m in re.finditer(r"^(\w+)\s*:", text, re.M)}
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
    """A category title from its folder name: billing-and-plans -> Billing and plans."""
    text = name.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def load_kb(root: Path, config: Config | None = None) -> Kb:
    """Read every article and category of the desk at `root`."""
    kb_dir = root / "kb"
    files = scan_kb(kb_dir)
    categories, problems = load_categories(kb_dir, config)
    problems.extend(symlink_problem(rel, target) for rel, target in sorted(files.symlinks.items()))
    articles = []
    for rel, st in sorted(files.articles.items()):
        try:
            with open(root / rel, encoding="utf-8") as fh:
                text = fh.read()
            articles.append(parse_article(text, rel, st.st_mtime))
        except UnicodeDecodeError as exc:
            problems.append(KbProblem("front-matter", f"the file is not UTF-8 text ({exc.reason})", path=rel,
                                      hint="save it as UTF-8"))
        except KbProblem as exc:
            problems.append(exc)
    home = None
    if f"kb/{HOME_FILE}" in files.assets:
        try:
            home = (kb_dir / HOME_FILE).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(KbProblem("front-matter", f"the file is not UTF-8 text ({exc.reason})",
                                      path=f"kb/{HOME_FILE}", hint="save it as UTF-8"))
    return Kb(articles, categories, problems, home, root, files.assets, template_boilerplate(root))


def template_boilerplate(root: Path) -> frozenset[str]:
    """The placeholder text of the default article template and of the desk's own (templates/kb/*.md)."""
    from supportctl.kb.content import boilerplate_lines
    from supportctl.kb.edits import DEFAULT_TEMPLATE

    texts = [DEFAULT_TEMPLATE]
    folder = root / "templates" / "kb"
    if folder.is_dir() and not folder.is_symlink():
        for path in sorted(folder.glob("*.md")):
            if regular_file(root, path.relative_to(root).as_posix()):
                try:
                    texts.append(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError):
                    continue   # `check` reports an unreadable template where it is used
    return boilerplate_lines(texts)


def article_template(root: Path, name: str | None) -> str | None:
    """The text of templates/kb/NAME.md (default: article.md when the desk has one), else None.

    NAME is a plain name: no folders, no `..`, and no symbolic link is followed,
    so a template can only come from the desk's own templates/kb/.
    """
    rel = f"templates/kb/{name or 'article'}.md"
    if name is not None and not TEMPLATE_NAME_RE.match(name):
        raise UsageError(f"article template name {name!r} is not a plain name",
                         hint="give the name of a file in templates/kb/ without .md, e.g. --template howto")
    if not regular_file(root, rel):
        if os.path.lexists(root / rel):
            raise SupportctlError(f"{rel} is a symlink or not a regular file; supportctl does not follow "
                                  "symbolic links", hint="put the template file itself in templates/kb/")
        if name is None:
            return None
        raise NotFound(f"no article template {name!r} ({rel})", hint="ls templates/kb/ to see the templates")
    try:
        return (root / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SupportctlError(f"{rel} is not UTF-8 text ({exc.reason})", hint="save it as UTF-8") from None


def desk_kb(desk: Desk) -> Kb:
    """The KB of a desk, read with its config."""
    return load_kb(desk.root, desk.config)


def check_kb(desk: Desk, now: datetime) -> list[SupportctlError]:
    """Every KB problem of the desk (for `kb check` and `supportctl check`); each has path, line, hint."""
    from supportctl.kb.checks import check_articles   # here: `kb suggest` and the site's readers need no checks

    return list(check_articles(desk_kb(desk), desk.config, now))
