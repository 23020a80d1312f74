"""Templates: found only inside templates/, rendered within time and size bounds, every failure a clear error."""

from __future__ import annotations

import os
import time

import pytest

from supportctl.errors import SupportctlError
from supportctl.templating import find_template, render, symlinks, template_names
from tests.conftest import git, new_ticket


@pytest.fixture
def folder(tmp_path):
    templates = tmp_path / "desk" / "templates"
    (templates / "replies").mkdir(parents=True)
    (templates / "replies" / "hello.md.j2").write_text("Hi {{ name }}\n")
    (tmp_path / "outside.txt").write_text("SECRET\n")
    return templates


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "/etc/passwd", "replies/../../outside.txt",
                                  "../outside", "./replies/hello", "replies//hello", "~/x", "a\x00b"])
def test_names_that_leave_templates_are_refused(folder, name):
    with pytest.raises(SupportctlError) as info:
        render(folder, name, {"name": "x"})
    assert "template name" in info.value.message and info.value.hint


def test_symlinks_are_never_followed(folder, tmp_path):
    os.symlink(tmp_path / "outside.txt", folder / "replies" / "leak.md")
    os.symlink(tmp_path, folder / "up")
    os.symlink(folder / "replies" / "hello.md.j2", folder / "replies" / "alias.md.j2")   # even inside
    for name in ("replies/leak", "up/outside", "replies/alias"):
        with pytest.raises(SupportctlError) as info:
            render(folder, name, {"name": "x"})
        assert "is a symlink" in info.value.message
    assert template_names(folder) == ["replies/hello"]
    assert symlinks(folder) == ["templates/replies/alias.md.j2", "templates/replies/leak.md", "templates/up"]


def test_a_symlinked_templates_folder_is_refused(folder, tmp_path):
    linked = tmp_path / "linked"
    os.symlink(folder, linked)
    with pytest.raises(SupportctlError, match="symlink"):
        find_template(linked, "replies/hello")


def test_a_good_template_still_renders(folder):
    assert render(folder, "replies/hello", {"name": "Dana"}) == "Hi Dana\n"


ABUSE = {
    "range": ("{% for i in range(100000000) %}x{% endfor %}", "range()"),
    "include": ("one\n{% include 'replies/hello.md.j2' %}", "include, import or extend"),
    "import": ("{% import '/etc/passwd' as p %}", "include, import or extend"),
    "extends": ("{% extends 'x' %}", "include, import or extend"),
    "macro": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}", "recurses"),
    "loops": ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", "longer than"),
    "silent": ("{% set r = range(5000) %}{% for a in r %}{% for b in r %}{% for c in r %}{% endfor %}"
               "{% endfor %}{% endfor %}", "longer than"),
    "multiply": ("{{ 'x' * 10**9 }}", "longer than"),
    "power": ("{{ 2 ** 1000000000 }}", "exponent"),
    "center": ("{{ 'x' | center(1000000000) }}", "too large"),
    "format": ("{{ '{:>999999999}'.format(1) }}", "format width"),
    "percent": ("{{ '%*d' % (1000000000, 1) }}", "format width"),
    "replace": ("{{ ('x' * 100000) | replace('', 'y' * 100000) }}", "replace()"),
    "doubling": ("{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d('x') }}", "longer than"),
    "output": ("{% for i in range(10000) %}{{ 'y' * 100 }}{% endfor %}", "output is longer"),
    "syntax": ("line one\n{% for %}", "syntax"),
    "undefined": ("a\nb\n{{ nope.x }}", "'nope' is undefined"),
    "zero": ("\n{{ 1 / 0 }}", "division by zero"),
    "internals": ("{{ ''.__class__.__mro__ }}", "unsafe"),
}


@pytest.mark.parametrize("key", list(ABUSE))
def test_abusive_templates_fail_quickly_with_a_clear_error(folder, key):
    source, message = ABUSE[key]
    (folder / f"{key}.md.j2").write_text(source)
    start = time.monotonic()
    with pytest.raises(SupportctlError) as info:
        render(folder, key, {})
    assert time.monotonic() - start < 5
    err = info.value
    assert message in err.message, err.message
    assert err.path == f"templates/{key}.md.j2" and err.hint


@pytest.mark.parametrize("key, line", [("include", 2), ("syntax", 2), ("undefined", 3), ("zero", 2)])
def test_errors_name_the_template_line(folder, key, line):
    (folder / f"{key}.md.j2").write_text(ABUSE[key][0])
    with pytest.raises(SupportctlError) as info:
        render(folder, key, {})
    assert info.value.line == line


def test_a_template_that_is_not_utf8_is_an_error(folder):
    (folder / "latin.md.j2").write_bytes(b"Gr\xfc\xdfe\n")
    with pytest.raises(SupportctlError, match="not UTF-8"):
        render(folder, "latin", {})


# ------------------------------------------------------------------ via the CLI


def test_reply_template_outside_templates_commits_nothing(desk, cli):
    tid = new_ticket(cli)
    head = git(desk, "rev-parse", "HEAD")
    r = cli("ticket", "reply", tid, "--template", "../../../../etc/passwd", ok=False)
    assert r.exit_code != 0 and "template name" in r.stderr and "Traceback" not in r.stderr
    assert git(desk, "rev-parse", "HEAD") == head and "root:" not in (desk / "tickets").joinpath(
        next(p for p in os.listdir(desk / "tickets") if tid in p)).read_text()


def test_body_file_that_is_not_utf8_is_a_usage_error(desk, cli, tmp_path):
    tid = new_ticket(cli)
    (tmp_path / "body.txt").write_bytes(b"caf\xe9\n")
    r = cli("ticket", "note", tid, "--body-file", str(tmp_path / "body.txt"), ok=False)
    assert r.exit_code == 2 and "not UTF-8" in r.stderr and r.exception is None or isinstance(r.exception, SystemExit)


def test_kb_new_template_outside_templates_is_refused(desk, cli):
    (desk.parent / "outside.md").write_text("---\nstatus: draft\n---\nSECRET\n")
    r = cli("kb", "new", "Leak", "--category", "data", "--template", "../../outside", ok=False)
    assert r.exit_code != 0 and "template name" in r.stderr and not (desk / "kb" / "data" / "leak.md").exists()
    os.symlink(desk.parent / "outside.md", desk / "templates" / "kb" / "linked.md")
    r = cli("kb", "new", "Leak", "--category", "data", "--template", "linked", ok=False)
    assert "is a symlink" in r.stderr and not (desk / "kb" / "data" / "leak.md").exists()


@pytest.mark.parametrize("attempt", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ticket.__class__.__init__.__globals__ }}",
    "{{ requester.items.__self__.__class__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.format.__globals__ }}",
])
def test_a_sandbox_escape_attempt_is_refused(tmp_path, attempt):
    """Reply templates (and so macros and rule messages) cannot reach Python internals."""
    from supportctl.errors import SupportctlError
    from supportctl.templating import render_source

    try:
        out = render_source(attempt, {"ticket": {"id": "X"}, "requester": {"name": "Dana"}}, rel="t.j2", hint="")
    except SupportctlError as exc:
        assert "unsafe" in exc.message or "undefined" in exc.message or "has no attribute" in exc.message
    else:   # a sandbox may render an unsafe attribute as nothing; it must never render the object
        assert "class" not in out and "function" not in out and "module" not in out and "uid=" not in out
