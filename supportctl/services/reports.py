"""Report use cases: per-ticket metrics, the summary and the dashboard, at any time and any commit."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportctl.base.datatypes import datatype
from supportctl.desk.store import regular_file
from supportctl.errors import SupportctlError, UsageError
from supportctl.services.session import Session


@datatype
class Report:
    """Tickets' metrics as of `now` over [since, until], and what could not be read."""

    now: int
    since: int | None
    until: int
    zone: ZoneInfo
    metrics: list                       # reports.metrics.TicketMetrics, every ticket that existed at `now`
    answers: list                       # reports.nps.NpsAnswer
    problems: list[SupportctlError] = field(default_factory=list)
    revision: str | None = None         # the commit read with --at
    desk_name: str = ""
    config: Any = None
    commit_time: int | None = None

    def in_period(self) -> list:
        """The tickets created in the period (a merged ticket only in its target)."""
        from supportctl.reports.summary import in_period

        return [m for m in self.metrics if not m.merged_into and in_period(m, self.since, self.until)]


@contextlib.contextmanager
def at_revision(session: Session, rev: str | None) -> Iterator[tuple[Session, str | None, datetime | None]]:
    """A session on the desk as it was at `rev` (files from git, in a temp folder), or `session` itself."""
    if not rev:
        yield session, None, None
        return
    import tempfile   # here: only a report of an earlier revision needs it

    from supportctl.desk import snapshot
    from supportctl.desk.store import Desk

    class Snapshot(Desk):
        @property
        def cache_dir(self) -> Path:   # its own index, never the work tree's (SUPPORTCTL_CACHE_DIR)
            return self.state_dir / "cache"

    sha, when = snapshot.resolve(session.desk.root, rev)
    tmp = Path(tempfile.mkdtemp(prefix="supportctl-at-"))
    try:
        snapshot.extract(session.desk.root, sha, tmp)
        yield Session(Snapshot(tmp), actor=session.actor, at=session.at, clock=lambda: when), sha, when
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _customer_answers(session: Session) -> tuple[list, list[SupportctlError]]:
    """Every NPS answer in customers/*.yml (a file that does not parse is a problem, not a stop)."""
    by_file, problems = nps_by_file(session)
    return [a for answers in by_file.values() for a in answers], problems


NPS_CACHE_VERSION = 2   # the NPS answers' cache; by file since 2


def nps_by_file(session: Session) -> tuple[dict[str, list], list[SupportctlError]]:
    """Each customer file's NPS answers (path -> answers), and the files or entries left out.

    Kept in the cache under the stat of every customer file (as the customer
    directory is) and the code that reads them (`code_digest`): a report on a
    desk whose customers did not change parses no YAML (PyYAML alone is ~20 ms).
    """
    import dataclasses

    import supportctl
    from supportctl.customers.load import files_key
    from supportctl.desk.store import read_cache, write_cache
    from supportctl.reports import nps
    from supportctl.services.fingerprint import code_digest

    files = files_key(session.desk.root)
    code = code_digest(Path(supportctl.__file__).parent, supportctl.__version__, ("reports/nps.py",))
    key = None if files is None else (files, code, NPS_CACHE_VERSION)
    path = session.desk.cache_dir / "nps.marshal"
    saved = read_cache(path, key) if key is not None else None
    if saved is not None:
        return ({rel: [nps.NpsAnswer(*a) for a in answers] for rel, answers in saved[0].items()},
                [SupportctlError(message, path=rel, hint=hint) for message, rel, hint in saved[1]])
    by_file, problems = _read_customer_answers(session)
    if key is not None:
        write_cache(path, key, ({rel: [dataclasses.astuple(a) for a in answers] for rel, answers in by_file.items()},
                                [(p.message, p.path, p.hint) for p in problems]))
    return by_file, problems


