"""`supportctl report`: per-ticket metrics, the summary (table, JSON, CSV, Markdown) and the dashboard."""

from __future__ import annotations

import io
import sys
from typing import Any, Optional

import typer

from supportctl.cli.common import JSON_OPTION, NOW_OPTION, session
from supportctl.cli.render import echo, emit_json, info, plural, table, warn_problem, when
from supportctl.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Reports: ticket metrics, summaries and the internal dashboard.")

SINCE_OPTION = typer.Option(None, "--since", metavar="D", help="Tickets created from this date or time on.")
UNTIL_OPTION = typer.Option(None, "--until", metavar="D", help="... up to the end of this date (default: now); "
                                                                "the desk is judged as it was then.")
REV_OPTION = typer.Option(None, "--at", metavar="REV", help="The desk as it was at this git revision (read from "
                                                            "git; the work tree is not touched).")
CSV_OPTION = typer.Option(False, "--csv", help="Print CSV on stdout.")

TIME_LABELS = {"first_reply_time": "first reply", "first_resolution_time": "first resolution",
               "full_resolution_time": "full resolution", "requester_wait_time": "requester wait",
               "agent_wait_time": "agent wait", "on_hold_time": "on hold"}


def _fmt(seconds: Any) -> str:
    """Business time: hours and minutes (a working day is no fixed length)."""
    from supportctl.cli.render import duration

    return "-" if seconds is None else duration(seconds)


def _cal(seconds: Any) -> str:
    """Calendar time: days when it runs to days."""
    from supportctl.cli.render import wall_duration

    return "-" if seconds is None else wall_duration(seconds)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:g}%"


def _one_format(**flags: bool) -> str | None:
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        raise UsageError(f"--{' and --'.join(chosen)} cannot be combined", hint="choose one output format")
    return chosen[0] if chosen else None


def _warn(report) -> None:
    for problem in report.problems:
        warn_problem(problem)


def _csv(rows: list[list[Any]], headers: list[str]) -> None:
    import csv   # here: only --csv needs it

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    sys.stdout.write(buf.getvalue())


def _about(report) -> str:
    zone = report.zone
    period = (f"tickets created {'from ' + when(report.since, zone) if report.since is not None else 'since the first'}"
              f" to {when(report.until, zone)}")
    at = f"; desk at commit {report.revision[:12]}" if report.revision else ""
    return f"{period} (judged at {when(report.now, zone)}{at})"


# ------------------------------------------------------------------ metrics


@app.command("metrics")
def metrics(
    refs: Optional[list[str]] = typer.Argument(None, metavar="[ID...]", help="Tickets (default: every ticket "
                                                                              "created in the period)."),
    since: Optional[str] = SINCE_OPTION,
    until: Optional[str] = UNTIL_OPTION,
    now: Optional[str] = NOW_OPTION,
    rev: Optional[str] = REV_OPTION,
    json_: bool = JSON_OPTION,
    csv_: bool = CSV_OPTION,
) -> None:
    """One row of metrics per ticket: reply and resolution times, waits, replies, reopens, SLA, CSAT."""
    from supportctl.reports.metrics import TIMES
    from supportctl.services import reports
    from supportctl.sla.results import CLOCKS

    fmt = _one_format(json=json_, csv=csv_)
    report = reports.load(session(now=now, actor=False), refs, since=since, until=until, rev=rev)
    _warn(report)
    rows = report.in_period() if not refs else [m for m in report.metrics]
    rows.sort(key=lambda m: (m.created, m.id))
    if fmt == "json":
        emit_json([m.to_json() for m in rows])
        return
    if fmt == "csv":
        headers = ["id", "title", "status", "created", "channel", "group", "assignee", "priority", "policy"]
        for name in TIMES:
            headers += [f"{name}_calendar", f"{name}_business"]
        headers += ["replies", "reopens", "one_touch", *[f"sla_{c}" for c in CLOCKS], "csat"]
        out = []
        for m in rows:
            data = m.to_json()
            row = [data[k] for k in headers[:9]]
            for name in TIMES:
                span = data[name]
                row += [span["calendar"], span["business"]] if span else [None, None]
            row += [m.replies, m.reopens, str(m.one_touch).lower(), *[m.sla.get(c) for c in CLOCKS], m.csat]
            out.append(row)
        _csv(out, headers)
        return
    if not rows:
        info(f"no tickets in {_about(report)}")
        return

    def biz(m, name):
        span = m.times[name]
        if span is None:
            return "-"
        return _fmt(span.business if span.business is not None else span.calendar)

    table_rows = [[m.id, when(m.created, report.zone)[4:20], m.status, m.channel or "-", m.assignee or "-",
                   biz(m, "first_reply_time"), biz(m, "full_resolution_time"), biz(m, "requester_wait_time"),
                   str(m.replies), str(m.reopens), "yes" if m.one_touch else "-",
                   " ".join((m.sla.get(c) or "-") for c in CLOCKS), "-" if m.csat is None else str(m.csat)]
                  for m in rows]
    echo(table(table_rows, ["ID", "CREATED", "STATUS", "CHANNEL", "ASSIGNEE", "FIRST REPLY", "RESOLUTION",
                            "REQ. WAIT", "REPLIES", "REOPENS", "1-TOUCH", "SLA FR/NR/RES", "CSAT"]))
    info(f"{plural(len(rows), 'ticket')}, {_about(report)}; times are business time "
         "(calendar time without an SLA policy); --json has both")


