"""`report metrics|summary|build`, `ticket rate` and `customer rate` end to end on a real desk."""

from __future__ import annotations

import csv
import io
import json
import re

import yaml

from tests.cli.test_sla_plans import settle
from tests.conftest import git, new_ticket

MON = "2026-03-02T09:00:00+01:00"


def solved_ticket(cli, created: str = MON, reply: str = "2026-03-02T11:00:00+01:00",
                  solved: str = "2026-03-03T10:00:00+01:00", **kw) -> str:
    tid = new_ticket(cli, at=created, **kw)
    cli("ticket", "reply", tid, "-m", "Fixed it.", "--at", reply)
    cli("ticket", "status", tid, "solved", "--at", solved)
    return tid


def metrics_json(cli, *args) -> list[dict]:
    return json.loads(cli("report", "metrics", "--json", "--now", "2026-03-06T12:00:00+01:00", *args).stdout)


def test_metrics_json_has_each_time_in_calendar_and_business_seconds(desk, cli):
    tid = solved_ticket(cli)
    [m] = metrics_json(cli)
    assert m["id"] == tid and m["policy"] == "standard"
    assert m["first_reply_time"] == {"calendar": 7200, "business": 7200}
    assert m["full_resolution_time"] == {"calendar": 25 * 3600, "business": 10 * 3600}
    assert m["agent_wait_time"] == {"calendar": 0, "business": 0}
    assert (m["replies"], m["reopens"], m["one_touch"]) == (1, 0, True)
    assert m["sla"] == {"first_response": "met", "next_reply": "met", "resolution": "met"}
    sla = json.loads(cli("sla", "status", tid, "--json", "--now", "2026-03-06T12:00:00+01:00").stdout)[0]
    assert m["sla"] == {c: v["state"] for c, v in sla["clocks"].items()}    # a report and sla status agree


def test_metrics_csv_parses_with_the_csv_module(desk, cli):
    solved_ticket(cli, title='A "quoted", comma title')
    new_ticket(cli, at="2026-03-04T09:00:00+01:00")
    out = cli("report", "metrics", "--csv", "--now", "2026-03-06T12:00:00+01:00").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 and rows[0]["title"] == 'A "quoted", comma title'
    assert rows[0]["first_reply_time_business"] == "7200" and rows[1]["first_reply_time_business"] == ""
    assert rows[0]["one_touch"] == "true" and rows[0]["sla_first_response"] == "met"


def test_since_and_until_pick_tickets_by_creation_and_judge_the_desk_at_until(desk, cli):
    early = solved_ticket(cli)
    later = new_ticket(cli, at="2026-03-10T09:00:00+01:00")
    ids = [m["id"] for m in json.loads(cli("report", "metrics", "--json", "--since", "2026-03-09",
                                           "--now", "2026-03-12T09:00:00+01:00").stdout)]
    assert ids == [later]
    [m] = json.loads(cli("report", "metrics", "--json", "--until", "2026-03-02",
                         "--now", "2026-03-12T09:00:00+01:00").stdout)
    assert m["id"] == early and m["solved"] is False and m["full_resolution_time"] is None


def test_summary_json_table_markdown_and_csv(desk, cli):
    solved_ticket(cli)
    solved_ticket(cli, created="2026-03-03T09:00:00+01:00", reply="2026-03-03T10:00:00+01:00",
                  solved="2026-03-03T12:00:00+01:00", requester="Ola <ola@example.com>")
    cli("ticket", "assign", new_ticket(cli, at="2026-03-04T09:00:00+01:00"), "bob",
        "--at", "2026-03-04T09:05:00+01:00")
    now = ["--now", "2026-03-06T12:00:00+01:00"]
    data = json.loads(cli("report", "summary", "--json", "--by", "agent", *now).stdout)
    fig = data["overall"]
    assert (fig["tickets"], fig["solved"], fig["active"]) == (3, 2, 1)
    assert fig["fcr"]["pct"] == 100 and fig["reopen_rate"]["pct"] == 0
    assert fig["times"]["first_reply_time"]["business"]["median"] == 5400
    assert data["backlog"]["at_until"] == 1
    assert {g["key"] for g in data["groups"]} == {"(none)", "bob"}
    json.dumps(data, allow_nan=False)
    text = cli("report", "summary", *now).stdout
    assert "First-contact resolution: 100%" in text and "NaN" not in text
    md = cli("report", "summary", "--markdown", "--by", "week", *now).stdout
    assert md.startswith("## Support report") and "| 2026-W10 |" in md
    rows = list(csv.DictReader(io.StringIO(cli("report", "summary", "--csv", "--by", "channel", *now).stdout)))
    assert [r["group"] for r in rows] == ["(all)", "email"] and rows[0]["tickets"] == "3"


