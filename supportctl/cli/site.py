"""`supportctl site`: build and preview the self-service help site."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import JSON_OPTION, session
from supportctl.cli.render import emit_json, info, report_error, warn

app = typer.Typer(no_args_is_help=True, help="Build and preview the self-service help site (MkDocs Material).")


@app.command("build")
def build(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: site_dir of mkdocs.yml)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Check the KB, then build the site in strict mode; fails on broken links and anchors."""
    from supportctl.services import site
    from supportctl.site.build import SiteCheckFailed

    try:
        report = site.build(session(actor=False), out=out)
    except SiteCheckFailed as exc:
        for p in exc.problems:
            report_error(p)
        raise
    for p in report.problems:
        warn(str(p))
    for w in report.stage.warnings:
        warn(w)
    if json_:
        emit_json(report.to_json())
    info(f"built {len(report.stage.articles)} articles and {len(report.stage.generated)} generated pages into "
         f"{report.out} (checks {report.check_seconds:.2f}s, staging {report.stage.seconds:.2f}s, "
         f"engine {report.engine_seconds:.2f}s, page checks {report.verify_seconds:.2f}s)")


@app.command("stage")
def stage() -> None:
    """Only write the generated docs folder (for running mkdocs or another engine yourself)."""
    from supportctl.services import site

    result = site.stage(session(actor=False))
    for w in result.warnings:
        warn(w)
    info(f"{result.docs_dir}: {len(result.articles)} articles, {len(result.generated)} generated pages "
         f"({result.written} written, {result.removed} removed)")


@app.command("serve")
def serve(
    addr: str = typer.Option("127.0.0.1:8000", "--addr", "-a", help="Address to serve on."),
) -> None:
    """Preview the site locally; re-stages when kb/ or supportctl.yml change."""
    from supportctl.services import site

    raise typer.Exit(site.serve(session(actor=False), addr=addr))
