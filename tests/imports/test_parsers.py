"""Chat transcripts, call logs and GitHub JSON: parsed into conversations, or refused naming file and line."""

from __future__ import annotations

import json

import pytest

from supportctl.errors import SupportctlError
from supportctl.imports.github import collect, conversations
from supportctl.imports.transcripts import parse_calls_csv, parse_jsonl


def jsonl(*items: dict) -> str:
    return "\n".join(json.dumps(i) for i in items) + "\n"


CHAT = jsonl(
    {"conversation": "w-1", "time": "2026-11-20T10:00:00Z", "author": "Judy <@judy_tweets>", "role": "customer",
     "text": "My invoice has the wrong VAT number"},
    {"conversation": "w-1", "time": "2026-11-20T10:01:00Z", "author": "alice", "role": "agent", "text": "Which one?"},
    {"conversation": "w-2", "time": "2026-11-20T11:00:00Z", "author": "sam@acme.example", "text": "Export?",
     "title": "How to export"},
)


def test_a_chat_transcript_is_one_conversation_per_id_with_one_line_per_message():
    one, two = parse_jsonl(CHAT, "chat.jsonl")
    assert (one.source, one.channel, one.requester, one.title) == \
        ("chat:w-1", "chat", "Judy <@judy_tweets>", "My invoice has the wrong VAT number")
    assert [(line.role, line.author) for line in one.lines] == [("customer", "Judy <@judy_tweets>"),
                                                                ("agent", "alice")]
    assert (two.title, two.requester) == ("How to export", "sam <sam@acme.example>")
    # The same line read again has the same identity.
    assert [line.key for line in parse_jsonl(CHAT, "chat.jsonl")[0].lines] == [line.key for line in one.lines]


@pytest.mark.parametrize("line, message", [
    ({"conversation": "w", "author": "a@b.example", "text": "x"}, "no time"),
    ({"conversation": "w", "time": "2026-11-20T10:00:00", "author": "a@b.example", "text": "x"}, "no UTC offset"),
    ({"time": "2026-11-20T10:00:00Z", "author": "a@b.example", "text": "x"}, "no conversation id"),
    ({"conversation": "w", "time": "2026-11-20T10:00:00Z", "author": "a@b.example", "role": "bot", "text": "x"},
     "unknown role"),
    ({"conversation": "w", "time": "2026-11-20T10:00:00Z", "author": "nobody", "text": "x"}, "no email address"),
])
def test_a_bad_transcript_line_is_an_error_naming_file_and_line(line, message):
    text = CHAT + json.dumps(line) + "\n"
    with pytest.raises(SupportctlError) as err:
        parse_jsonl(text, "chat.jsonl")
    assert err.value.path == "chat.jsonl" and err.value.line == 4 and message in err.value.message
    assert err.value.hint


CALLS = """call_id,time,caller,agent,duration,outcome,direction,notes
CA-77,2026-11-21T09:00:00+00:00,+353 87 123 4567,alice,432,resolved,inbound,Reset the password
CA-78,2026-11-21T09:30:00+00:00,Sean <+44 20 7946 0958>,bob,7m12s,callback,outbound,
"""


def test_a_call_log_keeps_each_calls_duration_and_outcome():
    first, second = parse_calls_csv(CALLS, "calls.csv")
    assert (first.source, first.channel, first.requester, first.duration) == \
        ("call:CA-77", "phone", "+353871234567", 432)
    assert first.calls[0][2:] == (432, "resolved")
    assert first.lines[0].internal and first.lines[0].text.startswith("Phone call (inbound, 7m12s, resolved)")
    assert second.duration == 432 and second.requester == "Sean <+442079460958>"


def test_a_call_log_without_a_needed_column_says_which():
    with pytest.raises(SupportctlError) as err:
        parse_calls_csv("call_id,time,caller\nx,2026-11-21T09:00:00Z,+353871234567\n", "calls.csv")
    assert "no agent, duration, outcome column" in err.value.message and err.value.line == 1


ISSUE = {"id": 1001, "number": 12, "title": "Export crashes", "body": "At 1,000 rows.", "user": {"login": "octocat"},
         "labels": [{"name": "bug"}, {"name": "Needs Triage"}], "state": "closed",
         "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T12:00:00Z",
         "url": "https://api.github.com/repos/Acme/app/issues/12",
         "repository_url": "https://api.github.com/repos/Acme/app"}
PR = {**ISSUE, "id": 1002, "number": 13, "pull_request": {}}


def comment(cid: int, login: str, body: str, at: str) -> dict:
    return {"id": cid, "issue_url": "https://api.github.com/repos/Acme/app/issues/12", "user": {"login": login},
            "body": body, "created_at": at}


def test_github_issues_and_comments_map_onto_requester_replies_tags_and_status():
    issues = json.dumps([ISSUE, PR]) + json.dumps([])          # gh --paginate concatenates pages
    comments = json.dumps([comment(5001, "Alice-GH", "Looking.", "2026-11-20T11:00:00Z"),
                           comment(5002, "octocat", "Any news?", "2026-11-20T12:00:00Z"),
                           comment(5003, "someone", "Me too", "2026-11-20T12:30:00Z")])
    [conv] = conversations(collect([("issues.json", issues), ("comments.json", comments)]),
                           {"alice-gh": "alice"})
    assert (conv.source, conv.requester, conv.channel) == ("github:acme/app#12", "octocat <github:octocat>", "github")
    assert [(line.key, line.role, line.author) for line in conv.lines] == [
        ("issue-1001", "customer", "octocat <github:octocat>"), ("comment-5001", "agent", "alice"),
        ("comment-5002", "customer", "octocat <github:octocat>"),
        ("comment-5003", "customer", "someone <github:someone>")]
    assert conv.tags == ["bug", "needs-triage"] and conv.status == "solved"


def test_webhook_payloads_are_read_one_a_line():
    hooks = "\n".join(json.dumps(p) for p in [
        {"action": "opened", "issue": {**ISSUE, "state": "open"}, "repository": {"full_name": "Acme/app"}},
        {"action": "created", "issue": ISSUE, "comment": comment(5002, "octocat", "Any news?", "2026-11-20T12:00:00Z"),
         "repository": {"full_name": "Acme/app"}},
    ])
    [conv] = conversations(collect([("hooks.jsonl", hooks)]), {})
    assert [line.key for line in conv.lines] == ["issue-1001", "comment-5002"] and conv.status == "solved"


def test_a_github_payload_with_fields_missing_is_refused_naming_the_file_and_line():
    broken = {k: v for k, v in ISSUE.items() if k != "created_at"}
    with pytest.raises(SupportctlError) as err:
        collect([("issues.json", "\n" + json.dumps([broken]))])
    assert err.value.path == "issues.json" and err.value.line == 2 and "has no created_at" in err.value.message
    with pytest.raises(SupportctlError) as err:
        collect([("comments.json", json.dumps([comment(1, "x", "y", "2026-11-20T12:00:00Z")]))])
    assert "not in the files given" in err.value.message


def test_calls_that_share_a_conversation_go_on_one_ticket():
    text = CALLS.replace("direction,notes", "direction,notes,conversation").replace(
        "Reset the password", "Reset the password,pw").replace("outbound,\n", "outbound,,pw\n")
    [conv] = parse_calls_csv(text, "calls.csv")
    assert conv.source == "call:pw" and conv.duration == 864 and [c[0] for c in conv.calls] == ["CA-77", "CA-78"]
