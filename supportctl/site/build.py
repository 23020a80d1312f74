"""Building the help site: check the KB, stage it, run the engine in strict mode, verify the output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from supportctl.errors import SupportctlError
from supportctl.kb.checks import check_articles
from supportctl.kb.load import load_kb
from supportctl.kb.model import KbProblem
from supportctl.site.mkdocs import MkdocsInfo, read_mkdocs
from supportctl.site.stage import Stage, check_sources, stage
from supportctl.site.verify import verify_no_leaks
from supportctl.site.watch import PageWatch

# How often the engine's output is looked at while it runs (a 1,000-article build writes ~100 pages a second).
POLL_SECONDS = 0.25


@dataclass
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

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "articles": len(self.stage.articles), "generated": self.stage.generated,
                "written": self.stage.written, "removed": self.stage.removed,
                "pages_checked_while_building": self.pages_read_early,
                "seconds": {"check": round(self.check_seconds, 3), "stage": round(self.stage.seconds, 3),
                            "engine": round(self.engine_seconds, 3), "verify": round(self.verify_seconds, 3),
                            "engine_cpu": round(self.engine_cpu_seconds, 3)},
                "warnings": [p.to_json() for p in self.problems] + [{"message": w} for w in self.stage.warnings]}


def engine_command(engine: str, action: str) -> list[str]:
    """The command line that runs `engine` (mkdocs, properdocs or zensical) with `action`."""
    if engine in ("mkdocs", "properdocs"):
        return [sys.executable, "-m", engine, action]
    exe = shutil.which(engine)
    if exe is None:
        raise SupportctlError(f"site engine {engine!r} is not installed", hint=f"pip install {engine}, or set "
                              "site.engine: mkdocs in supportctl.yml")
    return [exe, action]


def engine_env(config: Any) -> dict[str, str]:
    """The engine's environment: SUPPORTCTL_OFFLINE switches mkdocs.yml's offline plugin."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SUPPORTCTL_OFFLINE":
            "true" if (config is not None and config.site.offline) else "false"}


def build(root: Path, config: Any, *, now: datetime, out: Path | None = None,
          tickets: list[Any] | None = None) -> BuildReport:
    """Check the KB (as of `now`), stage it and run the engine in strict mode; raise on any problem.
    `tickets`: the desk's tickets, whose `kb:` links rank the home page's popular articles."""
    mk = read_mkdocs(root)
    t0 = time.perf_counter()
    check_sources(root, mk)         # before anything is read: no symlink in kb/ is followed
    kb = load_kb(root, config)
    problems = check_articles(kb, config, now)
    blocking = [p for p in problems if p.blocking]
    check_seconds = time.perf_counter() - t0
    if blocking:
        raise SiteCheckFailed(blocking)
    st = stage(root, config, kb, mk=mk, tickets=tickets)
    out_dir = _out_dir(root, mk, out)
    watch = PageWatch(out_dir, config)
    c1 = _children_cpu()
    out_dir, engine_seconds, log = run_engine(root, config, mk, out_dir, during=watch.poll)
    engine_cpu = _children_cpu() - c1
    t2 = time.perf_counter()
    try:
        verify_no_leaks(out_dir, kb)
        watch.finish()
    except BaseException:
        # A site that failed its checks (or whose checks were cut short) must not be deployed by a later CI step.
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return BuildReport(out_dir, st, check_seconds, engine_seconds, [p for p in problems if not p.blocking], log,
                       time.perf_counter() - t2, engine_cpu, len(watch.read))


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


def run_engine(root: Path, config: Any, mk: MkdocsInfo, out: Path | None,
               during: Callable[[], None] | None = None) -> tuple[Path, float, str]:
    """Run `<engine> build --strict` on the staged folder, calling `during` every POLL_SECONDS while it
    runs; (output folder, seconds, log). Raise with the warnings if it fails."""
    out_dir = _out_dir(root, mk, out)
    engine = config.site.engine if config is not None else "mkdocs"
    # Run --strict WITHOUT -q or -v: with either, mkdocs 1.6 exits 0 despite
    # warnings (mkdocs#4126, #3991), so a broken link would pass unnoticed.
    cmd = engine_command(engine, "build") + ["--strict", "--clean", "-f", str(mk.path), "-d", str(out_dir)]
    if engine == "zensical":
        cmd = engine_command(engine, "build") + ["-f", str(mk.path)]
    t1 = time.perf_counter()
    # The log goes to a file, not a pipe: nobody reads a pipe while `during` works, and a full one would stall.
    with tempfile.TemporaryFile() as log_file:
        proc = subprocess.Popen(cmd, cwd=root, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                env=engine_env(config))
        try:
            while True:
                try:
                    proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if during is not None:
                        during()
        finally:
            if proc.returncode is None:             # `during` raised, or the build was interrupted
                proc.kill()
                proc.wait()
        engine_seconds = time.perf_counter() - t1
        log_file.seek(0)
        log = log_file.read().decode("utf-8", errors="replace").replace("\r\n", "\n")
    if proc.returncode != 0:
        lines = [ln for ln in log.splitlines() if ln.startswith(("WARNING", "ERROR")) or "Error" in ln]
        first = lines[0] if lines else (log.strip().splitlines() or ["(no output)"])[-1]
        raise SupportctlError(f"{engine} build failed: {_clean(first)}",
                              hint="; ".join(_clean(ln) for ln in lines[1:4]) or "run the build again to see the log")
    return out_dir, engine_seconds, log


def _clean(line: str) -> str:
    return " ".join(line.replace("WARNING -", "").replace("ERROR -", "").split())


class SiteCheckFailed(SupportctlError):
    """The KB has blocking problems; `problems` lists them."""

    def __init__(self, problems: list[KbProblem]) -> None:
        n = len(problems)
        super().__init__(f"the KB has {n} problem{'s' if n > 1 else ''} that would break or leak into the site",
                         hint="fix them (`supportctl kb check` lists them all), then build again")
        self.problems = problems
