"""Issue 9: a config that would crash or hang a command is rejected by every command, `check` first."""

from __future__ import annotations

import re

import pytest

from tests.conftest import TEST_CONFIG, new_ticket

BAD = {
    "latin1": TEST_CONFIG.replace("name: Test Desk", "name: Test D\xe9sk").encode("latin-1"),
    "month 13": TEST_CONFIG.replace('holidays: ["12-25", "12-26"]', 'holidays: ["2026-13-01"]').encode(),
    "february 30": TEST_CONFIG.replace('holidays: ["12-25", "12-26"]', 'holidays: ["2026-02-30"]').encode(),
    "unquoted february 30": TEST_CONFIG.replace('holidays: ["12-25", "12-26"]', 'holidays: [2026-02-30]').encode(),
    "malformed MM-DD": TEST_CONFIG.replace('holidays: ["12-25", "12-26"]', 'holidays: ["12-5"]').encode(),
    "huge target": TEST_CONFIG.replace("first_response: 4h", "first_response: 999999999999").encode(),
    "300-digit after": TEST_CONFIG.replace(
        "solved: {category: solved, pauses_sla: true}",
        "solved: {category: solved, pauses_sla: true, next_state: closed, after: " + "9" * 300 + "}").encode(),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")) + TEST_CONFIG).encode(),
}


@pytest.mark.parametrize("name", list(BAD))
def test_every_command_reports_the_bad_config_without_a_traceback(desk, cli, name):
    new_ticket(cli, "--priority", "urgent")
    (desk / "supportctl.yml").write_bytes(BAD[name])
    for command in (["check"], ["ticket", "list"], ["sla", "check"], ["queue"]):
        r = cli(*command, ok=False)
        assert r.exit_code == 1, (command, r.exit_code, r.stdout, r.stderr)
        assert "supportctl.yml:" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
        if "february" in name or "MM-DD" in name:   # issue 11: the file, the line and the key
            assert re.search(r"supportctl\.yml:\d+: calendars\.office\.holidays", r.stderr), r.stderr