# ------------------------------------------------------------------ summary


def _flat(key: str, fig: dict[str, Any]) -> dict[str, Any]:
    """One CSV row of a group's figures."""
    from supportctl.sla.results import CLOCKS

    row: dict[str, Any] = {"group": key, "tickets": fig["tickets"], "solved": fig["solved"], "active": fig["active"],
                           "replies": fig["replies"]}
    for name, kinds in fig["times"].items():
        for kind, stats in kinds.items():
            for stat in ("count", "median", "p90", "mean"):
                row[f"{name}_{kind}_{stat}"] = stats[stat]
    row.update({"fcr_one_touch": fig["fcr"]["one_touch"], "fcr_pct": fig["fcr"]["pct"],
                "reopened": fig["reopen_rate"]["reopened"], "reopen_rate_pct": fig["reopen_rate"]["pct"]})
    for clock in CLOCKS:
        s = fig["sla"][clock]
        row.update({f"sla_{clock}_met": s["met"], f"sla_{clock}_breached": s["breached"],
                    f"sla_{clock}_pct": s["pct"]})
    row.update({"csat_ratings": fig["csat"]["ratings"], "csat_satisfied": fig["csat"]["satisfied"],
                "csat_pct": fig["csat"]["pct"]})
    return row


def _headline(fig: dict[str, Any]) -> list[str]:
    sla = ", ".join(f"{c} {_pct(s['pct'])} ({s['met']}/{s['met'] + s['breached']})" for c, s in fig["sla"].items())
    return [
        f"Tickets: {fig['tickets']} created, {fig['solved']} solved, {fig['active']} still active",
        f"First-contact resolution: {_pct(fig['fcr']['pct'])} ({fig['fcr']['one_touch']} of {fig['fcr']['solved']} "
        f"solved tickets with one reply)",
        f"Reopen rate: {_pct(fig['reopen_rate']['pct'])} ({fig['reopen_rate']['reopened']} of "
        f"{fig['reopen_rate']['solved']} solved tickets came back)",
        f"SLA attainment: {sla}",
        (f"CSAT: {_pct(fig['csat']['pct'])} ({fig['csat']['satisfied']} of {fig['csat']['ratings']} ratings satisfied)"
         if fig["csat"]["ratings"] else "CSAT: no ratings in this period"),
    ]


def _nps_line(n: dict[str, Any]) -> str:
    if not n["responses"]:
        return "NPS: no answers in this period"
    return (f"NPS: {n['score']:+g} ({n['responses']} answers: {n['promoters']} promoters, {n['passives']} passives, "
            f"{n['detractors']} detractors)")


