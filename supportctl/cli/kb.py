"""`supportctl kb`: write, publish, check and find knowledge-base articles."""

from __future__ import annotations

from typing import Any, Optional

import typer

from supportctl.cli.common import (AS_OPTION, AT_OPTION, JSON_OPTION, NO_COMMIT_OPTION, actor_name, author_of, desk,
                                   emit_json, event_time, info, style, table, tickets_of, warn)
from supportctl.errors import SupportctlError, UsageError

app = typer.Typer(no_args_is_help=True, help="Write, publish, check and find knowledge-base articles.",
                  epilog="Examples:  supportctl kb new 'Reset your password' --category account  |  "
                         "supportctl kb status reset-your-password published  |  supportctl kb suggest 7QH2KD")

STATUS_STYLE = {"published": {"fg": "green"}, "review": {"fg": "yellow"}, "draft": {"dim": True},
                "archived": {"dim": True}}


def _load(d) -> Any:
    from supportctl.kb.model import desk_kb

    return desk_kb(d)


def _commit(d, path: str, text: str, message: str, actor: str, no_commit: bool) -> str | None:
    return d.commit_files({path: text}, message, author=author_of(d, actor), commit=not no_commit)


def _done(what: str, sha: str | None) -> None:
    info(what + (f" (commit {sha})" if sha else " (not committed)"))


