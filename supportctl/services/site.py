"""Help-site use cases: stage the KB as MkDocs pages, build the site, serve a preview."""

from __future__ import annotations

from pathlib import Path

from supportctl.services.session import Session


def _tickets(session: Session) -> list:
    """The tickets whose `kb:` links rank the home page's popular articles."""
    from supportctl.services.kb import linking_tickets

    return linking_tickets(session)


def build(session: Session, *, out: Path | None = None):
    """Check the KB, stage it and build the site in strict mode; a BuildReport."""
    from supportctl.site.build import build as run

    return run(session.desk.root, session.config, out=out, now=session.now(), tickets=lambda: _tickets(session))


def stage(session: Session):
    """Write only the generated docs folder; a Stage."""
    from supportctl.site.stage import stage as run

    return run(session.desk.root, session.config, tickets=_tickets(session))


def serve(session: Session, *, addr: str) -> int:
    """Serve a live preview until interrupted; the engine's exit code."""
    from supportctl.site.serve import serve as run

    return run(session.desk.root, session.config, addr=addr, tickets=_tickets(session))
