"""A command killed between writing and committing: the next writer commits that change under its own name."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

from tests.conftest import git, new_ticket

KILLER = """
import os, signal, sys
from supportctl.desk import git
from supportctl.desk.store import Desk

def die(*args, **kwargs):          # the moment after the files are written, before git commits
    os.kill(os.getpid(), signal.SIGKILL)

git.commit = die
d = Desk(sys.argv[1])
with d.lock():
    path = "tickets/" + sys.argv[2] + ".md"
    text = open(path, encoding="utf-8").read() + "\\nInterrupted change.\\n"
    d.commit_files({path: text}, "ticket " + sys.argv[2] + ": the interrupted change", author=("Bob Brown", "bob@desk.example"))
"""


def test_an_interrupted_commit_is_finished_under_its_own_name(desk, cli):
    ticket = new_ticket(cli, title="Interrupted")
    proc = subprocess.run([sys.executable, "-c", KILLER, str(desk), ticket], cwd=desk)
    assert proc.returncode == -signal.SIGKILL
    assert "Interrupted change." in (desk / "tickets" / f"{ticket}.md").read_text()
    assert git(desk, "status", "--porcelain", "tickets")                 # written, not committed
    cli("ticket", "note", ticket, "-m", "Alice's own note")              # the next writer
    log = git(desk, "log", "-3", "--format=%an|%s").splitlines()
    assert log[0] == f"Alice Adams|ticket {ticket}: note by alice"
    assert log[1] == f"Bob Brown|ticket {ticket}: the interrupted change"
    own = git(desk, "show", "HEAD", "--format=", "--", f"tickets/{ticket}.md")
    added = [line for line in own.splitlines() if line.startswith("+")]
    assert not any("Interrupted change." in line for line in added)       # not under Alice's name
    assert git(desk, "status", "--porcelain", "tickets") == ""
    assert not (desk / ".supportctl" / "commit-intent.json").exists()
    assert json.loads(cli("ticket", "show", ticket, "--json").stdout)["id"] == ticket


BATCH_KILLER = """
import os, signal, sys
from supportctl.desk.store import Desk

d = Desk(sys.argv[1])
with d.lock():
    batch = d.batch("mail: an import that was interrupted", ("supportctl", "supportctl@example.com"))
    batch.write({"mail/AAAAAA/one.eml": b"first"})
    batch.write({"mail/AAAAAA/two.eml": b"second"})
    os.kill(os.getpid(), signal.SIGKILL)     # killed before the one commit of the run
"""


def test_a_long_run_killed_before_its_commit_is_committed_by_the_next_writer(desk, cli):
    ticket = new_ticket(cli, title="Unrelated")
    proc = subprocess.run([sys.executable, "-c", BATCH_KILLER, str(desk)], cwd=desk)
    assert proc.returncode == -signal.SIGKILL
    cli("ticket", "note", ticket, "-m", "next writer")
    log = git(desk, "log", "-2", "--format=%an|%s").splitlines()
    assert log[1] == "supportctl|mail: an import that was interrupted"
    files = git(desk, "show", "--format=", "--name-only", "HEAD~1").split()
    assert files == ["mail/AAAAAA/one.eml", "mail/AAAAAA/two.eml"]
    assert git(desk, "status", "--porcelain") == ""
