"""`supportctl ticket rate` (CSAT) and `supportctl customer rate` (NPS): what customers think of the desk."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, AT_OPTION, NO_COMMIT_OPTION, done, session
from supportctl.cli.render import info

customer_app = typer.Typer(no_args_is_help=True, help="Customers: satisfaction (NPS) answers.")


def rate(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    rating: str = typer.Argument(..., metavar="RATING", help="good or bad (1-5 when csat.scale is 5)."),
    comment: Optional[str] = typer.Option(None, "--comment", help="What the customer said about it."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record the customer's satisfaction rating (CSAT) of a ticket."""
    from supportctl.services import reports

    s = session(as_, at, actor=False)   # the rating is the customer's, whoever types it in
    result = reports.rate_ticket(s, ref, rating, comment=comment, commit=not no_commit)
    done(result.ticket.id, result.what, result.sha)


@customer_app.command("rate")
def customer_rate(
    email: str = typer.Argument(..., metavar="EMAIL", help="The customer's email address."),
    score: str = typer.Argument(..., metavar="SCORE", help="How likely they are to recommend you, 0-10."),
    comment: Optional[str] = typer.Option(None, "--comment", help="What the customer said."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Record a customer's NPS answer (0-10) in customers/<email>.yml."""
    from supportctl.services import reports

    s = session(as_, at, actor=False)
    result = reports.rate_customer(s, email, score, comment=comment, commit=not no_commit)
    info(f"{result.email}: NPS {result.score} in {result.path}"
         + (f" (commit {result.sha})" if result.sha else " (not committed)"))
