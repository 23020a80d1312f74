"""`supportctl kb`: write, publish, check and find knowledge-base articles."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, AT_OPTION, JSON_OPTION, NO_COMMIT_OPTION, session
from supportctl.cli.render import echo, emit_json, info, plural, report_error, style, table, warn
from supportctl.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Write, publish, check and find knowledge-base articles.",
                  epilog="Examples:  supportctl kb new 'Reset your password' --category account  |  "
                         "supportctl kb status reset-your-password published  |  supportctl kb suggest 7QH2KD")

STATUS_STYLE = {"published": {"fg": "green"}, "review": {"fg": "yellow"}, "draft": {"dim": True},
                "archived": {"dim": True}}


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
    from supportctl.services import kb

    s = session(as_, at)
    written = kb.new(s, title=title, category=category, slug=slug, description=description, tags=tags, owner=owner,
                     visibility=visibility, template=template, category_title=category_title,
                     commit=not no_commit)
    if written.new_category:
        info(f"new category {category} ({written.new_category})")
    if json_:
        emit_json(written.article().to_json(s.config.desk.url))
    else:
        echo(written.path)
    _done(f"{written.path}: new draft", written.sha)


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
    used: bool = typer.Option(False, "--used", help="Show how many solved tickets each article resolved "
                              "(sorts by it) and the readers' feedback on it (kb-feedback tickets)."),
    json_: bool = JSON_OPTION,
) -> None:
    """List articles."""
    from supportctl.services import kb

    s = session(actor=False)
    found = kb.find(s, status=status, visibility=visibility, category=category, tag=tag, owner=owner, stale=stale,
                    used=used)
    for problem in found.problems:
        warn(str(problem))
    rows, counts = found.articles, found.counts
    if json_:
        out = []
        for a in rows:
            item = a.to_json(s.config.desk.url)
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
        headers = ["RESOLVED", "LINKED", "FEEDBACK"] + headers
    lines, styles = [], []
    for a in rows:
        row = [a.slug, a.status, a.visibility, a.category, a.updated.isoformat() if a.updated else "-", a.title]
        if used:
            row = [str(counts[a.slug][k]) for k in ("resolved", "linked", "feedback")] + row
        lines.append(row)
        styles.append({headers.index("STATUS"): STATUS_STYLE.get(a.status, {})})
    echo(table(lines, headers, styles=styles))


@app.command("show")
def show(
    slug: str = typer.Argument(..., help="Article slug (or a unique prefix)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show an article: its fields, public link and text."""
    from supportctl.services import kb

    s = session(actor=False)
    a, url = kb.show(s, slug)
    if json_:
        data = a.to_json(s.config.desk.url)
        data["url"] = url
        data["body"] = a.body
        emit_json(data)
        return
    echo(style(a.title, bold=True))
    echo(f"{a.path}  ·  {style(a.status, **STATUS_STYLE.get(a.status, {}))} {a.visibility}  ·  "
               f"owner {a.owner or '-'}  ·  updated {a.updated.isoformat() if a.updated else '-'}")
    if a.description:
        echo(a.description)
    if a.tags:
        echo("tags: " + ", ".join(a.tags))
    if a.related:
        echo("related: " + ", ".join(a.related))
    if a.tickets:
        echo(f"tickets: {len(a.tickets)} ({', '.join(a.tickets[-5:])}{', ...' if len(a.tickets) > 5 else ''})")
    echo("link: " + (url or "(not on the help site: only published public articles are)"))
    echo("")
    echo(a.body.strip("\n"))


@app.command("status")
def status(
    slug: str = typer.Argument(..., help="Article slug."),
    state: str = typer.Argument(..., metavar="STATUS", help="draft, review, published or archived."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Move an article to draft, review, published or archived; publishing checks it first."""
    from supportctl.services import kb

    try:
        edited = kb.set_status(session(as_, at), slug, state, commit=not no_commit)
    except kb.PublishRefused as exc:
        for p in exc.problems:
            report_error(p)
        raise
    _done(edited.message.removeprefix("kb "), edited.sha)


@app.command("reviewed")
def reviewed(
    slug: str = typer.Argument(..., help="Article slug."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Mark an article as reviewed today (sets `updated`, so it is no longer stale)."""
    from supportctl.services import kb

    edited = kb.reviewed(session(as_, at), slug, commit=not no_commit)
    _done(edited.message.removeprefix("kb "), edited.sha)


@app.command("check")
def check(json_: bool = JSON_OPTION) -> None:
    """Check every article: front matter, links, duplicates, descriptions, staleness, personal data."""
    from supportctl.services import kb

    problems = kb.check(session(actor=False))
    if json_:
        emit_json([p.to_json() if hasattr(p, "to_json") else {"path": p.path, "line": p.line, "message": p.message,
                                                              "hint": p.hint} for p in problems])
    else:
        for p in problems:
            report_error(p)
        info(plural(len(problems), "problem") if problems else "kb: no problems")
    if problems:
        raise typer.Exit(1)


@app.command("categories")
def categories(json_: bool = JSON_OPTION) -> None:
    """List the categories in site order, with their article counts."""
    from supportctl.services import kb

    rows = kb.categories(session(actor=False))
    if json_:
        emit_json(rows)
        return
    echo(table([[r["name"], str(r["order"]), str(r["articles"]), str(r["public"]), r["title"]] for r in rows],
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
    from supportctl.services import kb

    if (ref is None) == (text is None):
        raise UsageError("give a TICKET or --text", hint="e.g. supportctl kb suggest 7QH2KD")
    mark = ("", "") if json_ else (("\x1b[1m", "\x1b[0m") if style("x", bold=True) != "x" else ("[", "]"))
    hits = kb.suggest(session(actor=False), ref=ref, text=text, limit=limit, drafts=drafts, mark=mark)
    if json_:
        emit_json([h.to_json() for h in hits])
        return
    if not hits:
        info("no matching articles")
        return
    for n, h in enumerate(hits, 1):
        flags = "" if (h.status, h.visibility) == ("published", "public") else f"  ({h.status} {h.visibility})"
        echo(f"{n}. {style(h.title, bold=True)}  {h.slug}  score {h.score:.2f}{flags}")
        echo(f"   {h.snippet}")
