"""Customer and organisation use cases: list, show, new, set, merge, and linking new tickets to them."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError
from supportctl.services.session import Session


# ---------------------------------------------------------------- linking new tickets


class Linker:
    """Links new tickets to customers during one command; customers it creates are files to commit with them."""

    def __init__(self, session: Session) -> None:
        from supportctl.customers.match import Directory

        base = session.directory
        self.directory = Directory(dict(base.customers), dict(base.orgs))
        self.auto_create = session.config.customers_auto_create
        self.files: dict[str, str] = {}

    def link(self, person: dict[str, Any]) -> dict[str, str | None]:
        """{customer, organization} for a requester (creating the customer when the desk says so)."""
        from supportctl.base.yamlio import rt_dump
        from supportctl.customers.edit import ordered
        from supportctl.customers.link import customer_path, link_for
        from supportctl.customers.match import Directory
        from supportctl.customers.model import CUSTOMER_KEYS, Customer

        customer, org, new = link_for(self.directory, person, auto_create=self.auto_create)
        if new is not None and customer:
            rel = customer_path(customer)
            self.files[rel] = rt_dump(ordered(new, CUSTOMER_KEYS))
            customers = {**self.directory.customers, customer: Customer.from_data(customer, new, rel)}
            self.directory = Directory(customers, self.directory.orgs)
        return {"customer": customer, "organization": org}


def links_for(session: Session, requester: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """({customer, organization}, new customer files) for a new ticket's `--from`."""
    from supportctl.tickets.people import parse_requester

    linker = Linker(session)
    return linker.link(parse_requester(requester)), linker.files


# ---------------------------------------------------------------- reading


def _directory(session: Session):
    from supportctl.customers.load import cached_directory

    return cached_directory(session.desk.root, session.desk.cache_dir / "customers.marshal")


def _find(items: dict[str, Any], ref: str, noun: str, command: str):
    """A record by slug, unique slug prefix, or (customers) one of its handles."""
    ref = ref.strip()
    if ref in items:
        return items[ref]
    low = ref.lower()
    found = [item for slug, item in items.items() if slug.startswith(low)]
    if not found and noun == "customer":
        from supportctl.tickets.people import parse_handle

        try:
            kind, value = parse_handle(ref)
        except UsageError:
            kind, value = "", ""
        found = [c for c in items.values() if (kind, value) in c.handles()]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{ref!r} names {len(found)} {noun}s: {', '.join(sorted(i.slug for i in found))}",
                         hint="give more of the name")
    raise SupportctlError(f"no {noun} {ref!r}", hint=f"see supportctl {command} list")


@datatype
class Profile:
    """A customer or organisation with their tickets (open first), CSAT and NPS."""

    record: dict[str, Any]
    tickets: list[dict[str, Any]] = field(default_factory=list)
    csat: dict[str, Any] = field(default_factory=dict)
    nps: list[dict[str, Any]] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {**self.record, "tickets": self.tickets, "csat": self.csat, "nps": self.nps}
        if "domains" in self.record:
            out["customers"] = self.customers
        return out


def list_customers(session: Session, org: str | None = None) -> list[dict[str, Any]]:
    directory = _directory(session)
    if org is not None:
        org = _find(directory.orgs, org, "organisation", "org").slug
    out = []
    for _, c in sorted(directory.customers.items()):
        found = directory.org_for({"email": (c.email or [""])[0]}, c)
        if org is not None and (found is None or found.slug != org):
            continue
        # The organisation a ticket of theirs would get (their own, else by email domain), and the plan that applies.
        out.append({**c.to_json(), "organization": found.slug if found else c.organization,
                    "plan": c.plan or (found.plan if found else None)})
    return out


def list_orgs(session: Session) -> list[dict[str, Any]]:
    directory = _directory(session)
    counts: dict[str, int] = {}
    for c in directory.customers.values():
        found = directory.org_for({"email": (c.email or [""])[0]}, c)
        if found:
            counts[found.slug] = counts.get(found.slug, 0) + 1
    return [{**o.to_json(), "customers": counts.get(slug, 0)} for slug, o in sorted(directory.orgs.items())]


