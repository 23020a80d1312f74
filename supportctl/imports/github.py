"""GitHub issues and comments as the REST API returns them (docs/channels.md), into conversations.

Reads any mix of:
- `gh api --paginate repos/OWNER/REPO/issues` output (JSON arrays, possibly concatenated);
- `gh api --paginate repos/OWNER/REPO/issues/comments` (or one issue's comments);
- webhook payloads (`issues` and `issue_comment` events), one a file or one a line.

The issue author is the requester (`github:login`); the issue body and the
author's comments are customer messages; comments by maintainers are agent
replies; anyone else's comment is kept as a customer-side message under their
own login. Labels become tags; a closed issue is solved. Every record's id is
derived from GitHub's id, so importing again adds only what is new.
"""

from __future__ import annotations

import json
import re
from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.base.timeutil import parse_timestamp
from supportctl.errors import SupportctlError, UsageError
from supportctl.imports.model import Conversation, Line

_ISSUE_URL = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)$")


@datatype
class Issue:
    """A GitHub issue as read from an export, with its comments by id."""

    repo: str
    number: int
    data: dict[str, Any]
    where: str
    comments: dict[int, tuple[dict[str, Any], str]] = field(default_factory=dict)


def json_values(text: str, path: str) -> list[tuple[Any, str]]:
    """Every JSON value in a file: one document, concatenated arrays (`gh --paginate`), or JSON Lines."""
    decoder = json.JSONDecoder()
    out, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return out
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise UsageError(f"not valid JSON ({exc.msg})", path=path, line=text.count("\n", 0, exc.pos) + 1,
                                  hint="give the output of gh api --paginate, or webhook payloads") from None
        out.append((value, f"{path}:{line}"))


def _need(obj: Any, keys: tuple[str, ...], what: str, where: str) -> None:
    if not isinstance(obj, dict):
        raise _bad(where, f"{what} is not a JSON object")
    missing = [k for k in keys if obj.get(k) is None]
    if missing:
        raise _bad(where, f"{what} has no {', '.join(missing)}")


def _bad(where: str, message: str) -> SupportctlError:
    path, _, line = where.rpartition(":")
    return UsageError(message, path=path, line=int(line) if line.isdigit() else None,
                           hint="GitHub's REST API JSON for issues and comments (gh api), or webhook payloads")


def _login(obj: dict[str, Any], where: str, what: str) -> str:
    user = obj.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("login"), str):
        raise _bad(where, f"{what} has no user.login")
    return user["login"]


def _repo_number(obj: dict[str, Any], key: str, where: str, what: str) -> tuple[str, int]:
    url = obj.get(key)
    m = _ISSUE_URL.search(str(url or ""))
    if not m:
        raise _bad(where, f"{what} has no {key} naming its repository and issue")
    return m.group(1).lower(), int(m.group(2))


def collect(files: list[tuple[str, str]]) -> dict[tuple[str, int], Issue]:
    """Issues (with their comments) from every file; pull requests are left out."""
    issues: dict[tuple[str, int], Issue] = {}
    comments: list[tuple[dict[str, Any], str]] = []
    pulls: set[tuple[str, int]] = set()

    def add_issue(obj: Any, where: str, repo: str | None = None) -> None:
        _need(obj, ("id", "number", "title", "user", "state", "created_at"), "an issue", where)
        if repo is None:
            url = str(obj.get("url") or obj.get("repository_url") or "")
            m = re.search(r"/repos/([^/]+/[^/]+?)(?:/issues/\d+)?$", url)
            if not m:
                raise _bad(where, "an issue has no url or repository_url naming its repository")
            repo = m.group(1)
        key = (repo.lower(), int(obj["number"]))
        if "pull_request" in obj:   # the issues endpoint lists pull requests too: reviews, not support
            pulls.add(key)
            return
        found = issues.get(key)
        # The newest copy of an issue wins (a later payload carries the later state and labels).
        if found is None or str(obj.get("updated_at") or "") >= str(found.data.get("updated_at") or ""):
            issues[key] = Issue(key[0], key[1], obj, where, found.comments if found else {})

    for path, text in files:
        for value, where in json_values(text, path):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict) and ("action" in item and ("issue" in item or "comment" in item)):
                    repo = (item.get("repository") or {}).get("full_name")
                    if "issue" in item:
                        add_issue(item["issue"], where, repo)
                    if isinstance(item.get("comment"), dict) and item.get("action") != "deleted":
                        comments.append((item["comment"], where))
                elif isinstance(item, dict) and "issue_url" in item:
                    comments.append((item, where))
                else:
                    add_issue(item, where)
    for comment, where in comments:
        _need(comment, ("id", "user", "body", "created_at"), "a comment", where)
        key = _repo_number(comment, "issue_url", where, "a comment")
        if key in pulls:
            continue
        if key not in issues:
            raise _bad(where, f"comment {comment['id']} is on {key[0]}#{key[1]}, which is not in the files given "
                              "(give the issues too)")
        issues[key].comments[int(comment["id"])] = (comment, where)
    return issues


def _tag(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def conversations(issues: dict[tuple[str, int], Issue], maintainers: dict[str, str]) -> list[Conversation]:
    """Each issue as a conversation; `maintainers` maps a GitHub login (lower-case) to the agent who replies."""
    out = []
    for (repo, number), issue in sorted(issues.items()):
        data, where = issue.data, issue.where
        author = _login(data, where, "an issue")
        requester = f"{author} <github:{author}>"
        conv = Conversation(source=f"github:{repo}#{number}", title=" ".join(str(data["title"]).split()) or
                            f"Issue #{number}", channel="github", requester=requester, where=where)
        try:
            created = parse_timestamp(str(data["created_at"]))
        except SupportctlError as exc:
            raise _bad(where, f"issue #{number}: {exc.message}") from None
        body = str(data.get("body") or "").strip() or f"(issue #{number} has no description)"
        url = data.get("html_url")
        conv.lines.append(Line(f"issue-{data['id']}", created, requester, "customer",
                               body + (f"\n\n{url}" if url else ""), where=where))
        for cid, (comment, cwhere) in sorted(issue.comments.items()):
            login = _login(comment, cwhere, "a comment")
            try:
                at = parse_timestamp(str(comment["created_at"]))
            except SupportctlError as exc:
                raise _bad(cwhere, f"comment {cid}: {exc.message}") from None
            text = str(comment.get("body") or "").strip()
            if not text:
                continue
            agent = maintainers.get(login.lower())
            if agent is not None:
                conv.lines.append(Line(f"comment-{cid}", at, agent, "agent", text, where=cwhere))
            else:
                conv.lines.append(Line(f"comment-{cid}", at, f"{login} <github:{login}>", "customer", text,
                                       where=cwhere))
        conv.lines.sort(key=lambda line: line.at)
        conv.tags = sorted({_tag(label["name"] if isinstance(label, dict) else str(label))
                            for label in data.get("labels") or []} - {""})
        conv.status = "solved" if data.get("state") == "closed" else "open"
        out.append(conv)
    return out