def test_a_period_with_no_tickets_says_so(desk, cli):
    solved_ticket(cli)
    args = ["--since", "2026-04-01", "--until", "2026-04-30", "--now", "2026-05-01T00:00:00+02:00"]
    text = cli("report", "summary", *args).stdout
    assert "No tickets were created in this period." in text and "NaN" not in text
    data = json.loads(cli("report", "summary", "--json", *args).stdout)
    assert data["empty"] and data["overall"]["csat"]["pct"] is None and data["nps"]["score"] is None
    assert cli("report", "summary", "--by", "colour", ok=False).exit_code == 2
    bad = cli("report", "summary", "--since", "2026-05-01", "--until", "2026-04-01", ok=False)
    assert bad.exit_code == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr


def test_rate_records_a_customer_event_and_front_matter_csat(desk, cli):
    tid = solved_ticket(cli)
    cli("ticket", "rate", tid, "bad", "--at", "2026-03-03T12:00:00+01:00")
    cli("ticket", "rate", tid, "good", "--comment", "Sorted\nin the end", "--at", "2026-03-03T13:00:00+01:00")
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert shown["csat"] == "good" and shown["status"] == "solved"
    event = shown["history"][-1]
    assert event["role"] == "customer" and event["author"] == "Dana Smith <dana@example.com>"
    assert {(c["field"], c["new"]) for c in event["changes"]} == {("csat", "good"), ("csat_comment", "Sorted in the end")}
    assert "Dana Smith" in git(desk, "log", "-1", "--format=%an")
    assert cli("check").exit_code == 0
    [m] = metrics_json(cli)
    assert m["csat"] == "good"
    wrong = cli("ticket", "rate", tid, "4", ok=False)
    assert wrong.exit_code == 2 and "hint:" in wrong.stderr


def test_a_five_point_desk_rates_1_to_5(desk, cli):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("csat: {scale: 5}\n")
    git(desk, "commit", "-qam", "5-point CSAT")
    a, b = solved_ticket(cli), solved_ticket(cli)
    cli("ticket", "rate", a, "4")
    cli("ticket", "rate", b, "3")
    assert cli("ticket", "rate", a, "good", ok=False).exit_code == 2
    csat = json.loads(cli("report", "summary", "--json").stdout)["overall"]["csat"]
    assert csat == {"ratings": 2, "satisfied": 1, "pct": 50}
    (desk / "supportctl.yml").write_text((desk / "supportctl.yml").read_text().replace("scale: 5", "scale: 7"))
    bad = cli("check", ok=False)
    assert bad.exit_code != 0 and "csat" in bad.stderr + bad.stdout


def test_customer_rate_appends_nps_answers_and_summary_counts_the_latest(desk, cli):
    cli("customer", "rate", "dana@example.com", "3", "--at", "2026-03-01T10:00:00+01:00")
    cli("customer", "rate", "Dana@example.com", "10", "--comment", "Great", "--at", "2026-03-05T10:00:00+01:00")
    cli("customer", "rate", "ola@example.com", "6", "--at", "2026-03-05T11:00:00+01:00")
    data = yaml.safe_load((desk / "customers" / "dana-example-com.yml").read_text())
    assert data["email"] == "dana@example.com" and [a["score"] for a in data["nps"]] == [3, 10]
    assert data["nps"][1]["comment"] == "Great"
    assert git(desk, "status", "--porcelain") == ""
    nps = json.loads(cli("report", "summary", "--json", "--now", "2026-03-06T00:00:00+01:00").stdout)["nps"]
    assert nps == {"responses": 2, "promoters": 1, "passives": 0, "detractors": 1, "score": 0}
    early = json.loads(cli("report", "summary", "--json", "--until", "2026-03-02").stdout)["nps"]
    assert early["score"] == -100
    assert "NPS: +0" in cli("report", "summary", "--now", "2026-03-06T00:00:00+01:00").stdout
    for bad in ("11", "-1", "x"):
        assert cli("customer", "rate", "dana@example.com", bad, ok=False).exit_code == 2
    assert cli("check").exit_code == 0


