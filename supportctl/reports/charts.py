"""The dashboard's charts, drawn by matplotlib into SVG when the dashboard is built.

Why matplotlib: it is the best-kept plotting library in Python, draws
offline with no browser and no JavaScript at view time (the page stays a
file:// page with no third-party request), and its SVG keeps text as text.
The Agg backend is forced, so CI runners and servers need no display.
Each chart comes with its alt text and the table of its numbers (page.py).
"""

from __future__ import annotations

import io
from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype

# Colour-blind safe (Okabe-Ito), with enough contrast on white.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]


@datatype
class Chart:
    """One dashboard chart: its SVG, its numbers as a table and the words that describe it."""

    title: str
    alt: str                                  # what the chart shows, in words (the img alt text)
    headers: list[str]                        # the table of its numbers
    rows: list[list[Any]]
    svg: bytes = b""
    empty: bool = False
    notes: list[str] = field(default_factory=list)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({
        "svg.fonttype": "none",            # text stays text: searchable, and small
        "svg.hashsalt": "supportctl",      # the same data gives the same file
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    })
    return plt


def _svg(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})   # constrained layout: no second "tight" pass
    _plt().close(fig)
    return buf.getvalue()


# Wide charts span the page; the others share a row, so they are drawn
# narrower to keep their text the same size on screen.
WIDE = {"times", "backlog"}
_size = {"width": 6.0}


def _figure(width: float | None = None, height: float = 3.4):
    return _plt().subplots(figsize=(width or _size["width"], height), layout="constrained")