@app.command("new")
def new(
    title: str = typer.Argument(..., help="The article's title: the customer's question or task."),
    category: str = typer.Option(..., "--category", "-c", help="Category folder in kb/ (created if missing)."),
    slug: Optional[str] = typer.Option(None, "--slug", help="File name without .md (default: from the title)."),
    description: str = typer.Option("", "--description", "-d", help="One sentence shown in search results."),
    tags: list[str] = typer.Option([], "--tag", help="Tag (repeatable)."),
    owner: Optional[str] = typer.Option(None, "--owner", help="Agent who keeps it up to date (default: you)."),
    visibility: str = typer.Option("public", "--visibility", help="public, or internal (agents only)."),
    template: Optional[str] = typer.Option(None, "--template", help="Use templates/kb/NAME.md."),
    category_title: Optional[str] = typer.Option(None, "--category-title", help="Title of a new category."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Write a new draft article from a template; prints its path."""
    from supportctl.kb.model import CATEGORY_FILE, category_file_text, new_article, parse_article

    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    with d.lock():
        kb = _load(d)
        rel, text = new_article(d.root, kb, title=title, category=category, slug=slug, description=description,
                                tags=tags, owner=owner or actor, visibility=visibility, today=when.date(),
                                template=template, desk_name=d.config.desk.name)
        extra = {rel: text}
        if category not in kb.categories:
            order = max((c.order for c in kb.categories.values() if c.order < 1000), default=0) + 10
            from supportctl.kb.model import _title_from_name

            extra[f"kb/{category}/{CATEGORY_FILE}"] = category_file_text(category_title or _title_from_name(category),
                                                                         order)
            info(f"new category {category} (kb/{category}/{CATEGORY_FILE})")
        sha = d.commit_files(extra, f"kb {parse_article(text, rel).slug}: new {visibility} draft",
                             author=author_of(d, actor), commit=not no_commit)
    if json_:
        emit_json(parse_article(text, rel).to_json(d.config.desk.url))
    else:
        typer.echo(rel)
    _done(f"{rel}: new draft", sha)


@app.command("list")
def list_(
    status: list[str] = typer.Option([], "--status", "-s", help="draft, review, published, archived (repeatable).",
                                     rich_help_panel="Filters"),
    visibility: Optional[str] = typer.Option(None, "--visibility", help="public or internal.",
                                             rich_help_panel="Filters"),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Category folder.",
                                           rich_help_panel="Filters"),
    tag: list[str] = typer.Option([], "--tag", help="Has this tag (repeatable: all of them).",
                                  rich_help_panel="Filters"),
    owner: Optional[str] = typer.Option(None, "--owner", help="Owner (agent).", rich_help_panel="Filters"),
    stale: bool = typer.Option(False, "--stale", help="Only published articles due for review.",
                               rich_help_panel="Filters"),
    used: bool = typer.Option(False, "--used", help="Show how many solved tickets each article resolved; "
                              "sorts by it."),
    json_: bool = JSON_OPTION,
) -> None:
    """List articles."""
    from supportctl.kb.model import STATUSES, VISIBILITIES, _months_between, default_now

    for s in status:
        if s not in STATUSES:
            raise UsageError(f"unknown status {s!r}", hint=f"use one of: {', '.join(STATUSES)}")
    if visibility and visibility not in VISIBILITIES:
        raise UsageError(f"unknown visibility {visibility!r}", hint="public or internal")
    d = desk()
    kb = _load(d)
    for problem in kb.problems:
        warn(str(problem))
    today = default_now().date()
    months = d.config.kb.stale_after_months
    rows = []
    for a in sorted(kb.articles, key=lambda a: (a.category, a.slug)):
        if status and a.status not in status:
            continue
        if visibility and a.visibility != visibility:
            continue
        if category and a.category != category:
            continue
        if tag and not all(t in a.tags for t in tag):
            continue
        if owner and a.owner != owner:
            continue
        if stale and not (a.status == "published" and (a.updated is None or _months_between(a.updated, today)
                                                        >= months)):
            continue
        rows.append(a)
    counts: dict[str, dict[str, int]] = {}
    if used:
        from supportctl.kb.model import usage_counts

        counts = usage_counts(rows, tickets_of(d).load_all().tickets, d.config)
        rows.sort(key=lambda a: (-counts[a.slug]["resolved"], -counts[a.slug]["linked"], a.slug))
    if json_:
        out = []
        for a in rows:
            item = a.to_json(_site_base(d))
            if used:
                item.update(counts[a.slug])
            out.append(item)
        emit_json(out)
        return
    if not rows:
        info("no articles match")
        return
    headers = ["SLUG", "STATUS", "VIS", "CATEGORY", "UPDATED", "TITLE"]
    if used:
        headers = ["RESOLVED", "LINKED"] + headers
    lines, styles = [], []
    for a in rows:
        row = [a.slug, a.status, a.visibility, a.category, a.updated.isoformat() if a.updated else "-", a.title]
        if used:
            row = [str(counts[a.slug]["resolved"]), str(counts[a.slug]["linked"])] + row
        lines.append(row)
        styles.append({headers.index("STATUS"): STATUS_STYLE.get(a.status, {})})
    typer.echo(table(lines, headers, styles=styles))


def _site_base(d) -> str | None:
    return d.config.desk.url


@app.command("show")
def show(
    slug: str = typer.Argument(..., help="Article slug (or a unique prefix)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show an article: its fields, public link and text."""
    from supportctl.site.build import public_url

    d = desk()
    kb = _load(d)
    a = kb.get(slug)
    url = public_url(a, d.config) if a.public else None
    if json_:
        data = a.to_json(d.config.desk.url)
        data["url"] = url
        data["body"] = a.body
        emit_json(data)
        return
    typer.echo(style(a.title, bold=True))
    typer.echo(f"{a.path}  ·  {style(a.status, **STATUS_STYLE.get(a.status, {}))} {a.visibility}  ·  "
               f"owner {a.owner or '-'}  ·  updated {a.updated.isoformat() if a.updated else '-'}")
    if a.description:
        typer.echo(a.description)
    if a.tags:
        typer.echo("tags: " + ", ".join(a.tags))
    if a.related:
        typer.echo("related: " + ", ".join(a.related))
    if a.tickets:
        typer.echo(f"tickets: {len(a.tickets)} ({', '.join(a.tickets[-5:])}{', ...' if len(a.tickets) > 5 else ''})")
    typer.echo("link: " + (url or "(not on the help site: only published public articles are)"))
    typer.echo("")
    typer.echo(a.body.strip("\n"))


@app.command("status")
def status(
    slug: str = typer.Argument(..., help="Article slug."),
    state: str = typer.Argument(..., metavar="STATUS", help="draft, review, published or archived."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Move an article to draft, review, published or archived; publishing checks it first."""
    from supportctl.kb.model import publish_problems, set_status

    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    with d.lock():
        kb = _load(d)
        article = kb.get(slug)
        text, message = set_status(article, state, when.date())
        if state == "published":
            problems = publish_problems(kb, article, text, d.config, when)
            if problems:
                from supportctl.cli.common import report_error

                for p in problems:
                    report_error(p)
                raise SupportctlError(f"{article.slug} cannot be published with {len(problems)} problem"
                                      f"{'s' if len(problems) > 1 else ''}", hint="fix them and publish again")
        sha = _commit(d, article.path, text, message, actor, no_commit)
    _done(message.removeprefix("kb "), sha)


@app.command("reviewed")
def reviewed(
    slug: str = typer.Argument(..., help="Article slug."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Mark an article as reviewed today (sets `updated`, so it is no longer stale)."""
    from supportctl.kb.model import mark_reviewed

    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    with d.lock():
        article = _load(d).get(slug)
        text, message = mark_reviewed(article, when.date())
        sha = _commit(d, article.path, text, message, actor, no_commit)
    _done(message.removeprefix("kb "), sha)


@app.command("check")
def check(json_: bool = JSON_OPTION) -> None:
    """Check every article: front matter, links, duplicates, descriptions, staleness, personal data."""
    from supportctl.cli.common import report_error
    from supportctl.kb.model import check_kb

    d = desk()
    problems = check_kb(d)
    if json_:
        emit_json([p.to_json() if hasattr(p, "to_json") else {"path": p.path, "line": p.line, "message": p.message,
                                                              "hint": p.hint} for p in problems])
    else:
        for p in problems:
            report_error(p)
        n = len(problems)
        info(f"{n} problem{'s' if n != 1 else ''}" if n else "kb: no problems")
    if problems:
        raise typer.Exit(1)


@app.command("categories")
def categories(json_: bool = JSON_OPTION) -> None:
    """List the categories in site order, with their article counts."""
    d = desk()
    kb = _load(d)
    rows = []
    for c in kb.ordered_categories():
        arts = [a for a in kb.articles if a.category == c.name]
        rows.append({"name": c.name, "title": c.title, "order": c.order, "description": c.description,
                     "articles": len(arts), "public": sum(1 for a in arts if a.public)})
    if json_:
        emit_json(rows)
        return
    typer.echo(table([[r["name"], str(r["order"]), str(r["articles"]), str(r["public"]), r["title"]] for r in rows],
                     ["CATEGORY", "ORDER", "ARTICLES", "ON SITE", "TITLE"]))


@app.command("suggest")
def suggest(
    ref: Optional[str] = typer.Argument(None, metavar="TICKET", help="Ticket id or unique prefix."),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Search for this text instead of a ticket."),
    limit: int = typer.Option(5, "--limit", "-n", min=1, max=50, help="How many suggestions."),
    drafts: bool = typer.Option(False, "--drafts", help="Include drafts and articles in review."),
    json_: bool = JSON_OPTION,
) -> None:
    """Rank articles for a ticket (title and customer messages) by relevance."""
    from supportctl.kb.search import suggest as run, ticket_text

    if (ref is None) == (text is None):
        raise UsageError("give a TICKET or --text", hint="e.g. supportctl kb suggest 7QH2KD")
    d = desk()
    title, query = "", text
    if ref is not None:
        title, query = ticket_text(tickets_of(d).get(ref))
    mark = ("", "") if json_ else (("\x1b[1m", "\x1b[0m") if style("x", bold=True) != "x" else ("[", "]"))
    hits = run(d.root, query or "", title=title, limit=limit, include_drafts=drafts, cache_dir=d.cache_dir, mark=mark)
    if json_:
        emit_json([h.to_json() for h in hits])
        return
    if not hits:
        info("no matching articles")
        return
    for n, h in enumerate(hits, 1):
        flags = "" if (h.status, h.visibility) == ("published", "public") else f"  ({h.status} {h.visibility})"
        typer.echo(f"{n}. {style(h.title, bold=True)}  {h.slug}  score {h.score:.2f}{flags}")
        typer.echo(f"   {h.snippet}")
