"""`automations:` is validated strictly: errors name the file, the line and the key."""

from __future__ import annotations

import pytest

from tests.automation.conftest import add_config


@pytest.mark.parametrize("rules, expect", [
    ("  - {name: a, when: created, do: {colour: red}}", "unknown key 'automations.0.do.colour'"),
    ("  - {name: a, when: created, iff: {}, do: {priority: high}}", "unknown key 'automations.0.iff'"),
    ("  - {name: a, when: opened, do: {priority: high}}", "unknown event 'opened'"),
    ("  - {name: a, when: created, do: {group: nowhere}}", "group 'nowhere' is not defined"),
    ("  - {name: a, when: created, do: {status: limbo}}", "state 'limbo' is not defined"),
    ("  - {name: a, when: created, do: {assign: zed}}", "agent 'zed' is not defined"),
    ("  - {name: a, when: created, do: {assign: {round_robin: nowhere}}}", "group 'nowhere' is not defined"),
    ("  - {name: a, when: created, if: {status: limbo}, do: {priority: high}}", "state 'limbo' is not defined"),
    ("  - {name: a, when: created, if: {priority: huge}, do: {priority: high}}", "unknown priority 'huge'"),
    ("  - {name: a, when: created, if: {requester: 'customers:nobody'}, do: {priority: high}}",
     "customer list 'nobody' is not defined"),
    ("  - {name: a, when: {status: pending}, do: {priority: high}}", "needs `after`"),
    ("  - {name: a, when: {status: pending, after: soon}, do: {priority: high}}", "automations.0.when"),
    ("  - {name: a, when: {after: 3d}, do: {priority: high}}", "say what the time counts from"),
    ("  - {name: a, when: {sla: next_reply}, do: {priority: high}}", "needs `before`"),
    ("  - {name: a, when: {status: pending, after: 3d, time: business, calendar: moon}, do: {priority: high}}",
     "calendar 'moon' is not defined"),
    ("  - {name: a, when: created, do: {}}", "the rule does nothing"),
    ("  - {name: a, when: created, do: {reply: ../../etc/passwd}}", "may not contain '..'"),
    ("  - {name: a, when: created, do: {priority: high}}\n  - {name: a, when: created, do: {priority: low}}",
     "names must be unique"),
    ("  - {name: 'two words', when: created, do: {priority: high}}", "must be one word"),
])
def test_a_broken_rule_is_a_config_error_with_its_line(desk, cli, rules, expect):
    add_config(desk, "automations:\n" + rules + "\n")
    r = cli("check", ok=False)
    assert r.exit_code == 1
    assert expect in r.stderr
    first = next(line for line in r.stderr.splitlines() if line.startswith("error:"))
    line = int(first.split("supportctl.yml:", 1)[1].split(":", 1)[0])
    text = (desk / "supportctl.yml").read_text().splitlines()
    assert text.index("automations:") < line <= len(text)


def test_the_sample_desk_rules_are_valid_and_check_clean(cli, monkeypatch):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    r = cli("check")
    assert "no problems" in r.stderr
    from supportctl.config.model import load_config

    config = load_config(root / "supportctl.yml")
    assert len([r for r in config.automations if r.is_event]) >= 5
    assert {r.name for r in config.automations} >= {"bump-pending", "bump-pending-again", "solve-pending",
                                                    "check-in-premium", "onboarding-day-1", "next-reply-warning"}
