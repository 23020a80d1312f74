"""The dashboard's HTML page: one Jinja2 template, autoescaped, with figures, captions and tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TEMPLATES = Path(__file__).parent / "templates"


def _duration(seconds: Any) -> str:
    from supportctl.base.timeutil import format_duration

    return "–" if seconds is None else format_duration(seconds)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value:g}%"


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_page(data: dict[str, Any], charts: dict[str, Any], zone: ZoneInfo) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from supportctl.reports.charts import WIDE

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=_duration, pct=_pct, cell=_cell)

    def local(text: str | None) -> str:
        if text is None:
            return "the first ticket"
        return datetime.fromisoformat(text).astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")

    env.filters["local"] = local
    return env.get_template("dashboard.html.j2").render(data=data, charts=charts, s=data["summary"],
                                                        fig=data["summary"]["overall"], wide=WIDE)