def _time_rows(fig: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, kinds in fig["times"].items():
        b, c = kinds["business"], kinds["calendar"]
        rows.append([TIME_LABELS[name], str(c["count"]), _fmt(b["median"]), _fmt(b["p90"]), _fmt(b["mean"]),
                     _cal(c["median"]), _cal(c["p90"]), _cal(c["mean"])])
    return rows


TIME_HEADERS = ["TIME", "N", "MEDIAN (BUS.)", "P90 (BUS.)", "MEAN (BUS.)", "MEDIAN (CAL.)", "P90 (CAL.)",
                "MEAN (CAL.)"]
GROUP_HEADERS = ["TICKETS", "SOLVED", "FIRST REPLY MED", "FIRST REPLY P90", "RESOLUTION MED", "FCR", "REOPEN",
                 "SLA FIRST RESP.", "CSAT"]


MD_GROUP_HEADERS = ["Tickets", "Solved", "First reply median", "First reply p90", "Resolution median", "FCR",
                    "Reopen rate", "First response SLA", "CSAT"]


def _group_row(key: str, fig: dict[str, Any]) -> list[str]:
    t = fig["times"]
    return [key, str(fig["tickets"]), str(fig["solved"]), _fmt(t["first_reply_time"]["business"]["median"]),
            _fmt(t["first_reply_time"]["business"]["p90"]), _fmt(t["full_resolution_time"]["business"]["median"]),
            _pct(fig["fcr"]["pct"]), _pct(fig["reopen_rate"]["pct"]), _pct(fig["sla"]["first_response"]["pct"]),
            _pct(fig["csat"]["pct"])]


def _markdown(report, data: dict[str, Any]) -> str:
    fig = data["overall"]
    lines = [f"## Support report · {report.desk_name}", "", f"_{_about(report)}_", ""]
    if data["empty"]:
        lines += ["No tickets were created in this period.", ""]
    else:
        lines += [f"- {line}" for line in _headline(fig)]
    lines += [f"- {_nps_line(data['nps'])}",
              f"- Backlog at the end of the period: {plural(data['backlog']['at_until'], 'active ticket')}", ""]
    if not data["empty"]:
        lines += ["| Time | N | Median (business) | P90 (business) | Mean (business) | Median (calendar) | "
                  "P90 (calendar) | Mean (calendar) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        lines += ["| " + " | ".join(row) + " |" for row in _time_rows(fig)]
    if data.get("groups"):
        lines += ["", f"### By {data['by']}", "",
                  "| " + data["by"].capitalize() + " | " + " | ".join(MD_GROUP_HEADERS) + " |",
                  "|---" + "|---:" * len(GROUP_HEADERS) + "|"]
        lines += ["| " + " | ".join(_group_row(g["key"].replace("|", "\\|"), g)) + " |" for g in data["groups"]]
    return "\n".join(lines) + "\n"


@app.command("summary")
def summary(
    since: Optional[str] = SINCE_OPTION,
    until: Optional[str] = UNTIL_OPTION,
    by: Optional[str] = typer.Option(None, "--by", help="Group by agent, group, channel, priority, week or month."),
    now: Optional[str] = NOW_OPTION,
    rev: Optional[str] = REV_OPTION,
    json_: bool = JSON_OPTION,
    csv_: bool = CSV_OPTION,
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown (a CI job summary)."),
) -> None:
    """Counts, median/p90/mean times, FCR, reopen rate, SLA attainment, backlog, CSAT and NPS of a period."""
    from supportctl.services import reports

    fmt = _one_format(json=json_, csv=csv_, markdown=markdown)
    report, data = reports.summary(session(now=now, actor=False), since=since, until=until, by=by, rev=rev)
    _warn(report)
    if fmt == "json":
        emit_json(data)
        return
    if fmt == "csv":
        rows = [_flat("(all)", data["overall"])] + [_flat(g["key"], g) for g in data.get("groups", [])]
        headers = list(rows[0])
        _csv([[r[h] for h in headers] for r in rows], headers)
        return
    if fmt == "markdown":
        typer.echo(_markdown(report, data), nl=False)
        return
    fig = data["overall"]
    echo(f"Support report: {report.desk_name}, {_about(report)}")
    if data["empty"]:
        echo("No tickets were created in this period.")
    else:
        echo("\n".join(_headline(fig)))
    echo(_nps_line(data["nps"]))
    echo(f"Backlog at the end of the period: {plural(data['backlog']['at_until'], 'active ticket')}")
    if not data["empty"]:
        echo("")
        echo(table(_time_rows(fig), TIME_HEADERS))
    if data.get("groups"):
        echo("")
        echo(table([_group_row(g["key"], g) for g in data["groups"]], [data["by"].upper(), *GROUP_HEADERS]))


# -------------------------------------------------------------------- build


@app.command("build")
def build(
    out: str = typer.Option(..., "--out", metavar="DIR", help="Folder to write the dashboard into."),
    since: Optional[str] = SINCE_OPTION,
    until: Optional[str] = UNTIL_OPTION,
    now: Optional[str] = NOW_OPTION,
    rev: Optional[str] = REV_OPTION,
) -> None:
    """Build the internal dashboard: static HTML with charts, for the team (never the public site)."""
    from supportctl.services import reports

    built = reports.build(session(now=now, actor=False), out, since=since, until=until, rev=rev)
    _warn(built.report)
    info(f"dashboard: {built.out / 'index.html'} ({plural(len(built.files), 'file')}); {_about(built.report)}")
