"""Staging: write the generated docs folder (normally `site_docs/`) that the site engine builds from."""

from __future__ import annotations

import itertools
import os
import stat
import time
from dataclasses import field
from pathlib import Path
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.kb.links import SCHEME_RE as _SCHEME_RE
from supportctl.kb.links import links_of
from supportctl.kb.links import resolve as _resolve
from supportctl.kb.load import load_kb
from supportctl.kb.model import Article, Kb
from supportctl.kb.usage import most_used
from supportctl.site.contact import CONTACT_TEMPLATE, INTAKE_PATH, parse_intake
from supportctl.site.mkdocs import MkdocsInfo, read_mkdocs
from supportctl.site.pages import DESK_CONFIG, IGNORE_MARK, plan

HOME_TEMPLATE = "home.html"
# From this many files to write, they are written by a few threads at once.
PARALLEL_WRITES_FROM = 64    # the theme override that lays out the home page (hero, cards, popular)


@datatype
class Stage:
    """What `stage()` wrote."""

    docs_dir: Path
    articles: list[Article]
    generated: list[str]
    written: int
    removed: int
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def stage(root: Path, config: Any, kb: Kb | None = None, *, mk: MkdocsInfo | None = None,
          tickets: list[Any] | None = None) -> Stage:
    """Write the docs folder for the site; return what was staged. `tickets`: the desk's tickets, whose
    `kb:` links rank the home page's popular articles."""
    t0 = time.perf_counter()
    mk = mk or read_mkdocs(root)
    check_sources(root, mk)
    kb = kb or load_kb(root, config)
    docs = root / mk.docs_dir
    _check_docs_dir(docs, root)
    warnings = []
    expected = f"{mk.docs_dir.rstrip('/')}/{DESK_CONFIG}"
    if mk.inherit != expected:
        warnings.append(f"mkdocs.yml has no `INHERIT: {expected}`: the desk name, category navigation and "
                        "edit/contact links from supportctl.yml are not used")
    if mk.theme_name != "material":
        warnings.append("mkdocs.yml does not use theme: material; search, tags and feedback need it")
    assets = {path[3:]: (root / path).read_bytes() for a in kb.public() for path in _assets_of(a, kb)}
    home_template = bool(mk.custom_dir) and (root / mk.custom_dir / HOME_TEMPLATE).is_file()
    if not home_template and mk.theme_name == "material":
        warnings.append(f"{mk.custom_dir or 'overrides'}/{HOME_TEMPLATE} is missing: the home page is a plain list "
                        "(copy it from a new `supportctl init` desk for the search-first home page)")
    contact_template = bool(mk.custom_dir) and (root / mk.custom_dir / CONTACT_TEMPLATE).is_file()
    if not contact_template and home_template:
        warnings.append(f"{mk.custom_dir}/{CONTACT_TEMPLATE} is missing: \"Contact support\" is a plain mail link "
                        "(copy it from a new `supportctl init` desk for the request form)")
    intake_file = root / INTAKE_PATH
    if intake_file.is_symlink():       # its labels are published: only a file inside the repository
        raise _not_regular(INTAKE_PATH, "a symbolic link")
    intake = parse_intake(intake_file.read_text(encoding="utf-8")) if intake_file.is_file() else []
    popular = most_used(kb.public(), tickets, config) if tickets and config is not None else []
    files = plan(kb, config, tags_plugin="tags" in mk.plugin_names(), assets=assets, popular=popular,
                 home_template=home_template, search="search" in mk.plugin_names(),
                 contact_template=contact_template, intake=intake)
    written, removed = sync_folder(docs, files)
    generated = [p for p, c in files.items() if isinstance(c, str) and p.endswith(".md") and "generated: true" in c]
    return Stage(docs, kb.public(), generated, written, removed, time.perf_counter() - t0, warnings)


def check_sources(root: Path, mk: MkdocsInfo) -> None:
    """Refuse a symbolic link or special file in kb/ or the theme's custom_dir: the site publishes only
    regular files inside the repository (a link to /proc/self/environ would publish the build's secrets)."""
    for folder in ["kb"] + ([mk.custom_dir] if mk.custom_dir else []):
        top = root / folder
        if top.is_symlink():
            raise _not_regular(folder, "a symbolic link")
        for dirpath, dirnames, filenames in os.walk(top):     # os.walk does not descend into linked folders
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                    rel = Path(path).relative_to(root).as_posix()
                    raise _not_regular(rel, "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file")