def _read_customer_answers(session: Session) -> tuple[dict[str, list], list[SupportctlError]]:
    import yaml

    from supportctl.reports.nps import CUSTOMERS_DIR, read_answers

    folder = session.desk.root / CUSTOMERS_DIR
    by_file, problems = {}, []
    if not folder.is_dir():
        return by_file, problems
    for path in sorted(folder.glob("*.yml")):     # customers/orgs/ holds organisations: no NPS there
        rel = path.relative_to(session.desk.root).as_posix()
        if not regular_file(session.desk.root, rel):
            continue   # a symbolic link is never followed (`check` reports it)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(SupportctlError(f"cannot read it ({type(exc).__name__})", path=rel,
                                            hint="fix the YAML; its NPS answers are left out"))
            continue
        found, wrong = read_answers(data)
        if found:
            by_file[rel] = found
        problems.extend(SupportctlError(why, path=rel, hint="fix the entry; it is left out of NPS") for why in wrong)
    return by_file, problems


def _period(session: Session, since: str | None, until: str | None, now: int) -> tuple[int | None, int]:
    from supportctl.reports.summary import parse_day

    zone = session.zone
    start = parse_day(since, zone, end=False) if since else None
    end = parse_day(until, zone, end=True) if until else now
    if start is not None and start > end:
        raise UsageError("--since is after --until", hint="give the start of the period first")
    return start, end


def load(session: Session, refs: list[str] | None = None, *, since: str | None = None, until: str | None = None,
         rev: str | None = None) -> Report:
    """Every ticket's metrics as of the end of the period (or `now`, if earlier), at revision `rev`."""
    with at_revision(session, rev) as (s, sha, when):
        return _load(s, refs, since=since, until=until, sha=sha, when=when)


def _load(s: Session, refs: list[str] | None, *, since: str | None, until: str | None, sha: str | None,
          when: datetime | None) -> Report:
    from supportctl.services.sla import engine, now_ts

    now = now_ts(s)
    start, end = _period(s, since, until, now)
    # The report is the desk as it was at the end of the period: later records do not change it.
    at = min(now, end)
    store = s.tickets
    wanted = {store.resolve(ref) for ref in refs} if refs else None
    out, problems = _metrics(s, wanted, engine(s), at)
    answers, more = _customer_answers(s)
    return Report(now=at, since=start, until=end, zone=s.zone, metrics=out, answers=answers,
                  problems=[*problems, *more], revision=sha, desk_name=s.config.desk.name, config=s.config,
                  commit_time=int(when.timestamp()) if when else None)


CACHE_VERSION = 3   # entries: (file key, from, plain metrics, carry or None) since 3
# The code whose change must invalidate cached metrics (besides the version): the
# engine, the metrics, the ticket packages they read (ratings, event lines), the customers.
CACHE_CODE = ("sla", "reports/metrics.py", "tickets", "customers")
CACHE_FILE = "report-metrics.marshal"


def _fingerprint(session: Session) -> str:
    """What cached metrics depend on besides the ticket file: the config, holidays data and the code."""
    from supportctl.services.fingerprint import engine_fingerprint

    return engine_fingerprint(session, str(CACHE_VERSION), CACHE_CODE)