def _legend(ax, handles=None, labels=None, ncol: int = 4, also=None) -> None:
    """Above the plot, outside it: a legend never hides a line (`also`: a twin axis whose lines it lists too)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if also is not None:
        more = also.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.01), frameon=False, fontsize=9, ncol=ncol,
              borderaxespad=0)


def _right_line(ax, x: list[int], values: list, colour: str, label: str, ylim: tuple[int, int]):
    """A line on a second y axis at the right (a percentage over counts); gaps where a value is None."""
    ax2 = ax.twinx()
    ax2.plot([a for a, v in zip(x, values) if v is not None], [v for v in values if v is not None], "o-",
             color=colour, linewidth=2, label=label)
    ax2.set_ylim(*ylim)
    ax2.set_ylabel(label)
    ax2.grid(False)
    return ax2


def _ticks(ax, labels: list[str]) -> None:
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=30, ha="right")


def _no_data(chart: Chart, what: str) -> Chart:
    fig, ax = _figure(None, 1.2)
    ax.axis("off")
    ax.text(0.5, 0.5, what, ha="center", va="center", fontsize=11, color="#444")
    chart.svg, chart.empty = _svg(fig), True
    return chart


def _line(chart: Chart, labels: list[str], series: list[tuple[str, list[float | None], str]], ylabel: str,
          *, ylim: tuple[float, float] | None = None) -> Chart:
    fig, ax = _figure()
    x = list(range(len(labels)))
    for i, (name, values, style) in enumerate(series):
        xs = [a for a, v in zip(x, values) if v is not None]
        ys = [v for v in values if v is not None]
        ax.plot(xs, ys, style, label=name, color=COLOURS[i % len(COLOURS)], linewidth=2, markersize=5)
    _ticks(ax, labels)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    _legend(ax)
    chart.svg = _svg(fig)
    return chart


def times_chart(data: dict[str, Any]) -> Chart:
    weeks = [t["week"] for t in data["times"]]
    rows = [[t["week"], t["tickets"], t["first_reply_time"]["median_h"], t["first_reply_time"]["p90_h"],
             t["full_resolution_time"]["median_h"], t["full_resolution_time"]["p90_h"]] for t in data["times"]]
    chart = Chart("First reply and resolution times by week",
                  "Line chart of the median and 90th percentile of first reply time and full resolution time, "
                  "in business hours, for the tickets created each week.",
                  ["Week", "Tickets", "First reply median (h)", "First reply p90 (h)", "Resolution median (h)",
                   "Resolution p90 (h)"], rows)
    if not any(r[2] is not None or r[4] is not None for r in rows):
        return _no_data(chart, "No replies or resolutions in this period")
    return _line(chart, weeks, [("First reply, median", [r[2] for r in rows], "o-"),
                                ("First reply, p90", [r[3] for r in rows], "o--"),
                                ("Resolution, median", [r[4] for r in rows], "s-"),
                                ("Resolution, p90", [r[5] for r in rows], "s--")], "business hours")


def sla_chart(data: dict[str, Any]) -> Chart:
    from supportctl.sla.results import CLOCKS

    weeks = [s["week"] for s in data["sla"]]
    rows = [[s["week"], *[f"{s[c]['met']}/{s[c]['met'] + s[c]['breached']}" for c in CLOCKS],
             *[s[c]["pct"] for c in CLOCKS]] for s in data["sla"]]
    chart = Chart("SLA attainment by week",
                  "Line chart of the share of SLA clocks met (met divided by met plus breached) per clock, "
                  "for the tickets created each week.",
                  ["Week", "First response met/decided", "Next reply met/decided", "Resolution met/decided",
                   "First response %", "Next reply %", "Resolution %"], rows)
    if not any(v is not None for r in rows for v in r[4:]):
        return _no_data(chart, "No SLA clock was met or breached in this period")
    return _line(chart, weeks, [(c.replace("_", " "), [s[c]["pct"] for s in data["sla"]], "o-") for c in CLOCKS],
                 "% met", ylim=(0, 105))


def backlog_chart(data: dict[str, Any]) -> Chart:
    days = data["backlog"]
    chart = Chart("Backlog over time", "Line chart of the number of active tickets (new, open or pending) at the "
                  "end of each day.", ["Day", "Active tickets"], [[d["date"], d["active"]] for d in days])
    if not days:
        return _no_data(chart, "No days in this period")
    fig, ax = _figure()
    x = list(range(len(days)))
    ax.fill_between(x, [d["active"] for d in days], step="post", alpha=0.25, color=COLOURS[0])
    ax.step(x, [d["active"] for d in days], where="post", color=COLOURS[0], linewidth=2)
    _ticks(ax, [d["date"] for d in days])
    ax.set_ylabel("active tickets")
    ax.set_ylim(bottom=0)
    chart.svg = _svg(fig)
    return chart


def volume_chart(data: dict[str, Any]) -> Chart:
    channels = data["channels"]
    rows = [[v["week"], *[v[c] for c in channels], sum(v[c] for c in channels)] for v in data["volume"]]
    chart = Chart("New tickets by channel", "Stacked bar chart of the tickets created each week, by channel.",
                  ["Week", *channels, "Total"], rows)
    if not channels:
        return _no_data(chart, "No tickets were created in this period")
    fig, ax = _figure()
    x = list(range(len(rows)))
    bottom = [0] * len(rows)
    for i, c in enumerate(channels):
        values = [r[1 + i] for r in rows]
        ax.bar(x, values, bottom=bottom, label=c, color=COLOURS[i % len(COLOURS)], width=0.7)
        bottom = [a + b for a, b in zip(bottom, values)]
    _ticks(ax, [r[0] for r in rows])
    ax.set_ylabel("tickets")
    _legend(ax, ncol=min(5, len(channels)))
    chart.svg = _svg(fig)
    return chart


def csat_chart(data: dict[str, Any]) -> Chart:
    rows = [[c["week"], c["ratings"], c["satisfied"], c["pct"]] for c in data["csat"]]
    chart = Chart("Customer satisfaction (CSAT) by week",
                  "Bar chart of the number of ratings per week with a line of the share of satisfied ratings.",
                  ["Week", "Ratings", "Satisfied", "CSAT %"], rows)
    if not any(r[1] for r in rows):
        return _no_data(chart, "No ratings in this period")
    fig, ax = _figure()
    x = list(range(len(rows)))
    ax.bar(x, [r[1] for r in rows], color="#BBBBBB", width=0.6, label="ratings")
    ax.set_ylabel("ratings")
    ax2 = _right_line(ax, x, [r[3] for r in rows], COLOURS[2], "CSAT %", (0, 105))
    _ticks(ax, [r[0] for r in rows])
    _legend(ax, also=ax2)
    chart.svg = _svg(fig)
    return chart


def nps_chart(data: dict[str, Any]) -> Chart:
    rows = [[n["month"], n["responses"], n["promoters"], n["passives"], n["detractors"], n["score"]]
            for n in data["nps"]]
    chart = Chart("Net Promoter Score by month",
                  "Stacked bars of promoters, passives and detractors per month with a line of the NPS "
                  "(percent promoters minus percent detractors).",
                  ["Month", "Answers", "Promoters", "Passives", "Detractors", "NPS"], rows)
    if not any(r[1] for r in rows):
        return _no_data(chart, "No NPS answers in this period")
    fig, ax = _figure()
    x = list(range(len(rows)))
    bottom = [0] * len(rows)
    for i, (label, colour) in enumerate((("promoters", COLOURS[2]), ("passives", "#BBBBBB"),
                                         ("detractors", COLOURS[1]))):
        values = [r[2 + i] for r in rows]
        ax.bar(x, values, bottom=bottom, color=colour, width=0.6, label=label)
        bottom = [a + b for a, b in zip(bottom, values)]
    ax.set_ylabel("answers")
    ax2 = _right_line(ax, x, [r[5] for r in rows], COLOURS[0], "NPS", (-105, 105))
    ax2.axhline(0, color="#888", linewidth=0.8)
    _ticks(ax, [r[0] for r in rows])
    _legend(ax, also=ax2)
    chart.svg = _svg(fig)
    return chart


def _barh(chart: Chart, labels: list[str], series: list[tuple[str, list[int]]], xlabel: str) -> Chart:
    fig, ax = _figure(None, max(1.8, 0.38 * len(labels) + 1.0))
    y = list(range(len(labels)))
    height = 0.8 / len(series)
    for i, (name, values) in enumerate(series):
        ax.barh([v + i * height - 0.4 + height / 2 for v in y], values, height=height, label=name,
                color=COLOURS[i % len(COLOURS)])
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if len(series) > 1:
        _legend(ax)
    chart.svg = _svg(fig)
    return chart


def articles_chart(data: dict[str, Any]) -> Chart:
    rows = [[a["article"], a["solved_tickets"]] for a in data["articles"]]
    chart = Chart("Top KB articles linked from solved tickets",
                  "Horizontal bar chart of the knowledge-base articles linked from the most solved tickets "
                  "(a deflection signal: answers worth making easier to find).",
                  ["Article", "Solved tickets linking it"], rows)
    if not rows:
        return _no_data(chart, "No solved ticket links a KB article in this period")
    return _barh(chart, [r[0] for r in rows], [("solved tickets", [r[1] for r in rows])], "solved tickets")


def agents_chart(data: dict[str, Any]) -> Chart:
    rows = [[a["agent"], a["active"], a["solved"]] for a in data["agents"]]
    chart = Chart("Agent load", "Grouped horizontal bars per agent: active tickets assigned now, and tickets "
                  "solved in the period.", ["Agent", "Active now", "Solved in period"], rows)
    if not rows:
        return _no_data(chart, "No assigned tickets")
    return _barh(chart, [r[0] for r in rows], [("active now", [r[1] for r in rows]),
                                               ("solved in period", [r[2] for r in rows])], "tickets")


# In page order: the wide charts first, then pairs that share a row.
CHARTS = {"times": times_chart, "backlog": backlog_chart, "sla": sla_chart, "volume": volume_chart,
          "csat": csat_chart, "nps": nps_chart, "articles": articles_chart, "agents": agents_chart}


def render_charts(data: dict[str, Any]) -> dict[str, Chart]:
    out = {}
    for name, draw in CHARTS.items():
        _size["width"] = 10.0 if name in WIDE else 6.0
        out[name] = draw(data)
    return out
