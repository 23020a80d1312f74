"""Page checks done while the engine writes the pages: the same verdict as checking them afterwards,
whatever happens to a page after it was read."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest

from supportctl.errors import SupportctlError
from supportctl.site import engine, verify, watch
from supportctl.site import build as site_build
from supportctl.site.mkdocs import read_mkdocs
from tests.site.test_build import NOW, make_desk, run_engine
from tests.site.test_verify import NAV, _page

BAD_NAV = NAV.replace("\n</ul>", '\n  <li class="md-nav__item"><a href="x/" onclick="steal()">X</a></li>\n</ul>')


@pytest.fixture
def full_checks(monkeypatch):
    """Counts the times the watch falls back to checking every page again."""
    calls = []
    real = watch.verify_pages

    def counted(out, config):
        calls.append(out)
        real(out, config)

    monkeypatch.setattr(watch, "verify_pages", counted)
    return calls


def _write(out, name: str, text: str) -> None:
    (out / name).mkdir(parents=True, exist_ok=True)
    (out / name / "index.html").write_text(text)


def _site(out, n: int = 12) -> None:
    """Pages with a new handler in the navigation from the fourth, personal data on the eighth and a tracker
    on the tenth (the case the workers' test uses)."""
    for i in range(n):
        nav = NAV if i < 3 else BAD_NAV
        if i == 7:
            nav = nav.replace("Page 3<", "Write to sam.lee@ledgerly.com<")
        article = '<p>Fine.</p><img src="https://tracker.example.net/p.gif" alt="">' if i == 9 else "<p>Fine.</p>"
        _write(out, f"p{i:02d}", _page(nav, article))


def _findings(out, check) -> tuple[str, set[str]]:
    with pytest.raises(SupportctlError) as info:
        check()
    hint = (info.value.hint or "").split(" — ")[0]
    return str(info.value), {part for part in hint.split("; ") if part}


def test_pages_read_while_written_give_every_finding_checking_afterwards_gives(tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "QUIET_NS", 0)
    w = watch.PageWatch(tmp_path, None)
    _site(tmp_path)
    w.poll()
    assert len(w.read) == 12
    # Without the second reading in page order, what was read as the pages came is reported as it is.
    monkeypatch.setattr(watch, "verify_pages", lambda out, config: None)
    first, found = _findings(tmp_path, w.finish)
    after_first, after = _findings(tmp_path, lambda: verify.verify_pages(tmp_path, None))
    prefix = "the built site failed its page checks: "
    found.add(first.removeprefix(prefix))
    after.add(after_first.removeprefix(prefix))
    assert {f.split(": ", 1)[1] for f in found} == {f.split(": ", 1)[1] for f in after}
    # A finding in the navigation is named on the first page read that has it, the others on their page.
    assert {f for f in found if "onclick" not in f} == {f for f in after if "onclick" not in f}
    assert any("sam.lee@ledgerly.com" in f and "p07" in f for f in found)
    assert any("tracker.example.net" in f and "p09" in f for f in found)


def test_a_clean_site_read_while_written_is_not_read_again(tmp_path, monkeypatch, full_checks):
    monkeypatch.setattr(watch, "QUIET_NS", 0)
    w = watch.PageWatch(tmp_path, None)
    for i in range(6):
        _write(tmp_path, f"p{i}", _page(NAV))
        w.poll()
    _write(tmp_path, "late", _page(NAV))         # written after the last look: read at the end
    w.finish()
    assert len(w.read) == 6 and full_checks == []
    _write(tmp_path, "later", _page(NAV, "<script>x()</script>"))
    with pytest.raises(SupportctlError, match="later/index.html"):
        w.finish()


def test_a_page_changed_after_it_was_read_is_read_again(tmp_path, monkeypatch, full_checks):
    """Rewritten to the same size with its old modification time: its change time gives it away."""
    monkeypatch.setattr(watch, "QUIET_NS", 0)
    w = watch.PageWatch(tmp_path, None)
    clean, bad = _page(NAV, "<p>Fine.</p><img src='x.gif'>"), _page(NAV, "<p>Fine.</p><img src=//t.io/>")
    assert len(clean) == len(bad)
    for i in range(3):
        _write(tmp_path, f"p{i}", clean)
    w.poll()
    assert len(w.read) == 3
    page = tmp_path / "p1/index.html"
    before = page.stat()
    with open(page, "r+b") as f:
        f.write(bad.encode())
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(SupportctlError, match="t.io"):
        w.finish()
    assert full_checks == [tmp_path]


def test_with_coarse_stamps_a_page_read_too_soon_is_compared_byte_for_byte(tmp_path, monkeypatch, full_checks):
    """A file system whose stamps cannot tell two writes apart: a page read within QUIET_NS of its last
    change keeps a digest, and a change after the reading is found by it."""
    monkeypatch.setattr(watch, "_stamp", lambda st: (st.st_ino, st.st_size))
    monkeypatch.setattr(watch, "QUIET_NS", 10_000_000_000)
    w = watch.PageWatch(tmp_path, None)
    w.since_ns = 0
    clean, bad = _page(NAV, "<p>Fine.</p><img src='x.gif'>"), _page(NAV, "<p>Fine.</p><img src=//t.io/>")
    old = time.time_ns() - 20_000_000_000
    for i in range(3):
        _write(tmp_path, f"p{i}", clean)
        os.utime(tmp_path / f"p{i}/index.html", ns=(old, old))    # still, by its mtime; just changed, by its ctime
    w.poll()
    assert len(w.read) == 3 and all(digest is not None for _, digest in w.read.values())
    w.finish()
    assert full_checks == []                    # unchanged: confirmed by content
    with open(tmp_path / "p2/index.html", "r+b") as f:
        f.write(bad.encode())
    with pytest.raises(SupportctlError, match="t.io"):
        w.finish()
    assert full_checks == [tmp_path]


def test_a_page_removed_after_it_was_read_means_reading_them_all_again(tmp_path, monkeypatch, full_checks):
    monkeypatch.setattr(watch, "QUIET_NS", 0)
    w = watch.PageWatch(tmp_path, None)
    _write(tmp_path, "p0", _page(NAV))
    _write(tmp_path, "p1", _page(NAV.replace("Page 3<", "Write to sam.lee@ledgerly.com<")))
    w.poll()
    (tmp_path / "p0/index.html").unlink()
    with pytest.raises(SupportctlError, match="sam.lee@ledgerly.com"):
        w.finish()
    assert full_checks == [tmp_path]


def test_a_previous_builds_pages_and_fresh_ones_wait_for_the_end(tmp_path, monkeypatch):
    old = time.time_ns() - 60_000_000_000
    _write(tmp_path, "old", _page(NAV, "<script>x()</script>"))
    os.utime(tmp_path / "old/index.html", ns=(old, old))
    w = watch.PageWatch(tmp_path, None)
    _write(tmp_path, "fresh", _page(NAV))
    w.poll()
    assert w.read == {}                         # one is older than the build, the other not still yet
    with pytest.raises(SupportctlError, match="old/index.html"):
        w.finish()


def test_a_link_among_the_pages_is_not_read_while_building(tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "QUIET_NS", 0)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere.html"
    out.mkdir()
    w = watch.PageWatch(out, None)
    elsewhere.write_text(_page(NAV, "<script>x()</script>"))
    (out / "linked").mkdir()
    (out / "linked/index.html").symlink_to(elsewhere)
    _write(out, "p0", _page(NAV))
    w.poll()
    assert list(w.read) == ["p0/index.html"]
    with pytest.raises(SupportctlError, match="linked/index.html"):
        w.finish()                              # at the end, as verify_pages reads it


def test_a_real_build_checks_pages_while_mkdocs_writes_them(tmp_path, monkeypatch, full_checks):
    monkeypatch.setattr(engine, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(watch, "QUIET_NS", 20_000_000)      # the sample desk's engine writes its pages in ~0.5 s
    root, cfg = make_desk(tmp_path / "desk")
    report = site_build.build(root, cfg, now=NOW, out=tmp_path / "out")
    assert report.pages_read_early > 0 and full_checks == []
    assert report.to_json()["pages_checked_while_building"] == report.pages_read_early


def _fake_engine(tmp_path, monkeypatch, body: str):
    """`zensical` on PATH, running `body` as Python."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "zensical"
    exe.write_text(f"#!{sys.executable}\n{body}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    root, cfg = make_desk(tmp_path / "desk", engine="zensical")
    return root, cfg


def test_an_engine_is_stopped_when_the_checks_beside_it_fail(tmp_path, monkeypatch):
    root, cfg = _fake_engine(tmp_path, monkeypatch, "import os, time\nopen('pid', 'w').write(str(os.getpid()))\n"
                                                    "time.sleep(60)")

    def failing() -> None:
        if (root / "pid").exists():
            raise RuntimeError("checks failed")

    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="checks failed"):
        run_engine(root, cfg, read_mkdocs(root), tmp_path / "out", during=failing)
    assert time.monotonic() - t0 < 30
    pid = int((root / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                         # killed and reaped


def test_a_long_engine_log_does_not_stall_the_build(tmp_path, monkeypatch):
    """The log goes to a file: 2 MB of it, more than a pipe holds, and the first warning is still reported."""
    root, cfg = _fake_engine(tmp_path, monkeypatch, "import sys\nprint('INFO - x' * 20 + '\\n' * 1, end='')\n"
                                                    "for i in range(100_000): print('INFO - building page', i)\n"
                                                    "print('WARNING -  Doc file x.md contains a link to y.md')\n"
                                                    "sys.exit(1)")
    with pytest.raises(SupportctlError, match="contains a link to y.md"):
        run_engine(root, cfg, read_mkdocs(root), tmp_path / "out", during=lambda: None)
