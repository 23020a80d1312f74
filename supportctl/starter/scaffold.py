"""The files `supportctl init` writes into a new desk."""

from __future__ import annotations

import re

CONFIG_TEMPLATE = """\
# supportctl desk configuration. Reference: docs/configuration.md
desk:
  name: {name}
  timezone: {timezone}          # default for calendars and display
  {url_line}
  # repo_url: https://github.com/you/desk   # for "improve this article" links
  # support_email: support@example.com

agents:
  {agent}: {{name: {agent_name}, email: {agent_email}, group: tier-1, role: lead}}

groups:
  tier-1: {{description: "First line: every new ticket starts here"}}
  tier-2: {{description: Specialists, escalates_from: tier-1}}

ticket_types: [question, incident, problem, task]

calendars:
  office:
    timezone: {timezone}
    hours:                      # weekly opening intervals, [start, end)
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
      wed: ["09:00-17:00"]
      thu: ["09:00-17:00"]
      fri: ["09:00-17:00"]
    holidays: ["01-01", "12-25", "12-26"]   # MM-DD every year, YYYY-MM-DD once
  always: {{timezone: UTC, hours: all}}

lifecycle:
  initial: new
  states:
    new:     {{category: new}}
    open:    {{category: open}}
    pending: {{category: pending, pauses_sla: true}}   # waiting for the customer
    solved:  {{category: solved, pauses_sla: true, next_state: closed, after: 4d}}
    closed:  {{category: closed, pauses_sla: true}}
  transitions:                  # a state not listed may go anywhere
    new: [open, pending, solved, closed]      # once a ticket leaves new it never returns
    open: [pending, solved, closed]
    pending: [open, solved, closed]
    solved: [open, closed]
    closed: []                  # closed is final; a customer reply opens a follow-up
  reopen: {{closed: new_ticket}}  # a reply to a closed ticket opens a linked follow-up

sla:
  policies:                     # the first policy whose match fits applies
    - name: urgent
      match: {{priority: urgent}}
      calendar: always
      first_response: 1h
      next_reply: 2h
      resolution: 8h
      warn_before: 25%
    - name: standard
      calendar: office
      first_response: 4h
      next_reply: 8h
      resolution: 24h           # working time: three 8-hour days
      warn_before: 1h
"""

REPLY_TEMPLATES = {
    "templates/replies/acknowledge.md.j2": """\
Hi {{ requester.first_name }},

Thanks for getting in touch about "{{ ticket.title }}". We have logged it as
ticket {{ ticket.id }} and will come back to you as soon as we know more.

Best regards,
{{ agent.name }}
{{ desk.name }}
""",
    "templates/replies/need-more-info.md.j2": """\
Hi {{ requester.first_name }},

To look into "{{ ticket.title }}" we need a little more information:

- what you did just before the problem appeared,
- the exact error message or a screenshot,
- the browser or app version you use.

Once we have these, we will pick it up right away.

Best regards,
{{ agent.name }}
""",
    "templates/replies/solved.md.j2": """\
Hi {{ requester.first_name }},

We believe this is solved now. If anything is still not working, simply reply
to this message and the ticket reopens.

Best regards,
{{ agent.name }}
{{ desk.name }}
""",
}

WORKFLOWS = {
    ".github/workflows/supportctl-check.yml": """\
# Checks every ticket and article on pull requests and pushes.
name: supportctl check
on:
  pull_request:
  push:
    branches: [main]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install supportctl
      - run: supportctl check
      - run: supportctl site build --out site
""",
    ".github/workflows/supportctl-sla.yml": """\
# Sweeps SLAs on a schedule. Kept in its own file: GitHub disables scheduled
# workflows after 60 days without activity, and with them every other trigger
# in the same file.
name: supportctl SLA sweep
on:
  schedule:
    - cron: "*/15 * * * *"
  workflow_dispatch:
permissions:
  contents: write
jobs:
  sweep:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install supportctl
      - run: |
          git config user.name "supportctl"
          git config user.email "supportctl@users.noreply.github.com"
      # Deadlines come from the tickets' own timestamps, so a delayed cron run
      # still reports the right state and dates its changes when they fell due.
      - run: supportctl ticket sweep
      - run: supportctl sla check --escalate --format markdown >> "$GITHUB_STEP_SUMMARY"
      - run: git push
        if: always()
""",
    ".github/workflows/supportctl-pages.yml": """\
# Publishes the help site to GitHub Pages.
name: help site
on:
  push:
    branches: [main]
    paths: ["kb/**", "mkdocs.yml", "supportctl.yml", "overrides/**"]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency: pages
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: github-pages
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install supportctl
      - run: supportctl site build --out site
      - uses: actions/upload-pages-artifact@v3
        with: {path: site}
      - uses: actions/deploy-pages@v4
""",
}

PRE_COMMIT = """\
repos:
  - repo: local
    hooks:
      - id: supportctl-check
        name: supportctl check
        entry: supportctl check
        language: system
        pass_filenames: false
        files: ^(tickets|kb|templates)/|^supportctl\\.yml$
"""

GITIGNORE = """\
# supportctl's local cache and lock
.supportctl/
# the built help site
/site/
"""

GITATTRIBUTES = """\
# Two branches' additions to one ticket merge as the union of their records.
# Each clone needs the driver registered once (supportctl init does it here):
#   git config merge.supportctl.driver "supportctl merge-driver %O %A %B %P"
tickets/**/*.md merge=supportctl eol=lf
# LF everywhere: a CRLF checkout (Windows autocrlf) would not parse.
kb/**/*.md eol=lf
supportctl.yml eol=lf
"""

TICKETS_README = """\
# Tickets

One Markdown file per ticket, written by `supportctl ticket ...`.
See `supportctl ticket --help`.
"""


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value or "agent"


def desk_files(name: str, timezone: str, agent: str, agent_name: str, agent_email: str,
               url: str | None = None) -> dict[str, str]:
    """Relative path -> text for a new desk (KB and site starter files come from supportctl.site.build)."""
    url_line = (f"url: {url}                # public address of the help site" if url else
                "# url: https://help.example.com       # public address of the help site (links in replies)")
    files = {
        "supportctl.yml": CONFIG_TEMPLATE.format(name=_yaml_str(name), timezone=timezone, agent=agent,
                                                 agent_name=_yaml_str(agent_name), agent_email=agent_email,
                                                 url_line=url_line),
        "tickets/README.md": TICKETS_README,
        ".gitignore": GITIGNORE,
        ".gitattributes": GITATTRIBUTES,
        ".pre-commit-config.yaml": PRE_COMMIT,
    }
    files.update(REPLY_TEMPLATES)
    files.update(WORKFLOWS)
    return files


def _yaml_str(text: str) -> str:
    import json

    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9 .'-]*", text) else json.dumps(text)