def test_nps_answers_kept_in_the_cache_follow_every_change_of_a_customer_file(desk, cli):
    import os
    import time

    def aged() -> None:   # past the racy window, as files are on a desk nobody touched this second
        past = time.time() - 60
        for path in (desk / "customers").glob("*.yml"):
            os.utime(path, (past, past))

    def nps() -> dict:
        return json.loads(cli("report", "summary", "--json", "--now", "2026-03-06T00:00:00+01:00").stdout)["nps"]

    cli("customer", "rate", "dana@example.com", "3", "--at", "2026-03-01T10:00:00+01:00")
    bad = desk / "customers" / "ola-example-com.yml"
    bad.write_text("email: ola@example.com\nnps: [{score: 12, at: 2026-03-01T10:00:00+01:00}]\n")
    aged()
    first = cli("report", "summary", "--json", "--now", "2026-03-06T00:00:00+01:00")
    assert (desk / ".supportctl" / "cache" / "nps.marshal").is_file()
    again = cli("report", "summary", "--json", "--now", "2026-03-06T00:00:00+01:00")
    assert again.stdout == first.stdout and again.stderr == first.stderr and "score 12" in again.stderr
    assert json.loads(again.stdout)["nps"]["score"] == -100
    path = desk / "customers" / "dana-example-com.yml"
    path.write_text(path.read_text().replace("score: 3", "score: 9"))
    aged()
    assert nps()["score"] == 100


