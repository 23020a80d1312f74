"""Fuzzing ticket files (issue 9): mutated sample tickets never give a traceback, a hang or a desk-wide failure.

Every mutated file is either refused by the one parser (reported with file,
line and hint; the index and the full parse agree) or read; a file that
`check` accepts must work in every command. The example count follows the
hypothesis profile (tests/conftest.py: dev by default, HYPOTHESIS_PROFILE=ci
for more); bench/fuzz_tickets.py runs the same checks for longer.
"""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.tickets import fuzzkit

EXAMPLES = settings().max_examples


# No hang: an alias bomb or runaway nesting takes minutes and gigabytes; a
# file here takes milliseconds, so 10 s only trips on a real blow-up.
@settings(max_examples=EXAMPLES * 3, deadline=timedelta(seconds=10), suppress_health_check=list(HealthCheck))
@given(case=fuzzkit.cases())
@example(case=(0, [("bytes", 0.0625, b"\t")]))   # `group\t: tier-2`: read, but refused by the writer's parser
def test_a_mutated_ticket_is_refused_or_works_everywhere(sample_template, case):
    """Library level, many examples: parse, index, check, SLA, lifecycle and a write of the one file."""
    fuzzkit.check_one_file(sample_template, case)


@settings(max_examples=max(3, EXAMPLES // 8), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=fuzzkit.cases())
def test_a_mutated_ticket_never_takes_down_the_desk(sample_template, tmp_path_factory, case):
    """Command level: every other ticket still lists, and a failed command writes nothing."""
    from tests.conftest import Cli

    root = fuzzkit.desk_copy(sample_template, tmp_path_factory)
    cli = Cli()
    name, data = fuzzkit.apply(sample_template, case)
    path = root / "tickets" / name
    path.write_bytes(data)
    others = len(list((root / "tickets").glob("*.md"))) - 1
    with fuzzkit.inside(root):
        listed = fuzzkit.run(cli, "ticket", "list", "--json", "--all")
        assert listed.exit_code == 0
        assert len([t for t in json.loads(listed.stdout) if t.get("path") != f"tickets/{name}"]) == others
        fuzzkit.run(cli, "queue", "--json")
        fuzzkit.run(cli, "sla", "check", "--fail-on", "never")
        before = path.read_bytes()
        noted = fuzzkit.run(cli, "ticket", "note", name[:-3], "-m", "fuzz", "--no-commit")
        if noted.exit_code != 0:
            assert path.read_bytes() == before                # a failed command wrote nothing