def _metrics(session: Session, wanted: set[str] | None, eng, at: int) -> tuple[list, list]:
    """Every ticket's metrics at `at` in path order (those at the `wanted` paths, if given), and the
    files that could not be read or evaluated.

    Each ticket's metrics are kept in CACHE_FILE under its file's key
    (desk/filekeys.py, as the SLA plans are). A solved or closed ticket's
    are the same at any later time until its file changes; a ticket still
    being worked has them carried forward from when they were kept
    (`reports.metrics.measure`). Only new and changed tickets are read from
    the index and evaluated (and every ticket for a period that ended before
    its metrics were kept): on a desk where nothing changed, the index is
    not loaded. Each entry kept: (file key, from when it answers, the
    metrics as plain data, the carry or None).
    """
    from supportctl.desk.store import RACY_NS, read_cache, write_cache
    from supportctl.reports.metrics import TicketMetrics, metrics_at

    store = session.tickets
    path = session.desk.cache_dir / CACHE_FILE
    fingerprint = _fingerprint(session)
    keys, kept = store.stat_keys_while(lambda: read_cache(path, fingerprint) if fingerprint else None)
    cached: dict = kept if type(kept) is dict else {}
    rels = sorted(keys) if wanted is None else sorted(rel for rel in keys if rel in wanted)
    found: dict[str, TicketMetrics] = {}
    carried: dict[str, tuple] = {}   # path -> (plain metrics, carry)
    for rel in rels:
        hit = cached.get(rel)
        # An entry of another shape (an older layout, a hand edit under the same key) is evaluated afresh.
        if not (type(hit) is tuple and len(hit) == 4 and hit[0] == keys[rel][0] and type(hit[1]) is int
                and at >= hit[1] and type(hit[2]) is tuple and (hit[3] is None or type(hit[3]) is tuple)):
            continue
        if hit[3] is not None:
            carried[rel] = (hit[2], hit[3])
            continue
        try:
            found[rel] = TicketMetrics.from_plain(hit[2])
        except (ArithmeticError, ValueError, TypeError, LookupError, AttributeError):
            pass
    try:
        found.update((rel, m) for rel, m in zip(carried, metrics_at(list(carried.values()), at, eng))
                     if m is not None)
    except (SupportctlError, ArithmeticError, ValueError, TypeError, LookupError, AttributeError):
        pass   # evaluated afresh below: that reports what is wrong
    problems: list = []
    fresh, changed = dict(cached), False
    todo = {rel for rel in rels if rel not in found}
    if todo:
        entries, problems = store.load_index(keys)
        computed, failures = _metrics_of([e for e in entries if e.path in todo], eng, at)
        problems.extend(failures)
        paths = {e.id: e.path for e in entries if e.path in todo}
        # A file written in the last instants may change again within its mtime's tick, unseen by its key.
        racy_before = time.time_ns() - RACY_NS
        for m, carry in computed:
            rel = paths[m.id]
            found[rel] = m
            key, mtime = keys[rel]
            if mtime < racy_before and (m.settled(at) or carry is not None):
                fresh[rel] = (key, m.last_record if carry is None else carry[0], m.to_plain(), carry)
                changed = True
    if fingerprint and (changed or any(rel not in keys for rel in fresh)):
        write_cache(path, fingerprint, {rel: v for rel, v in fresh.items() if rel in keys})
    return [found[rel] for rel in rels if rel in found], problems


def _metrics_of(entries: list, eng, at: int) -> tuple[list, list]:
    """(metrics, carry) of every entry at `at`, in the entries' order, and a failure for each one that has none."""
    from supportctl.reports.metrics import measure
    from supportctl.sla.results import SlaFailure

    out, failures = [], []
    for entry in entries:
        try:
            measured = measure(entry, eng, at)
        except SupportctlError as exc:
            failures.append(SlaFailure(entry.id, entry.path, exc.message, exc.hint))
            continue
        except (ArithmeticError, ValueError, TypeError, LookupError) as exc:
            failures.append(SlaFailure(entry.id, entry.path, f"its metrics cannot be computed ({exc})",
                                       "run `supportctl check` to find what is wrong in the file"))
            continue
        if measured is not None:
            out.append(measured)
    return out, failures


def summary(session: Session, *, since: str | None = None, until: str | None = None, by: str | None = None,
            rev: str | None = None) -> tuple[Report, dict[str, Any]]:
    """The summary figures of a period, grouped `by` (agent, group, channel, priority, week, month)."""
    from supportctl.reports.summary import GROUPINGS, summarize

    if by is not None and by not in GROUPINGS:
        raise UsageError(f"cannot group by {by!r}", hint=f"use one of: {', '.join(GROUPINGS)}")
    report = load(session, since=since, until=until, rev=rev)
    data = summarize(report.metrics, report.answers, since=report.since, until=report.until, now=report.now,
                     by=by, zone=report.zone)
    if report.revision:
        data["revision"] = report.revision
    return report, data


@datatype
class Built:
    """The dashboard written: its folder, the files in it and the report it shows."""

    out: Path
    files: list[str]
    report: Report