def _not_regular(rel: str, what: str) -> SupportctlError:
    return SupportctlError(f"{rel} is {what}: the help site publishes only regular files inside the repository",
                           path=rel, hint="replace it with a copy of the file, or remove it")


def _assets_of(article: Article, kb: Kb) -> list[str]:
    """Files in kb/ (not articles) that a public article links or shows."""
    out = []
    for link in links_of(article):
        t = link.target
        if not t or _SCHEME_RE.match(t) or t.startswith(("/", "#")):
            continue
        path, _ = _resolve(article, t)
        if not path.endswith(".md") and path.startswith("kb/") and kb.root is not None and (kb.root / path).is_file():
            out.append(path)
    return out


def _check_docs_dir(docs: Path, root: Path) -> None:
    """Refuse to stage into a folder that holds anything but a previous stage."""
    try:
        docs.resolve().relative_to(root.resolve())
    except ValueError:
        raise SupportctlError(f"docs_dir {docs} is outside the desk", path="mkdocs.yml",
                              hint="set docs_dir: site_docs in mkdocs.yml") from None
    if docs.resolve() in (root.resolve(), (root / "kb").resolve()) or (root / "kb").resolve() in docs.resolve().parents:
        raise SupportctlError(f"docs_dir {docs.relative_to(root)} would overwrite the desk or kb/",
                              path="mkdocs.yml", hint="set docs_dir: site_docs (a generated folder) in mkdocs.yml")
    if not docs.exists():
        return
    marker = docs / ".gitignore"
    ours = marker.is_file() and marker.read_text(encoding="utf-8", errors="replace").startswith(IGNORE_MARK)
    if not ours and any(docs.iterdir()):
        raise SupportctlError(f"{docs.relative_to(root)}/ is not a folder supportctl generated",
                              path="mkdocs.yml",
                              hint="supportctl rebuilds docs_dir from kb/ and deletes what it holds; point docs_dir "
                                   "at a new folder such as site_docs")


def sync_folder(folder: Path, files: dict[str, str | bytes]) -> tuple[int, int]:
    """Make `folder` hold exactly `files`; unchanged files are not rewritten (so mtimes stay)."""
    removed = 0
    folder.mkdir(parents=True, exist_ok=True)
    # The folder is a build product: a symbolic link planted in it would be
    # written through (to outside the desk) or published. Remove, never follow.
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not (os.path.isdir(path) or os.path.isfile(path)):
                os.unlink(path)
                removed += 1
    writes: list[tuple[Path, bytes, bool]] = []      # (path, bytes, is it new)
    parents: set[Path] = set()
    for rel, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = folder / rel
        try:
            if path.lstat().st_size == len(data) and path.read_bytes() == data:
                continue
            writes.append((path, data, False))
        except FileNotFoundError:
            writes.append((path, data, True))
            parents.add(path.parent)
    for parent in sorted(parents):
        parent.mkdir(parents=True, exist_ok=True)
    if len(writes) >= PARALLEL_WRITES_FROM:
        # Creating a file is mostly the kernel's work (0.1-0.8 ms each on a CI machine's disk), done
        # outside the GIL: two threads per core create a cold stage of 1,000 articles in half the time.
        from concurrent.futures import ThreadPoolExecutor

        # Files of one folder are created one at a time (the folder is locked): take them round the folders.
        by_folder: dict[Path, list] = {}
        for write in writes:
            by_folder.setdefault(write[0].parent, []).append(write)
        interleaved = [w for group in itertools.zip_longest(*by_folder.values()) for w in group if w]
        with ThreadPoolExecutor(max_workers=2 * min(os.cpu_count() or 1, 4)) as pool:
            list(pool.map(_write, interleaved))
    else:
        for write in writes:
            _write(write)
    wanted = set(files)
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            rel = Path(dirpath, name).relative_to(folder).as_posix()
            if rel not in wanted:
                os.unlink(os.path.join(dirpath, name))
                removed += 1
        if dirpath != str(folder) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return len(writes), removed


def _write(write: tuple[Path, bytes, bool]) -> None:
    path, data, new = write
    if new:
        # A new file is written in place: a half-written one differs from the plan, so the next stage
        # rewrites it (a cold stage of 1,000 articles opens half as many files).
        path.write_bytes(data)
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
