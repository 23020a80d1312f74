"""`check` over every ticket: each file's own problems cached by its content, then the checks across files.

What a file alone says is wrong depends only on its bytes and on the parts
of supportctl.yml the rules read (states, types, agents, groups, custom
fields), so the result is kept in `.supportctl/cache/check.marshal` under a
hash of the bytes, with the file's stat to skip re-reading an untouched file
(as git does: a stat change re-hashes the file, a new hash re-checks it).
Duplicate ids and links to tickets that do not exist are decided across the
whole desk on every run, from ids and links kept with each result.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from pathlib import Path

from supportctl.desk.store import RACY_NS, gc_paused, in_workers, read_cache, write_cache
from supportctl.errors import SupportctlError, TicketFormatError
from supportctl.tickets.checks import FrontMatterLines, Problem, link_problems, ticket_problems
from supportctl.tickets.fastmeta import parse_ticket_lines
from supportctl.tickets.format import decode_file, split_front_matter
from supportctl.tickets.model import ticket_id_of, ticket_path
from supportctl.tickets.store import TicketStore

CACHE_VERSION = 1
CACHE_NAME = "check.marshal"
# Below this many files to check, forking a worker costs more than it saves (a cold check
# of 1,000 tickets on 2 cores: 0.37 s in this process alone, 0.31 s with a worker).
PARALLEL_FROM = 300
# The modules whose code decides a file's result: a change to any of them
# (an upgrade, a fix) must not be answered from results of the old rules.
_RULE_MODULES = ("checks", "events", "fastmeta", "format", "frontmatter", "people", "model")


def check_desk(desk) -> list[SupportctlError]:
    """Every problem in the config and the tickets, in path order; unchanged files answered from the cache."""
    try:
        config = desk.config
    except SupportctlError as exc:
        return [exc]
    with gc_paused():
        files = TicketStore(desk).files()
        results = file_results(desk, config, files)
    problems: list[SupportctlError] = []
    ok = []
    for rel in sorted(files):
        result = results[rel]
        if result[0] == "error":
            problems.append(TicketFormatError(result[1], result[2], path=rel, line=result[3]))
        else:
            ok.append((rel, result))
    ids: dict[str, str] = {}
    for rel, result in ok:
        if result[1] in ids:
            problems.append(Problem(f"duplicate id {result[1]}: also in {ids[result[1]]}",
                                    "give one ticket a new id (file name and id field)", path=rel, line=2))
        ids.setdefault(result[1], rel)
    if config.desk.tickets_sharded:
        problems.extend(_misplaced(rel for rel, _ in ok))
    known = set(ids)
    for rel, (_, _, before, links, after) in ok:
        problems.extend(Problem(message, hint, path=rel, line=line) for message, hint, line in before)
        if links:
            where = FrontMatterLines(lambda rel=rel: _front_matter(desk.root, rel))
            problems.extend(link_problems(rel, links, known, where))
        problems.extend(Problem(message, hint, path=rel, line=line) for message, hint, line in after)
    return problems


def _misplaced(rels) -> list[Problem]:
    """On a sharded desk, a warning for each ticket outside its folder (made before the desk was sharded,
    say, and merged since): it still works, but `supportctl shard` puts it in place."""
    out = []
    for rel in rels:
        want = ticket_path(ticket_id_of(rel), sharded=True)
        if rel != want:
            problem = Problem(f"the desk is sharded, but this ticket is not in its folder ({want})",
                              "run `supportctl shard` to move it there", path=rel)
            problem.severity = "warning"
            out.append(problem)
    return out


def file_results(desk, config, files: dict[str, os.stat_result]) -> dict[str, tuple]:
    """Each file's result (see `check_file`), re-checking only files whose content is not in the cache."""
    cache_path = desk.cache_dir / CACHE_NAME
    fingerprint = rules_fingerprint(config)
    cache = read_cache(cache_path, fingerprint) or {}   # the fingerprint holds CACHE_VERSION
    keys: dict[str, tuple] = {}
    todo: list[tuple[str, bytes | None]] = []
    for rel, st in files.items():
        key = keys[rel] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        cached = cache.get(rel)
        # A racy entry (written within the file system's time resolution of
        # the file's mtime) may hide a later edit of the same size: re-hash it.
        if cached is None or cached[0] != key or cached[1]:
            todo.append((rel, cached[2] if cached is not None else None))
    checked = check_many(desk.root, config, todo)
    now_ns = time.time_ns()
    changed = len(cache) != len(files) or any(rel not in files for rel in cache)
    fresh: dict[str, tuple] = {}
    for rel in files:
        cached = cache.get(rel)
        if rel not in checked:
            fresh[rel] = cached
            continue
        digest, result = checked[rel]
        if result is None:   # the same bytes as when it was checked
            result = cached[3]
        key = keys[rel]
        entry = fresh[rel] = (key, now_ns - key[0] < RACY_NS, digest, result)
        changed = changed or entry != cached
    if changed:
        write_cache(cache_path, fingerprint, fresh)
    return {rel: entry[3] for rel, entry in fresh.items()}


