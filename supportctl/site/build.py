"""Building the help site: check the KB and stage it while the engine starts, build in strict mode, verify the output."""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from supportctl.base.datatypes import datatype
from supportctl.desk.store import aside
from supportctl.errors import SupportctlError
from supportctl.kb.checks import check_articles
from supportctl.kb.load import load_kb
from supportctl.kb.model import KbProblem
from supportctl.site.engine import EngineRun
from supportctl.site.mkdocs import MkdocsInfo, read_mkdocs
from supportctl.site.stage import Stage, check_sources, stage
from supportctl.site.verify import verify_no_leaks
from supportctl.site.watch import PageWatch


@datatype
class BuildReport:
    """What `build()` did and how long each part took."""

    out: Path
    stage: Stage
    check_seconds: float
    engine_seconds: float
    problems: list[KbProblem]          # non-blocking ones (blocking ones raise)
    log: str
    verify_seconds: float = 0.0        # the checks of the built pages once the engine is done
    engine_cpu_seconds: float = 0.0    # the engine's processor time (user + system), where the OS reports it
    pages_read_early: int = 0          # pages checked while the engine was still writing others
    engine_waiting_seconds: float = 0.0  # the engine, started early, ready and waiting for the staged pages

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "articles": len(self.stage.articles), "generated": self.stage.generated,
                "written": self.stage.written, "removed": self.stage.removed,
                "pages_checked_while_building": self.pages_read_early,
                "seconds": {"check": round(self.check_seconds, 3), "stage": round(self.stage.seconds, 3),
                            "engine": round(self.engine_seconds, 3), "verify": round(self.verify_seconds, 3),
                            "engine_cpu": round(self.engine_cpu_seconds, 3),
                            "engine_waiting": round(self.engine_waiting_seconds, 3)},
                "warnings": [p.to_json() for p in self.problems] + [{"message": w} for w in self.stage.warnings]}


def build(root: Path, config: Any, *, now: datetime, out: Path | None = None,
          tickets: list[Any] | Callable[[], list[Any]] | None = None) -> BuildReport:
    """Check the KB (as of `now`), stage it and run the engine in strict mode; raise on any problem.
    `tickets`: the desk's tickets, whose `kb:` links rank the home page's popular articles (or a function
    that reads them, called while the engine starts)."""
    mk = read_mkdocs(root)
    out_dir = _out_dir(root, mk, out)
    t0 = time.perf_counter()
    check_sources(root, mk)         # before anything is read: no symlink in kb/ is followed
    c1 = _children_cpu()
    engine = EngineRun(root, config, mk, out_dir)       # starts now; builds nothing before go()
    try:
        kb = load_kb(root, config)
        # The checks run on the other core while this one stages; the engine builds only once they pass.
        checks = aside(lambda: [p.to_json() for p in check_articles(kb, config, now)])
        check_seconds = time.perf_counter() - t0
        try:
            st = stage(root, config, kb, mk=mk, tickets=tickets() if callable(tickets) else tickets)
        except Exception:
            _raise_blocking([KbProblem.from_json(p) for p in checks()])  # a KB that cannot be staged: why
            raise
        t1, c2 = time.perf_counter(), _children_cpu()
        problems = [KbProblem.from_json(p) for p in checks()]
        check_seconds += time.perf_counter() - t1
        checks_cpu = _children_cpu() - c2             # the checks' child, not the engine's
        _raise_blocking(problems)
        watch = PageWatch(out_dir, config)
        engine.go()
        log = engine.wait(during=watch.poll)
    finally:
        engine.close()
    engine_cpu = _children_cpu() - c1 - checks_cpu
    t2 = time.perf_counter()
    try:
        verify_no_leaks(out_dir, kb)
        watch.finish()
    except BaseException:
        # A site that failed its checks (or whose checks were cut short) must not be deployed by a later CI step.
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return BuildReport(out_dir, st, check_seconds, engine.seconds, [p for p in problems if not p.blocking], log,
                       time.perf_counter() - t2, engine_cpu, len(watch.read), engine.idle)


def _raise_blocking(problems: list[KbProblem]) -> None:
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise SiteCheckFailed(blocking)


def _children_cpu() -> float:
    """Processor seconds of the finished child processes (0 where the OS has no getrusage)."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _out_dir(root: Path, mk: MkdocsInfo, out: Path | None) -> Path:
    return (out if out is not None else root / mk.site_dir).resolve()


class SiteCheckFailed(SupportctlError):
    """The KB has blocking problems; `problems` lists them."""

    def __init__(self, problems: list[KbProblem]) -> None:
        n = len(problems)
        super().__init__(f"the KB has {n} problem{'s' if n > 1 else ''} that would break or leak into the site",
                         hint="fix them (`supportctl kb check` lists them all), then build again")
        self.problems = problems
