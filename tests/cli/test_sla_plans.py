"""SLA results carried between runs (services/sla.py keeps each unchanged ticket's plan): the same answers as a fresh
evaluation, and a change to a file, the config or the customers is seen at once."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import time
from pathlib import Path

import yaml

from supportctl.services.sla import PLANS_FILE
from tests.cli.test_sla import ESCALATE, at, commits
from tests.conftest import TEST_CONFIG, git, new_ticket

# After the last record (11:00): across the lunch close, the first deadline (13:00), days and months on.
LATER = [at(2, "11:30"), at(2, "12:59"), at(2, "13:00"), "2026-03-02T13:00:01+01:00", at(2, "16:45"),
         at(3, "09:00"), at(20, "17:59"), "2026-09-01T08:00:00+02:00"]


def settle(desk: Path) -> None:
    """Age every ticket file past the racy window, as on a desk where nothing was written in the last seconds."""
    past = time.time() - 60
    for path in (desk / "tickets").glob("*.md"):
        os.utime(path, (past, past))


def plans(desk: Path) -> dict:
    """The saved plans: path -> (file key, category, made at, history from, plan or None, fired)."""
    data = (desk / ".supportctl" / "cache" / PLANS_FILE).read_bytes()
    _, _, rels, columns = marshal.loads(data)[1]
    return dict(zip(rels, zip(*columns)))


def status(cli, *args: str) -> list[dict]:
    return json.loads(cli("sla", "status", "--all", "--json", *args).stdout)


def fresh(desk: Path, cli, now: str) -> list[dict]:
    """What a run with no saved plans says at `now` (and leaves the plans it saves in place)."""
    path = desk / ".supportctl" / "cache" / PLANS_FILE
    kept = path.read_bytes()
    path.unlink()
    try:
        return status(cli, "--now", now)
    finally:
        path.write_bytes(kept)


def a_desk_in_every_state(desk: Path, cli) -> list[str]:
    waiting = new_ticket(cli, at=at(2, "09:00"))
    answered = new_ticket(cli, at=at(2, "09:05"))
    cli("ticket", "reply", answered, "-m", "On it", "--at", at(2, "09:30"))
    paused = new_ticket(cli, at=at(2, "09:10"))
    cli("ticket", "reply", paused, "-m", "Which version?", "--status", "pending", "--at", at(2, "09:40"))
    solved = new_ticket(cli, at=at(2, "09:15"))
    cli("ticket", "reply", solved, "-m", "Fixed", "--status", "solved", "--at", at(2, "11:00"))
    urgent = new_ticket(cli, "--priority", "urgent", at=at(2, "09:20"))
    return [waiting, answered, paused, solved, urgent]


def test_carried_results_are_what_a_fresh_evaluation_says(desk, cli, keys_by):
    tids = a_desk_in_every_state(desk, cli)
    settle(desk)
    status(cli, "--now", at(2, "11:30"))            # evaluates every ticket and saves their plans
    saved = plans(desk)
    assert sorted(saved) == sorted(f"tickets/{t}.md" for t in tids)
    assert all(entry[4] is not None for entry in saved.values())
    for now in LATER:
        carried = status(cli, "--now", now)
        assert plans(desk) == saved                    # carried: nothing evaluated again
        assert carried == fresh(desk, cli, now), now
    # The queue and the check read the same plans.
    queue = cli("queue", "--json", "--now", at(3, "09:00")).stdout
    check = cli("sla", "check", "--json", "--fail-on", "never", "--now", at(3, "09:00")).stdout
    shutil.rmtree(desk / ".supportctl" / "cache")
    assert cli("queue", "--json", "--now", at(3, "09:00")).stdout == queue
    assert cli("sla", "check", "--json", "--fail-on", "never", "--now", at(3, "09:00")).stdout == check


def test_plans_saved_under_gits_word_are_carried_whole_until_a_file_or_a_category_asks_otherwise(
        desk, cli, monkeypatch):
    """On a big desk git vouches for every file: equal tokens of the file keys and bounds that hold
    let a run carry every plan without looking at them one by one, and nothing else changes."""
    from supportctl.sla import plan

    monkeypatch.setattr("supportctl.desk.filekeys.GIT_FROM", 0)
    asked = []
    usable = plan.usable
    monkeypatch.setattr(plan, "usable", lambda *a: asked.append(a) or usable(*a))
    tids = a_desk_in_every_state(desk, cli)
    settle(desk)
    git(desk, "update-index", "-q", "--refresh")       # git's stat cache as after a checkout: it vouches
    cli("sla", "check", "--fail-on", "never", "--now", at(2, "12:00"))   # the solved ticket gets no plan
    assert marshal.loads((desk / ".supportctl" / "cache" / PLANS_FILE).read_bytes())[1][0] is not None
    solved = f"tickets/{tids[3]}.md"
    assert plans(desk)[solved][4] is None
    check = cli("sla", "check", "--json", "--fail-on", "never", "--now", at(3, "09:00")).stdout
    asked.clear()
    assert cli("sla", "check", "--json", "--fail-on", "never", "--now", at(3, "09:00")).stdout == check
    assert len(asked) == 1                               # carried whole
    # `status --all` looks at the solved ticket too: it has no plan, so every entry is looked at.
    assert status(cli, "--now", at(3, "09:00")) == fresh(desk, cli, at(3, "09:00"))
    assert plans(desk)[solved][4] is not None
    for now in LATER[3:]:
        asked.clear()
        assert status(cli, "--now", now) == fresh(desk, cli, now), now
    assert len(asked) == 1
    # A reply, committed: its key changes, and so does the token.
    cli("ticket", "reply", tids[0], "-m", "On it", "--at", at(3, "09:30"))
    settle(desk)
    git(desk, "update-index", "-q", "--refresh")
    replied = {t["id"]: t for t in status(cli, "--now", at(3, "10:00"))}[tids[0]]
    assert replied["clocks"]["first_response"]["state"] in ("met", "breached")
    assert replied["clocks"]["first_response"]["stopped"] is not None
    assert status(cli, "--now", at(3, "10:00")) == fresh(desk, cli, at(3, "10:00"))
    # Before the plans were made: every entry looked at, and the past evaluated, not carried backwards.
    asked.clear()
    assert status(cli, "--now", at(2, "12:30")) == fresh(desk, cli, at(2, "12:30"))
    assert len(asked) > 1


def test_a_hand_edit_a_config_change_and_an_earlier_now_are_seen(desk, cli, keys_by):
    tid = new_ticket(cli, at=at(2, "09:00"))
    settle(desk)
    before = status(cli, "--now", at(2, "10:00"))[0]["clocks"]["first_response"]
    assert before["due"] == "2026-03-02T12:00:00+00:00" and plans(desk)
    # A reply written by hand: the file changed, so it is evaluated again.
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text() + "\n### message hand0001 · 2026-03-02T09:30:00+01:00 · alice (agent)\n\nOn it.\n")
    settle(desk)
    assert status(cli, "--now", at(2, "10:00"))[0]["clocks"]["first_response"]["state"] == "met"
    # The calendar changes: every plan is dropped.
    (desk / "supportctl.yml").write_text(TEST_CONFIG.replace('mon: ["08:00-13:00", "14:00-18:00"]',
                                                             'mon: ["08:00-10:00"]'))
    assert status(cli, "--now", at(2, "10:00"))[0]["clocks"]["resolution"]["due"] == fresh(
        desk, cli, at(2, "10:00"))[0]["clocks"]["resolution"]["due"]
    # A replay before the plan was made is evaluated, not carried backwards.
    assert status(cli, "--now", at(2, "09:10"))[0]["clocks"]["first_response"]["state"] == "running"


def test_a_file_in_the_racy_window_is_not_planned(desk, cli):
    new_ticket(cli, at=at(2, "09:00"))
    status(cli, "--now", at(2, "10:00"))
    assert plans(desk) == {}


def test_a_check_plans_only_what_it_looks_at_and_status_fills_in_the_rest(desk, cli):
    tids = a_desk_in_every_state(desk, cli)
    settle(desk)
    cli("sla", "check", "--fail-on", "never", "--now", at(2, "12:00"))
    saved = plans(desk)
    solved = f"tickets/{tids[3]}.md"
    assert saved[solved][4] is None and saved[solved][1] == "solved"       # not evaluated by the check
    assert all(entry[4] is not None for rel, entry in saved.items() if rel != solved)
    by_id = {t["id"]: t for t in status(cli, "--now", at(2, "12:00"))}
    assert by_id[tids[3]]["clocks"]["resolution"]["state"] == "met"
    assert plans(desk)[solved][4] is not None


def test_escalations_from_carried_results_fire_once(desk, cli, keys_by):
    config = yaml.safe_load(TEST_CONFIG)
    config["sla"]["policies"][1]["escalate"] = ESCALATE
    (desk / "supportctl.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (desk / "templates" / "escalation.md").write_text("SLA {{ state }} on {{ clock }} for {{ ticket.id }}.\n")
    git(desk, "add", "-A")
    git(desk, "commit", "-qm", "escalation rules")
    tid = new_ticket(cli, at=at(2, "09:00"))
    settle(desk)
    cli("sla", "check", "--fail-on", "never", "--now", at(2, "10:00"))       # plans saved, nothing due
    before = commits(desk)
    warned = cli("sla", "check", "--escalate", "--now", at(2, "12:45"))      # from the plan: the warning fires
    assert f"{tid}: escalated standard/first_response/warning" in warned.stderr
    assert commits(desk) == before + 1
    settle(desk)
    cli("sla", "check", "--fail-on", "never", "--now", at(2, "12:46"))       # planned again, the firing recorded
    assert plans(desk)[f"tickets/{tid}.md"][5] == ("standard/first_response/warning",)
    again = cli("sla", "check", "--escalate", "--now", at(2, "12:50"))
    assert "0 escalations applied" in again.stderr and commits(desk) == before + 1
    breach = json.loads(cli("sla", "check", "--escalate", "--json", "--now", at(2, "14:30"), ok=False).stdout)
    assert [e["key"] for e in breach["escalations"]] == ["standard/first_response/breached"]
    assert commits(desk) == before + 2


def test_code_counts_by_an_installed_builds_record_and_by_stat_in_a_checkout(tmp_path):
    """A CI runner installs supportctl afresh each run: the same build must keep the saved plans
    (its RECORD is the same), while an edit of a checkout (no RECORD) must drop them."""
    import os

    from supportctl.services.fingerprint import code_digest

    package = tmp_path / "site" / "supportctl"
    (package / "sla").mkdir(parents=True)
    source = package / "sla" / "engine.py"
    source.write_text("x = 1\n")
    checkout = code_digest(package, "1.0", ("sla",))
    os.utime(source, ns=(1, 1))
    assert code_digest(package, "1.0", ("sla",)) != checkout
    record = package.parent / "supportctl-1.0.dist-info" / "RECORD"
    record.parent.mkdir()
    record.write_text("supportctl/sla/engine.py,sha256=abc,6\n")
    installed = code_digest(package, "1.0", ("sla",))
    os.utime(source, ns=(2, 2))                      # installed again: new stats, same build
    assert code_digest(package, "1.0", ("sla",)) == installed
    record.write_text("supportctl/sla/engine.py,sha256=def,6\n")   # another build
    assert code_digest(package, "1.0", ("sla",)) != installed
    assert code_digest(package, "1.1", ("sla",)) != installed      # another version: its own RECORD or none


def test_every_module_a_carried_result_or_a_cached_metric_comes_from_is_in_its_fingerprint():
    """An editable checkout counts code by the stat of the files listed: a module the SLA engine or the
    metrics import (say one split out of another) must be among them, or its edit keeps stale results."""
    import subprocess
    import sys
    from pathlib import Path

    import supportctl
    from supportctl.services.reports import CACHE_CODE
    from supportctl.services.sla import PLANS_CODE

    package = Path(supportctl.__file__).parent
    for code, modules in ((PLANS_CODE, "supportctl.services.sla supportctl.sla.engine supportctl.sla.plan "
                                       "supportctl.sla.escalation supportctl.tickets.replay supportctl.tickets.index "
                                       "supportctl.tickets.payload"),
                          (CACHE_CODE, "supportctl.reports.metrics supportctl.sla.engine supportctl.tickets.rating "
                                       "supportctl.sla.timeline")):
        loaded = subprocess.run(
            [sys.executable, "-c", "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
             "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith(('supportctl.sla', "
             "'supportctl.tickets')) and getattr(m, '__file__', None)))", *modules.split()],
            capture_output=True, text=True, check=True).stdout.split()
        for file in loaded:
            rel = Path(file).relative_to(package).as_posix()
            if rel.endswith("__init__.py"):
                continue
            assert any(rel == c or rel.startswith(c + "/") for c in code), (rel, code)


def test_saved_plans_of_another_shape_are_evaluated_afresh(desk, cli, keys_by):
    """A plans file marshal reads but that is not what this version saves (an older layout, a file
    written by hand under the same key) means evaluating again, never a traceback."""
    a_desk_in_every_state(desk, cli)
    settle(desk)
    git(desk, "update-index", "-q", "--refresh")       # on a big desk, git vouches: plans carried whole
    want = status(cli, "--now", at(3, "09:00"))
    path = desk / ".supportctl" / "cache" / PLANS_FILE
    key, value = marshal.loads(path.read_bytes())
    token, bounds, rels, columns = value
    for odd in [{}, (token, bounds, {}), (token, bounds, rels, columns[:5]), (token, bounds, rels + ["x"], columns),
                (token, (1, 2), rels, columns), (token, bounds, rels, tuple(tuple(c) for c in columns))]:
        path.write_bytes(marshal.dumps((key, odd)))
        assert status(cli, "--now", at(3, "09:00")) == want, odd


def test_a_desk_with_no_tickets_yet_checks_and_queues_from_its_first_run_on(desk, cli):
    """No plans file and no ticket: nothing to carry, an empty answer (the first run on a new desk)."""
    assert not (desk / ".supportctl" / "cache" / PLANS_FILE).exists()
    assert json.loads(cli("sla", "check", "--json").stdout)["checked"] == 0
    assert json.loads(cli("queue", "--json").stdout) == []
    assert status(cli) == []