def _tickets_where(session: Session, directory, keep) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Tickets whose (customer, organisation) passes `keep`, open first then newest; and their CSAT."""
    from supportctl.tickets.rating import satisfied

    entries, _ = session.tickets.load_index()
    categories = session.desk.state_categories()
    rank = {"new": 0, "open": 0, "pending": 1, "solved": 2, "closed": 3}
    found, ratings = [], []
    for entry in entries:
        meta = entry.meta
        if not keep(*directory.resolve(meta)[:2]):
            continue
        category = categories.get(str(meta.get("status")), "open")
        found.append((rank.get(category, 0), -(entry.created_ts or 0), {
            "id": meta.get("id"), "title": meta.get("title"), "status": meta.get("status"), "category": category,
            "channel": meta.get("channel"), "created": str(meta.get("created")), "csat": meta.get("csat")}))
        if meta.get("csat") is not None:
            ratings.append(meta["csat"])
    found.sort(key=lambda t: (t[0], t[1]))
    good = sum(1 for r in ratings if satisfied(r))
    csat = {"ratings": len(ratings), "satisfied": good,
            "percent": round(100 * good / len(ratings)) if ratings else None}
    return [t[2] for t in found], csat


def _nps_of(session: Session, customers: list) -> list[dict[str, Any]]:
    from supportctl.services.reports import nps_by_file   # cached: no YAML while no customer file changed

    by_file, _ = nps_by_file(session)
    out = [{"customer": customer.slug, "score": a.score, "comment": a.comment, "at": a.at}
           for customer in customers for a in by_file.get(customer.path, [])]
    return sorted(out, key=lambda a: a["at"])


def show_customer(session: Session, ref: str) -> Profile:
    directory = _directory(session)
    customer = _find(directory.customers, ref, "customer", "customer")
    tickets, csat = _tickets_where(session, directory, lambda c, o: c == customer.slug)
    org = directory.org_for({"email": (customer.email or [""])[0]}, customer)
    record = {**customer.to_json(), "organization": org.slug if org else customer.organization,
              "plan": customer.plan or (org.plan if org else None)}
    return Profile(record, tickets, csat, _nps_of(session, [customer]))


def show_org(session: Session, ref: str) -> Profile:
    directory = _directory(session)
    org = _find(directory.orgs, ref, "organisation", "org")
    members = [c for c in directory.customers.values()
               if (found := directory.org_for({"email": (c.email or [""])[0]}, c)) and found.slug == org.slug]
    tickets, csat = _tickets_where(session, directory, lambda c, o: o == org.slug)
    return Profile(org.to_json(), tickets, csat, _nps_of(session, members), sorted(c.slug for c in members))


# ---------------------------------------------------------------- changing


@datatype
class Saved:
    """A customer or organisation file written: what changed, its commit and the tickets it touched."""

    slug: str
    path: str
    summary: str
    sha: str | None
    tickets: list[str] = field(default_factory=list)


def _load_rt(session: Session, rel: str):
    import yaml

    from supportctl.base.yamlio import rt_load

    try:
        data = rt_load((session.desk.root / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        raise SupportctlError(f"{rel} cannot be read ({type(exc).__name__})", path=rel,
                              hint="fix the YAML by hand, then try again") from None
    if not isinstance(data, dict):
        raise SupportctlError(f"{rel} is not a mapping", path=rel, hint="fix the file by hand")
    return data


def _commit(session: Session, files: dict[str, str | bytes | None], message: str) -> str | None:
    return session.desk.commit_files(files, message, author=session.author())


def _validate(session: Session, files: dict[str, str | None]) -> None:
    """Refuse a change that `check` would report (an unknown organisation, a handle on two customers)."""
    import shutil
    import tempfile
    from pathlib import Path

    from supportctl.customers.load import load_directory

    tmp = Path(tempfile.mkdtemp(prefix="supportctl-customers-"))
    try:
        src = session.desk.root / "customers"
        if src.is_dir():
            shutil.copytree(src, tmp / "customers")
        for rel, text in files.items():
            target = tmp / rel
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        _, problems = load_directory(tmp)
        mine = [p for p in problems if p.path in files]
        if mine:
            p = mine[0]
            raise UsageError(f"{p.path}: {p.message}", hint=p.hint)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def new_customer(session: Session, *, name: str, handles: list[str], org: str | None = None,
                 plan: str | None = None, notes: str | None = None, slug: str | None = None) -> Saved:
    """A new customer file, customers/<slug>.yml."""
    from supportctl.base.yamlio import rt_dump
    from supportctl.customers.edit import add_handles, ordered
    from supportctl.customers.link import new_slug
    from supportctl.customers.model import CUSTOMER_KEYS, slugify

    if not handles:
        raise UsageError("a customer needs an email address, phone number or handle",
                         hint='pass --email dana@example.com (or --phone, --github, --social)')
    data: dict[str, Any] = {"name": " ".join(name.split())}
    add_handles(data, handles)
    with session.desk.lock():
        directory = _directory(session)
        if org:
            data["organization"] = _find(directory.orgs, org, "organisation", "org").slug
        if plan:
            data["plan"] = plan
        if notes:
            data["notes"] = notes
        from supportctl.tickets.people import parse_handle

        person = dict([parse_handle(handles[0])])
        slug = slugify(slug) if slug else new_slug(directory, person)
        if slug in directory.customers:
            raise UsageError(f"customer {slug!r} exists", hint=f"supportctl customer set {slug} ...")
        rel = f"customers/{slug}.yml"
        text = rt_dump(ordered(data, CUSTOMER_KEYS))
        _validate(session, {rel: text})
        sha = _commit(session, {rel: text}, f"customer {slug}: new")
    return Saved(slug, rel, f"customer {slug}: new", sha)


def set_customer(session: Session, ref: str, *, values: dict[str, str | None], add: list[str],
                 remove: list[str]) -> Saved:
    from supportctl.base.yamlio import rt_dump
    from supportctl.customers.edit import SETTABLE_CUSTOMER, add_handles, ordered, remove_handles, set_values
    from supportctl.customers.model import CUSTOMER_KEYS

    with session.desk.lock():
        directory = _directory(session)
        customer = _find(directory.customers, ref, "customer", "customer")
        if values.get("organization"):
            values["organization"] = _find(directory.orgs, values["organization"], "organisation", "org").slug
        data = _load_rt(session, customer.path)
        set_values(data, values, SETTABLE_CUSTOMER)
        add_handles(data, add)
        remove_handles(data, remove)
        text = rt_dump(ordered(data, CUSTOMER_KEYS))
        _validate(session, {customer.path: text})
        summary = f"customer {customer.slug}: set " + ", ".join([*values, *(f"+{h}" for h in add),
                                                                  *(f"-{h}" for h in remove)])
        sha = _commit(session, {customer.path: text}, summary)
    return Saved(customer.slug, customer.path, summary, sha)


def merge_customers(session: Session, keep_ref: str, gone_ref: str) -> Saved:
    """Two records of one person become one: handles, notes and NPS joined; tickets re-linked; one commit."""
    from supportctl.base.yamlio import rt_dump
    from supportctl.customers.edit import merge_customers as merged
    from supportctl.tickets.frontmatter import load_meta

    author = session.author()
    with session.desk.lock():
        directory = _directory(session)
        keep = _find(directory.customers, keep_ref, "customer", "customer")
        gone = _find(directory.customers, gone_ref, "customer", "customer")
        if keep.slug == gone.slug:
            raise UsageError("that is the same customer twice", hint="name two different customers")
        data = merged(_load_rt(session, keep.path), _load_rt(session, gone.path))
        files: dict[str, Any] = {keep.path: rt_dump(data)}
        # Tickets that name the old record point at the kept one (a ticket found by handle needs no edit).
        moved = []
        entries, _ = session.tickets.load_index()
        for entry in entries:
            if entry.meta.get("customer") == gone.slug:
                ticket = session.tickets.read(entry.path)
                ticket.fm_text = _replace_key(ticket.fm_text, "customer", keep.slug)
                ticket.meta = load_meta(ticket.fm_text, ticket.path)
                files[ticket.path] = ticket.render()
                moved.append(ticket.id)
        summary = f"customer {keep.slug}: merged {gone.slug}" + (f" ({len(moved)} tickets re-linked)" if moved else "")
        sha = _commit_with_removal(session, files, gone.path, summary, author)
    return Saved(keep.slug, keep.path, summary, sha, sorted(moved))


def _commit_with_removal(session: Session, files: dict[str, str], removed: str, message: str,
                         author: tuple[str, str]) -> str:
    """Write `files`, delete `removed`, and commit both in one commit (all put back when it fails)."""
    desk = session.desk
    path = desk.root / removed
    desk._intend([*files, removed], message, author)
    previous = desk.write_files(files)
    previous[removed] = path.read_bytes()
    path.unlink()
    return desk._commit([*files, removed], message, author, previous)


def _replace_key(fm_text: str, key: str, value: str) -> str:
    """One front-matter line changed, every other byte kept."""
    import re

    return re.sub(rf"(?m)^{key}:.*$", f"{key}: {value}", fm_text, count=1)


def new_org(session: Session, *, name: str, domains: list[str], plan: str | None = None,
            notes: str | None = None, slug: str | None = None) -> Saved:
    from supportctl.base.yamlio import flow_seq, rt_dump
    from supportctl.customers.edit import ordered
    from supportctl.customers.model import ORG_KEYS, slugify

    slug = slugify(slug or name)
    if not slug:
        raise UsageError("the organisation has no name", hint='pass a name, e.g. supportctl org new "Acme Ltd"')
    data: dict[str, Any] = {"name": " ".join(name.split())}
    if domains:
        data["domains"] = flow_seq([d.strip().lower().lstrip("@") for d in domains])
    if plan:
        data["plan"] = plan
    if notes:
        data["notes"] = notes
    rel = f"customers/orgs/{slug}.yml"
    with session.desk.lock():
        if slug in _directory(session).orgs:
            raise UsageError(f"organisation {slug!r} exists", hint=f"supportctl org set {slug} ...")
        text = rt_dump(ordered(data, ORG_KEYS))
        _validate(session, {rel: text})
        sha = _commit(session, {rel: text}, f"org {slug}: new")
    return Saved(slug, rel, f"org {slug}: new", sha)


def set_org(session: Session, ref: str, *, values: dict[str, str | None], add_domains: list[str],
            remove_domains: list[str]) -> Saved:
    from supportctl.base.yamlio import flow_seq, rt_dump
    from supportctl.customers.edit import SETTABLE_ORG, ordered, set_values
    from supportctl.customers.model import ORG_KEYS, as_list

    with session.desk.lock():
        org = _find(_directory(session).orgs, ref, "organisation", "org")
        data = _load_rt(session, org.path)
        set_values(data, values, SETTABLE_ORG)
        domains = [d for d in as_list(data.get("domains")) if d.lower() not in {r.lower().lstrip("@")
                                                                               for r in remove_domains}]
        domains += [d.lower().lstrip("@") for d in add_domains if d.lower().lstrip("@") not in domains]
        if domains:
            data["domains"] = flow_seq(domains)
        else:
            data.pop("domains", None)
        text = rt_dump(ordered(data, ORG_KEYS))
        _validate(session, {org.path: text})
        summary = f"org {org.slug}: set " + ", ".join([*values, *(f"+{d}" for d in add_domains),
                                                       *(f"-{d}" for d in remove_domains)])
        sha = _commit(session, {org.path: text}, summary)
    return Saved(org.slug, org.path, summary, sha)


def check(session: Session) -> list[SupportctlError]:
    """Problems in customers/ (for `supportctl check`), and rules that name an organisation that does not exist."""
    from supportctl.customers.checks import check_references
    from supportctl.customers.load import load_directory

    directory, problems = load_directory(session.desk.root)
    return problems + check_references(session.desk.config, directory)