def test_nps_never_follows_a_symbolic_link_in_customers(desk, cli, tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("email: secret@outside.example\nnps: [{score: 10, at: 2026-03-01T10:00:00+01:00}]\n")
    (desk / "customers").mkdir(exist_ok=True)
    (desk / "customers" / "dana-example-com.yml").symlink_to(outside)
    nps = json.loads(cli("report", "summary", "--json", "--now", "2026-03-06T00:00:00+01:00").stdout)["nps"]
    assert nps["responses"] == 0                       # the linked file was not read
    result = cli("customer", "rate", "dana@example.com", "3", ok=False)
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert outside.read_text().startswith("email: secret@outside.example")   # nothing written through it


def test_at_rev_gives_the_numbers_of_that_commit_after_later_changes(desk, cli):
    tid = solved_ticket(cli)
    rev = git(desk, "rev-parse", "HEAD").strip()
    now = ["--now", "2026-03-06T12:00:00+01:00"]
    before = cli("report", "summary", "--json", *now).stdout
    # Later: a reopening, a second reply, a new ticket, and an uncommitted edit in the work tree.
    cli("ticket", "message", tid, "-m", "It broke again", "--at", "2026-03-04T09:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Fixed again", "--at", "2026-03-04T10:00:00+01:00")
    new_ticket(cli, at="2026-03-05T09:00:00+01:00")
    (desk / "tickets" / f"{tid}.md").write_text("not a ticket any more")
    status = git(desk, "status", "--porcelain")
    assert cli("report", "summary", "--json", *now).stdout != before
    again = json.loads(cli("report", "summary", "--json", "--at", rev, *now).stdout)
    assert again.pop("revision") == rev and again == json.loads(before)
    [m] = json.loads(cli("report", "metrics", "--json", "--at", rev[:8], *now).stdout)
    assert m["reopens"] == 0 and m["replies"] == 1
    assert git(desk, "status", "--porcelain") == status       # the work tree is untouched
    bad = cli("report", "summary", "--at", "no-such-rev", ok=False)
    assert bad.exit_code == 2 and "not a commit" in bad.stderr


def test_at_rev_without_now_judges_the_desk_at_the_commit_time(desk, cli):
    new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    data = json.loads(cli("report", "summary", "--json", "--at", "HEAD").stdout)
    commit_time = git(desk, "log", "-1", "--format=%cI").strip()
    from datetime import datetime

    assert datetime.fromisoformat(data["now"]) == datetime.fromisoformat(commit_time)


def test_merged_tickets_count_once(desk, cli):
    a = solved_ticket(cli)
    b = new_ticket(cli, at="2026-03-02T10:00:00+01:00")
    cli("ticket", "merge", b, a, "--at", "2026-03-02T10:30:00+01:00")
    data = json.loads(cli("report", "summary", "--json").stdout)
    assert data["overall"]["tickets"] == 1
    assert [m["id"] for m in json.loads(cli("report", "metrics", "--json").stdout)] == [a]


def test_build_writes_a_dashboard_that_references_only_local_files(desk, cli, tmp_path):
    tid = solved_ticket(cli, title="<script>alert(1)</script> & more")
    cli("ticket", "rate", tid, "good", "--comment", "<b>bold</b> move")
    cli("customer", "rate", "dana@example.com", "9")
    out = tmp_path / "dash"
    cli("report", "build", "--out", out)
    html = (out / "index.html").read_text()
    assert "<script" not in html and "&lt;b&gt;bold&lt;/b&gt; move" in html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(not re.match(r"^[a-z]+:|^//", r) for r in refs), refs
    for ref in refs:
        assert (out / ref).is_file(), ref
    for svg in (out / "charts").glob("*.svg"):
        text = svg.read_text()
        assert "<script" not in text and not re.search(r'(?:href|src)="(?:https?:)?//', text)
    assert json.loads((out / "summary.json").read_text())["summary"]["overall"]["tickets"] == 1
    refused = cli("report", "build", "--out", desk / "kb" / "dash", ok=False)
    assert refused.exit_code == 2 and "public help site" in refused.stderr


def test_init_adds_a_scheduled_dashboard_workflow_that_uploads_an_artifact_and_never_deploys(tmp_path, cli):
    root = tmp_path / "acme"
    cli("init", root, "--name", "Acme Help", "--agent", "niamh")
    flow = yaml.safe_load((root / ".github" / "workflows" / "supportctl-reports.yml").read_text())
    on = flow.get("on", flow.get(True))             # YAML 1.1 reads the key `on` as True
    assert "schedule" in on
    steps = flow["jobs"]["dashboard"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert not any("pages" in u for u in uses) and flow["permissions"] == {"contents": "read"}
    assert any("supportctl report build" in s.get("run", "") for s in steps)


def test_a_broken_customer_file_is_a_warning_not_a_stop(desk, cli):
    cli("customer", "rate", "dana@example.com", "9")
    (desk / "customers" / "ola-example-com.yml").write_text("email: ola@example.com\nnps:\n  - {score: 12}\n")
    (desk / "customers" / "bad.yml").write_text("email: [unclosed\n")
    result = cli("report", "summary", "--json")
    assert json.loads(result.stdout)["nps"]["responses"] == 1
    assert "customers/ola-example-com.yml" in result.stderr and "score 12" in result.stderr
    assert "customers/bad.yml" in result.stderr


def test_cached_metrics_of_settled_tickets_follow_file_and_config_changes(desk, cli):
    tid = solved_ticket(cli)
    settle(desk)   # a file written in the last instants is not kept: it may change again unseen
    now = ["--now", "2026-03-06T12:00:00+01:00"]
    first = json.loads(cli("report", "metrics", "--json", *now).stdout)
    assert (desk / ".supportctl" / "cache" / "report-metrics.marshal").is_file()
    assert json.loads(cli("report", "metrics", "--json", *now).stdout) == first       # from the cache
    cli("ticket", "rate", tid, "bad", "--at", "2026-03-03T12:00:00+01:00")           # the file changes
    [m] = json.loads(cli("report", "metrics", "--json", *now).stdout)
    assert m["csat"] == "bad"
    cfg = desk / "supportctl.yml"
    cfg.write_text(cfg.read_text().replace("first_response: 4h", "first_response: 1h"))  # the config changes
    [m] = json.loads(cli("report", "metrics", "--json", *now).stdout)
    assert m["sla"]["first_response"] == "breached"
    [early] = json.loads(cli("report", "metrics", "--json", "--now", "2026-03-02T12:00:00+01:00").stdout)
    assert early["solved"] is False            # before its last record a settled ticket is evaluated again


def test_kept_metrics_of_open_tickets_are_carried_to_each_later_now(desk, cli):
    """An open ticket's metrics kept by one run answer later runs as a fresh evaluation would."""
    waiting = new_ticket(cli, at=MON)                                   # waits for its first reply
    held = new_ticket(cli, at=MON)
    cli("ticket", "reply", held, "-m", "Looking.", "--at", "2026-03-02T11:00:00+01:00")
    cli("ticket", "status", held, "pending", "--at", "2026-03-02T11:00:00+01:00")
    settle(desk)
    cache = desk / ".supportctl" / "cache" / "report-metrics.marshal"
    cli("report", "metrics", "--json", "--now", "2026-03-02T12:00:00+01:00")
    kept = cache.read_bytes()
    for now in ("2026-03-02T17:59:00+01:00", "2026-03-04T08:30:00+01:00", "2026-04-20T12:00:00+02:00"):
        carried = json.loads(cli("report", "metrics", "--json", "--now", now).stdout)
        assert cache.read_bytes() == kept                                # carried, not evaluated and kept again
        cache.unlink()
        fresh = json.loads(cli("report", "metrics", "--json", "--now", now).stdout)
        assert carried == fresh, now
        cache.write_bytes(kept)
    by_id = {m["id"]: m for m in carried}
    assert by_id[waiting]["sla"]["first_response"] == "breached"
    assert by_id[held]["agent_wait_time"]["calendar"] > 40 * 86400
    cli("ticket", "reply", waiting, "-m", "Sorry!", "--at", "2026-04-20T12:00:00+02:00")   # the file changes
    [m] = [m for m in json.loads(cli("report", "metrics", "--json", "--now", "2026-04-21T12:00:00+02:00").stdout)
           if m["id"] == waiting]
    assert m["replies"] == 1


def test_a_report_on_an_unchanged_desk_needs_no_index_and_a_fresh_file_is_not_kept(desk, cli):
    """Kept metrics answer under each file's key: with nothing changed the index is not even read;
    a file written in the last instants (it may change again unseen by its key) is evaluated, not kept."""
    solved_ticket(cli)
    open_one = new_ticket(cli, at=MON)
    settle(desk)
    cache = desk / ".supportctl" / "cache"
    first = metrics_json(cli)
    for name in ("tickets.marshal", "timelines.marshal"):
        (cache / name).unlink()
    assert metrics_json(cli) == first
    assert not (cache / "tickets.marshal").exists()
    cli("ticket", "reply", open_one, "-m", "On it.", "--at", "2026-03-04T10:00:00+01:00")
    kept = (cache / "report-metrics.marshal").read_bytes()
    assert {m["id"]: m["replies"] for m in metrics_json(cli)}[open_one] == 1
    assert (cache / "report-metrics.marshal").read_bytes() == kept      # racy: evaluated, not kept
    settle(desk)
    assert {m["id"]: m["replies"] for m in metrics_json(cli)}[open_one] == 1
    assert (cache / "report-metrics.marshal").read_bytes() != kept


def test_kept_metrics_of_another_shape_are_evaluated_afresh(desk, cli):
    """A metrics file marshal reads under the right key but with entries this version did not write
    (an older layout, a hand edit) means evaluating those tickets again, never a traceback."""
    import marshal

    solved_ticket(cli)
    new_ticket(cli, at=MON)
    settle(desk)
    want = metrics_json(cli)
    path = desk / ".supportctl" / "cache" / "report-metrics.marshal"
    key, kept = marshal.loads(path.read_bytes())
    odd_entries = [lambda e: "junk", lambda e: e[:3], lambda e: (e[0], "later", e[2], e[3]),
                   lambda e: (e[0], e[1], ("x",), e[3]), lambda e: (e[0], e[1], e[2][:5], e[3]),
                   lambda e: (e[0], e[1], e[2], ("x",)), lambda e: (e[0], e[1], e[2], (e[1], "no wait", None, ()))]
    for odd in odd_entries:
        path.write_bytes(marshal.dumps((key, {rel: odd(entry) for rel, entry in kept.items()})))
        assert metrics_json(cli) == want


def test_at_rev_reads_a_desk_in_a_sub_folder_of_the_repository(tmp_path, cli):
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "code.py").write_text("print('hi')\n")
    git(repo, "add", "code.py")
    git(repo, "commit", "-qm", "code")
    desk = repo / "support"
    cli("init", desk, "--timezone", "UTC", "--agent", "alice")
    tid = cli("-C", desk, "ticket", "new", "--title", "Hi", "--from", "a@b.example", "-m", "Hello", "--as", "alice",
              "--at", "2026-03-02T09:00:00+00:00").stdout.strip()
    rev = git(repo, "rev-parse", "HEAD").strip()
    cli("-C", desk, "ticket", "reply", tid, "-m", "Hi!", "--as", "alice", "--at", "2026-03-02T10:00:00+00:00")
    [m] = json.loads(cli("-C", desk, "report", "metrics", "--json", "--at", rev,
                         "--now", "2026-03-03T00:00:00+00:00").stdout)
    assert m["id"] == tid and m["replies"] == 0