def build(session: Session, out: str, *, since: str | None = None, until: str | None = None,
          rev: str | None = None) -> Built:
    """Write the internal dashboard (HTML, SVG charts, CSV of the numbers) into `out`."""
    from supportctl.desk.store import atomic_write_bytes
    from supportctl.reports.dashboard import dashboard_files

    target = Path(out).expanduser().resolve()
    root = session.desk.root
    for public in (root / "site", root / "kb", root / "docs"):
        # Never next to what the public help site publishes.
        if target == public or public in target.parents:
            raise UsageError(f"{target} is inside {public.name}/, which the public help site publishes",
                             hint="write the dashboard elsewhere, e.g. --out reports-site")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file", hint="give a folder for --out")
    report = load(session, since=since, until=until, rev=rev)
    files = dashboard_files(report)
    for rel, data in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data, sync=False)
    return Built(target, sorted(files), report)


# ------------------------------------------------------------ satisfaction


def rate_ticket(session: Session, ref: str, rating: str, *, comment: str | None = None, commit: bool = True):
    """The customer's CSAT rating of a ticket: a customer event, latest rating in front matter `csat`."""
    from supportctl.services.tickets import Done
    from supportctl.tickets.actions import format_person
    from supportctl.tickets.rating import rate

    desk = session.desk
    with desk.lock():
        ticket = session.tickets.get(ref)
        person = ticket.meta.get("requester") or {}
        author = (person.get("name") or person.get("email", "customer"), person.get("email", "customer@invalid"))
        _, summary = rate(ticket, session.config, rating=rating, at=session.now(), author=format_person(person),
                          comment=comment)
        sha = session.tickets.save([ticket], summary, author=author, commit=commit)
    return Done(ticket, summary, sha)


@datatype
class Rated:
    """A customer's NPS answer recorded: their file and its commit."""

    email: str
    path: str
    score: int
    sha: str | None


def rate_customer(session: Session, email: str, score: str, *, comment: str | None = None,
                  commit: bool = True) -> Rated:
    """A customer's NPS answer (0-10), appended to customers/<slug>.yml (created when missing)."""
    import yaml

    from supportctl.base.timeutil import format_timestamp
    from supportctl.base.yamlio import Stamp, flow_map, rt_dump, rt_load
    from supportctl.reports.nps import CUSTOMERS_DIR, answer_entry, customer_slug, parse_score

    value = parse_score(score)
    address = email.strip()
    if address.startswith("<") or " " in address:
        from email.utils import parseaddr

        address = parseaddr(address)[1]
    rel = f"{CUSTOMERS_DIR}/{customer_slug(address)}.yml"
    known = session.directory.by_handle.get(("email", address.strip().lower()))
    if known:   # the customer's own file, whatever it is called (docs/customers.md)
        rel = f"{CUSTOMERS_DIR}/{known}.yml"
    desk = session.desk
    with desk.lock():
        path = desk.root / rel
        data = None
        if os.path.lexists(path) and not regular_file(desk.root, rel):
            raise SupportctlError(f"{rel} is a symbolic link or not a regular file; supportctl does not follow links",
                                  hint="put the file itself there: a link can point outside the repository")
        if path.is_file():
            try:
                data = rt_load(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
                raise SupportctlError(f"{rel} cannot be read ({type(exc).__name__})",
                                      hint="fix the YAML by hand, then rate again") from None
        if not isinstance(data, dict):
            from ruamel.yaml.comments import CommentedMap

            data = CommentedMap({"email": address.lower()})   # the customers work adds names, handles, ...
        entry = answer_entry(value, session.now(), comment)
        entry["at"] = Stamp(format_timestamp(entry["at"]))
        if data.get("nps") is None:
            data["nps"] = [flow_map(entry)]
        else:
            data["nps"].append(flow_map(entry))
        text = rt_dump(data)
        name = address.split("@")[0]
        sha = desk.commit_files({rel: text}, f"customer {address}: NPS {value}",
                                author=(name, address), commit=commit)
    return Rated(address.lower(), rel, value, sha)