def check_many(root: Path, config, todo: list[tuple[str, bytes | None]]) -> dict[str, tuple]:
    """`check_file` for each (path, cached hash), on every core when there are many (`desk.store.in_workers`)."""
    return in_workers(functools.partial(_check_chunk, root, config), todo, parallel_from=PARALLEL_FROM)


def _check_chunk(root: Path, config, todo: list[tuple[str, bytes | None]]) -> dict[str, tuple]:
    with gc_paused():
        return {rel: check_file(root, rel, config, known) for rel, known in todo}


def check_file(root: Path, rel: str, config, known: bytes | None = None) -> tuple[bytes, tuple | None]:
    """(hash of the bytes, result) of one file; the result is None when the hash is `known`.

    A result is ("ok", ticket id, problems before the links, links, problems
    after) with each problem as (message, hint, line), or ("error", message,
    hint, line) for a file no command can read: plain data, for marshal.
    """
    try:
        with open(root / rel, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return b"", ("error", f"the file cannot be read ({exc.strerror})", "check its permissions", None)
    digest = hashlib.blake2b(data, digest_size=16).digest()
    if digest == known:
        return digest, None
    try:
        ticket = parse_ticket_lines(decode_file(data, rel), rel)
    except SupportctlError as exc:
        return digest, ("error", exc.message, exc.hint, exc.line)
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        # A shape the parser did not foresee is still this file's problem, not a traceback.
        return digest, ("error", f"the file cannot be parsed ({type(exc).__name__}: {exc})",
                        "run `supportctl check` and fix what it reports", None)
    before, links, after = ticket_problems(ticket, config, FrontMatterLines(lambda: ticket.fm_text))
    return digest, ("ok", ticket.id, tuple((p.message, p.hint, p.line) for p in before), tuple(links),
                    tuple((p.message, p.hint, p.line) for p in after))


def rules_fingerprint(config) -> bytes:
    """A hash of what the per-file rules read from supportctl.yml, and of the rules' own code."""
    import importlib

    rules = {
        "states": list(config.lifecycle.states),
        "types": list(config.ticket_types),
        "agents": list(config.agent_map()),
        "groups": list(config.groups),
        "custom": {name: [spec.type, spec.choices] for name, spec in config.custom_fields.items()},
    }
    digest = hashlib.blake2b(json.dumps(rules).encode(), digest_size=16)
    for name in _RULE_MODULES:
        source = importlib.import_module(f"supportctl.tickets.{name}").__file__
        try:
            with open(source, "rb") as fh:
                digest.update(fh.read())
        except (OSError, TypeError):   # no source (a frozen build): the version below still counts
            pass
    digest.update(str(CACHE_VERSION).encode())
    return digest.digest()


def _front_matter(root: Path, rel: str) -> str:
    """A file's front-matter text, read again to find the line of a link that points nowhere."""
    with open(root / rel, "rb") as fh:
        return split_front_matter(decode_file(fh.read(), rel), rel)[0]
