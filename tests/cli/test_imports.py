"""`import chat|calls|github` end to end: tickets with one record per line, idempotent, all or nothing."""

from __future__ import annotations

import json

from tests.conftest import git
from tests.imports.test_parsers import CALLS, CHAT, ISSUE, comment


def commits(desk) -> int:
    return int(git(desk, "rev-list", "--count", "HEAD"))


def run(cli, *args: str, ok=True):
    result = cli("import", *args, "--json", ok=ok)
    return json.loads(result.stdout) if ok else result


def test_a_chat_import_makes_tickets_and_a_second_run_changes_nothing(desk, cli, tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text(CHAT)
    first = run(cli, "chat", str(path))
    assert [(r["source"], r["action"]) for r in first] == [("chat:w-1", "created"), ("chat:w-2", "created")]
    tid = first[0]["ticket"]
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert shown["channel"] == "chat" and shown["requester"] == {"name": "Judy", "social": "@judy_tweets"}
    text = (desk / "tickets" / f"{tid}.md").read_text()
    assert "source: chat:w-1" in text and text.count("### message") == 2
    before = commits(desk)
    assert [r["action"] for r in run(cli, "chat", str(path))] == ["unchanged", "unchanged"]
    assert commits(desk) == before
    # A transcript that grew adds only its new line.
    path.write_text(CHAT + json.dumps({"conversation": "w-1", "time": "2026-11-20T10:05:00Z", "author": "alice",
                                       "role": "agent", "text": "Fixed."}) + "\n")
    [one, two] = run(cli, "chat", str(path))
    assert (one["action"], two["action"]) == ("updated", "unchanged")
    assert (desk / "tickets" / f"{tid}.md").read_text().count("### message") == 3
    assert cli("check").exit_code == 0


def test_a_bad_line_anywhere_imports_nothing(desk, cli, tmp_path):
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(CHAT)
    bad.write_text(json.dumps({"conversation": "z", "author": "a@b.example", "text": "no time"}) + "\n")
    before = commits(desk)
    result = run(cli, "chat", str(good), str(bad), ok=False)
    assert result.exit_code == 2 and "bad.jsonl:1" in result.stderr and "no time" in result.stderr
    assert commits(desk) == before and [p.name for p in (desk / "tickets").glob("*.md")] == ["README.md"]


def test_calls_keep_their_duration_as_handle_time(desk, cli, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(CALLS)
    [first, second] = run(cli, "calls", str(path))
    text = (desk / "tickets" / f"{first['ticket']}.md").read_text()
    assert "channel: phone" in text and "handle_time: 432" in text and "call: CA-77 432s resolved" in text
    assert "### note" in text      # the agent's notes of the call
    assert [r["action"] for r in run(cli, "calls", str(path))] == ["unchanged", "unchanged"]


def test_github_issues_become_tickets_and_rerunning_only_updates(desk, cli, tmp_path):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("github:\n  maintainers: {alice-gh: alice}\n"
                 "mail:\n  address: support@desk.example\n  subject_tag: Test\n")
    git(desk, "commit", "-qam", "maintainers")
    issues, comments = tmp_path / "issues.json", tmp_path / "comments.json"
    issues.write_text(json.dumps([{**ISSUE, "state": "open"}]))
    comments.write_text(json.dumps([comment(5001, "alice-gh", "Looking.", "2026-11-20T11:00:00Z")]))
    [created] = run(cli, "github", str(issues), str(comments))
    tid = created["ticket"]
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert shown["requester"] == {"name": "octocat", "github": "octocat"} and shown["channel"] == "github"
    assert shown["tags"] == ["bug", "needs-triage"]
    # The maintainer's comment is an agent reply that went out on GitHub, not by mail.
    assert "alice (agent)" in (desk / "tickets" / f"{tid}.md").read_text()
    outbox = cli("mail", "outbox", "--json")
    assert json.loads(outbox.stdout) == [] and "not mailed" not in outbox.stderr
    comments.write_text(json.dumps([comment(5001, "alice-gh", "Looking.", "2026-11-20T11:00:00Z"),
                                    comment(5002, "octocat", "Thanks!", "2026-11-20T12:00:00Z")]))
    issues.write_text(json.dumps([{**ISSUE, "updated_at": "2026-11-20T13:00:00Z"}]))     # now closed
    [updated] = run(cli, "github", str(issues), str(comments))
    assert updated["ticket"] == tid and updated["action"] == "updated"
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert shown["status"] == "solved"
    assert (desk / "tickets" / f"{tid}.md").read_text().count("### message") == 3
    assert [r["action"] for r in run(cli, "github", str(issues), str(comments))] == ["unchanged"]
    # Decided on the index, not the file: an unchanged re-import reads no ticket, yet a label
    # added on GitHub, or the issue reopened, is still an update.
    issues.write_text(json.dumps([{**ISSUE, "labels": [*ISSUE["labels"], {"name": "p1"}]}]))
    assert [r["action"] for r in run(cli, "github", str(issues), str(comments))] == ["updated"]
    assert "p1" in json.loads(cli("ticket", "show", tid, "--json").stdout)["tags"]
    issues.write_text(json.dumps([{**ISSUE, "state": "open", "labels": [*ISSUE["labels"], {"name": "p1"}]}]))
    assert [r["action"] for r in run(cli, "github", str(issues), str(comments))] == ["updated"]
    assert json.loads(cli("ticket", "show", tid, "--json").stdout)["status"] == "open"
    assert [r["action"] for r in run(cli, "github", str(issues), str(comments))] == ["unchanged"]
    assert cli("check").exit_code == 0


def test_init_writes_a_workflow_that_imports_each_issue_event(desk, cli, tmp_path):
    import yaml

    flow = yaml.safe_load((desk / ".github/workflows/supportctl-issues.yml").read_text())
    events = flow[True] if True in flow else flow["on"]      # YAML 1.1 reads `on` as true
    assert set(events) == {"issues", "issue_comment"}
    runs = [s.get("run", "") for s in flow["jobs"]["import"]["steps"]]
    assert 'supportctl import github "$GITHUB_EVENT_PATH"' in runs
    # What the workflow does with an event: the payload file GitHub writes.
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "opened", "issue": {**ISSUE, "state": "open"},
                                 "repository": {"full_name": "Acme/app"}}))
    [created] = run(cli, "github", str(event))
    assert created["action"] == "created"
    # A comment on a pull request arrives as an issue_comment too: it is no support request.
    pr = {**ISSUE, "number": 99, "pull_request": {"url": "x"}}
    event.write_text(json.dumps({"action": "created", "issue": pr, "repository": {"full_name": "Acme/app"},
                                 "comment": {**comment(7, "x", "LGTM", "2026-11-20T12:00:00Z"),
                                             "issue_url": "https://api.github.com/repos/Acme/app/issues/99"}}))
    assert run(cli, "github", str(event)) == []


def test_reports_see_a_calls_handle_time(desk, cli, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(CALLS)
    [first, _] = run(cli, "calls", str(path))
    rows = json.loads(cli("report", "metrics", first["ticket"], "--json").stdout)
    assert [r["handle_time"] for r in rows] == [432]
