"""The engine started before staging: it waits for go, builds exactly what `python -m mkdocs build` builds,
and builds nothing when the build is given up or supportctl dies."""

from __future__ import annotations

import gzip
import os
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from supportctl.site.engine import EngineRun, engine_env, warm_imports
from supportctl.site.mkdocs import read_mkdocs
from supportctl.site.stage import stage
from tests.site.test_build import NOW, make_desk

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the engine starts early only where fds can be passed")


def _files(out: Path) -> dict[str, bytes]:
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            files[p.relative_to(out).as_posix()] = gzip.decompress(data) if p.suffix == ".gz" else data
    return files


def _ready(run: EngineRun, timeout: float = 60) -> None:
    assert select.select([run.ready_r], [], [], timeout)[0], "the engine never said it was ready"


@pytest.fixture
def staged(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    return root, cfg


def test_the_engine_waits_for_go_then_builds_the_same_site_as_mkdocs(staged, tmp_path):
    root, cfg = staged
    mk = read_mkdocs(root)
    run = EngineRun(root, cfg, mk, tmp_path / "early")
    try:
        _ready(run)
        time.sleep(0.2)
        assert run.proc is not None and run.proc.poll() is None      # warm, waiting
        assert not (tmp_path / "early").exists()
        run.go()
        log = run.wait()
    finally:
        run.close()
    assert run.idle >= 0.2 and 0 < run.seconds
    assert "Warning" not in log and "Traceback" not in log
    plain = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(mk.path), "-d",
                            str(tmp_path / "plain")], cwd=root, env=engine_env(cfg), capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    early, reference = _files(tmp_path / "early"), _files(tmp_path / "plain")
    assert len(early) > 20 and early.keys() == reference.keys()
    assert [k for k in early if early[k] != reference[k]] == []


def test_a_build_given_up_before_go_builds_nothing(staged, tmp_path):
    root, cfg = staged
    run = EngineRun(root, cfg, read_mkdocs(root), tmp_path / "out")
    _ready(run)
    run.close()
    assert run.proc.returncode is not None
    assert not (tmp_path / "out").exists()


def test_an_engine_whose_supportctl_died_before_go_exits_without_building(staged, tmp_path):
    """supportctl killed between start and go: the pipe closes, and the engine exits without building."""
    root, cfg = staged
    script = textwrap.dedent(f"""
        import os, select, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from supportctl.site.engine import EngineRun
        from supportctl.site.mkdocs import read_mkdocs
        root = Path({str(root)!r})
        run = EngineRun(root, None, read_mkdocs(root), Path({str(tmp_path / "out")!r}))
        select.select([run.ready_r], [], [], 60)
        print(run.proc.pid, flush=True)
        os._exit(0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.strip())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)
    assert not (tmp_path / "out").exists()


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whoever adopted it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_an_engine_that_fails_to_start_is_reported_with_its_log(staged, tmp_path):
    root, cfg = staged
    text = (root / "mkdocs.yml").read_text()
    assert "\n  - tags\n" in text
    (root / "mkdocs.yml").write_text(text.replace("\n  - tags\n", "\n  - tags\n  - no-such-plugin\n"))
    run = EngineRun(root, cfg, read_mkdocs(root), tmp_path / "out")
    try:
        run.go()
        with pytest.raises(Exception, match="no-such-plugin"):
            run.wait()
    finally:
        run.close()


def test_what_is_imported_early_follows_mkdocs_yml(staged):
    root, _ = staged
    warm = warm_imports("mkdocs", read_mkdocs(root))
    assert {"mkdocs.commands.build", "material", "markdown.extensions.toc", "pymdownx.superfences"} <= set(warm["modules"])
    assert {"material/search", "search", "tags"} <= set(warm["plugins"])


def test_a_site_build_reports_the_engine_without_its_wait(tmp_path):
    """The engine's seconds leave out the time it sat ready while supportctl staged the pages."""
    from supportctl.site.build import build

    root, cfg = make_desk(tmp_path / "desk")
    t0 = time.monotonic()
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    assert 0 < report.engine_seconds < time.monotonic() - t0
    assert (tmp_path / "out/index.html").is_file()
