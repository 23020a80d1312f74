"""Reading `customers/*.yml` and `customers/orgs/*.yml` into a Directory, with each file's problems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from supportctl.customers.match import Directory
from supportctl.customers.model import CUSTOMERS_DIR, ORGS_DIR, Customer, Organization
from supportctl.desk.store import read_cache, regular_file, write_cache
from supportctl.errors import SupportctlError


def read_yaml(path: Path, rel: str) -> tuple[Any, dict[tuple, int], SupportctlError | None]:
    """(data, {key path: line}, problem): a file that does not parse is a problem, not a stop."""
    import yaml

    from supportctl.base.yamlio import load_with_lines, yaml_error_line

    try:
        data, lines = load_with_lines(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return None, {}, SupportctlError("not valid YAML", path=rel, line=yaml_error_line(exc),
                                         hint="fix the YAML by hand")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, {}, SupportctlError(f"cannot read it ({type(exc).__name__})", path=rel, hint="fix the file")
    if not isinstance(data, dict):
        return None, lines, SupportctlError("a customer or organisation file must be a mapping", path=rel, line=1,
                                            hint="write name: Dana Smith / email: dana@example.com")
    return data, lines, None


def _not_read(rel: str) -> SupportctlError:
    """A symbolic link (or anything but a plain file) in customers/: never followed, so never read."""
    return SupportctlError("a symbolic link or not a regular file; supportctl does not follow links",
                           path=rel, hint="put the file itself there: a link can point outside the repository")


def _read_folder(root: Path, folder: str, problems: list[SupportctlError]) -> Iterator[tuple[str, str, dict, dict]]:
    """(slug, path, data, lines) of each YAML file in `folder` that reads; a problem for each one that does not."""
    where = root / folder
    for path in sorted(where.glob("*.yml")) if where.is_dir() else []:
        rel = f"{folder}/{path.name}"
        if not regular_file(root, rel):
            problems.append(_not_read(rel))
            continue
        data, lines, problem = read_yaml(path, rel)
        if problem:
            problems.append(problem)
            continue
        yield path.stem, rel, data, lines


def load_directory(root: Path) -> tuple[Directory, list[SupportctlError]]:
    """Every customer and organisation of a desk, and what `check` finds wrong with them."""
    # Here: a read command whose customers did not change takes the directory from the cache.
    from supportctl.customers.checks import check_customer, check_directory, check_org

    customers: dict[str, Customer] = {}
    orgs: dict[str, Organization] = {}
    problems: list[SupportctlError] = []
    lines_of: dict[str, dict[tuple, int]] = {}
    for slug, rel, data, lines in _read_folder(root, ORGS_DIR, problems):
        problems.extend(check_org(data, lines, rel))
        orgs[slug] = Organization.from_data(slug, data, rel)
        lines_of[rel] = lines
    for slug, rel, data, lines in _read_folder(root, CUSTOMERS_DIR, problems):
        problems.extend(check_customer(data, lines, rel, set(orgs)))
        customers[slug] = Customer.from_data(slug, data, rel)
        lines_of[rel] = lines
    directory = Directory(customers, orgs)
    problems.extend(check_directory(directory, lines_of))
    return directory, problems


def cached_directory(root: Path, cache: Path) -> Directory:
    """What `load_directory` reads, kept in `cache` while no file in customers/ changes.

    SLA policies and automations match on organisation and plan, so `queue`,
    `sla` and reports read the directory on every run; from the cache they
    parse no YAML (importing PyYAML alone costs a read command ~20 ms). The key
    is every file's stat, as for the ticket index; a file changed within the
    last two seconds (one mtime tick) keeps the cache from being written.
    """
    key = files_key(root)
    saved = read_cache(cache, key) if key is not None else None
    if saved is not None:
        orgs, customers = saved
        return Directory({c["slug"]: Customer(**c) for c in customers}, {o["slug"]: Organization(**o) for o in orgs})
    directory = load_directory(root)[0]
    if key is not None:   # a value marshal cannot hold (a YAML date in `fields`) leaves the cache unwritten
        write_cache(cache, key, ([vars(o) for o in directory.orgs.values()],
                                 [vars(c) for c in directory.customers.values()]))
    return directory


def files_key(root: Path) -> tuple | None:
    """The stat of every file `load_directory` reads and of the code that reads it; None while one is racy."""
    import time

    from supportctl.desk.store import RACY_NS

    now = time.time_ns()
    stats = []
    here = Path(__file__).parent
    for path in (here / "load.py", here / "model.py"):
        st = path.stat()
        stats.append((path.name, st.st_mtime_ns, st.st_size))
    for folder in (ORGS_DIR, CUSTOMERS_DIR):
        directory = root / folder
        for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
            rel = f"{folder}/{path.name}"
            if not regular_file(root, rel):
                continue
            try:
                st = path.stat()
            except OSError:
                return None
            if now - st.st_mtime_ns <= RACY_NS:
                return None
            stats.append((rel, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
    return tuple(stats)
