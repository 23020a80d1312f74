"""The files `supportctl init` writes into a new desk."""

from __future__ import annotations

import re
import time
from pathlib import Path

from supportctl.kb.model import DEFAULT_TEMPLATE
from supportctl.site.pages import SHIM_PATH

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
    """Relative path -> text for a new desk (KB and site starter files: starter_files)."""
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


FEEDBACK_PARTIAL = """\
{#-
  supportctl: Material's "Was this page helpful?" form, plus a prefilled
  "contact support" link under a negative rating. The link comes from
  supportctl.yml (site.contact_url, else desk.support_email, else an issue
  in desk.repo_url) through the generated site_docs/.desk.yml.
-#}
{% if config.extra.analytics %}
  {% set feedback = config.extra.analytics.feedback %}
{% endif %}
{% if page.meta and page.meta.hide %}
  {% if "feedback" in page.meta.hide %}
    {% set feedback = None %}
  {% endif %}
{% endif %}
{% set desk = config.extra.supportctl or {} %}
{% if feedback %}
  <form class="md-feedback" name="feedback" hidden>
    <fieldset>
      <legend class="md-feedback__title">
        {{ feedback.title }}
      </legend>
      <div class="md-feedback__inner">
        <div class="md-feedback__list">
          {% for rating in feedback.ratings %}
            <button class="md-feedback__icon md-icon" type="submit" title="{{ rating.name }}" data-md-value="{{ rating.data }}">
              {% include ".icons/" ~ rating.icon ~ ".svg" %}
            </button>
          {% endfor %}
        </div>
        <div class="md-feedback__note">
          {% for rating in feedback.ratings %}
            <div data-md-value="{{ rating.data }}" hidden>
              {% set url = page.canonical_url or ("/" ~ page.url) %}
              {% if page.meta and page.meta.title %}
                {% set title = page.meta.title | urlencode %}
              {% else %}
                {% set title = page.title | urlencode %}
              {% endif %}
              {% set note = rating.note %}
              {% if note %}
                {% set note = note | replace("{url}", url) %}
                {% set note = note | replace("{title}", title) %}
              {% endif %}
              {{ note }}
              {% if desk.contact_url and (rating.data | int) <= 0 %}
                {% set link = desk.contact_url | replace("{title}", title) | replace("{url}", url | urlencode) %}
                <a class="supportctl-contact" href="{{ link }}">Contact support</a>
              {% endif %}
            </div>
          {% endfor %}
        </div>
      </div>
    </fieldset>
  </form>
{% endif %}
"""

ANALYTICS_PARTIAL = """\
{#-
  supportctl: `extra.analytics.provider: custom`. No tracking and no
  third-party request: this only makes Material's feedback form work.
  A click shows the rating's note (a negative one carries the prefilled
  "contact support" link); nothing is sent anywhere.
-#}
<script id="__analytics">function __md_analytics(){document.addEventListener("DOMContentLoaded",function(){document$.subscribe(function(){var f=document.forms.feedback;if(typeof f==="undefined")return;for(var b of f.querySelectorAll("[type=submit]"))b.addEventListener("click",function(e){e.preventDefault();var v=this.getAttribute("data-md-value");f.firstElementChild.disabled=true;var n=f.querySelector(".md-feedback__note [data-md-value='"+v+"']");if(n)n.hidden=false});f.hidden=false})})}</script>
"""

ACTIONS_PARTIAL = """\
{#-
  supportctl: the edit button reads "Improve this article" and is left out
  of generated pages (home, category and tag index), which have no source
  file to edit.
-#}
{% if page.edit_url and not (page.meta and page.meta.generated) %}
  {% if "content.action.edit" in features %}
    <a href="{{ page.edit_url }}" title="Improve this article" class="md-content__button md-icon" rel="edit">
      {% set icon = config.theme.icon.edit or "material/file-edit-outline" %}
      {% include ".icons/" ~ icon ~ ".svg" %}
    </a>
  {% endif %}
{% endif %}
"""

OVERRIDES = {
    "overrides/partials/feedback.html": FEEDBACK_PARTIAL,
    "overrides/partials/integrations/analytics/custom.html": ANALYTICS_PARTIAL,
    "overrides/partials/actions.html": ACTIONS_PARTIAL,
}

STARTER_MKDOCS = """\
# The help site's MkDocs configuration. You own this file: supportctl never
# rewrites it. `supportctl site build` copies the published, public articles
# of kb/ into site_docs/ (generated, git-ignored) with generated home,
# category and tag pages, and writes site_docs/.desk.yml: the desk name,
# the navigation in category order and the edit/contact links from
# supportctl.yml. Any key you set here wins over that file.
INHERIT: site_docs/.desk.yml
docs_dir: site_docs
site_dir: site
theme:
  name: material
  custom_dir: overrides
  font: false                # no Google Fonts: pages make no third-party requests
  language: en
  palette:
    primary: indigo
  features:
    - navigation.prune       # each page renders only its own part of the nav: big KBs build ~3x faster
    - navigation.indexes     # (no navigation.tabs: it costs ~15 % of the build on a 1,000-article KB)
    - navigation.path
    - navigation.top
    - search.suggest
    - search.highlight
    - content.action.edit    # "Improve this article"
    - toc.follow
plugins:
  - search
  - tags
  - offline:                 # file:// and intranet builds; set site.offline in supportctl.yml
      enabled: !ENV [SUPPORTCTL_OFFLINE, false]
markdown_extensions:
  - admonition
  - attr_list
  - tables
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
extra:
  generator: false
  analytics:
    provider: custom         # overrides/partials/integrations/analytics/custom.html: no tracking
    feedback:
      title: Was this page helpful?
      ratings:
        - icon: material/thumb-up-outline
          name: This page was helpful
          data: 1
          note: Thanks for letting us know!
        - icon: material/thumb-down-outline
          name: This page could be improved
          data: 0
          note: Sorry this did not help. Tell us what you were looking for and we will get back to you.
# Broken links and anchors fail the strict build.
validation:
  omitted_files: warn
  absolute_links: warn
  unrecognized_links: warn
  anchors: warn
"""

STARTER_TEMPLATE = DEFAULT_TEMPLATE


def starter_files(desk_name: str) -> dict[str, str]:
    """Files `supportctl init` writes for the KB and the help site (relative path -> text)."""
    welcome = f"""\
---
title: Welcome to {desk_name}
description: How this help center is organised and how to get help from a person.
status: published
visibility: public
tags: [getting-started]
owner: null
updated: {time.strftime('%Y-%m-%d')}
related: []
---

Search for a word or a question with the box at the top of every page, or
browse the topics in the navigation.

## Contact support

If an article does not answer your question, use **Was this page helpful?**
at the end of the page: the link it shows opens a message to our team with
the page already filled in.
"""
    files = {
        "mkdocs.yml": STARTER_MKDOCS,
        "kb/getting-started/_category.yml": 'title: "Getting started"\norder: 10\n'
                                            'description: "First steps and how to reach us."\n',
        "kb/getting-started/welcome.md": welcome,
        "templates/kb/article.md": STARTER_TEMPLATE,
    }
    files.update(OVERRIDES)
    shim = Path(__file__).parent.parent / "site" / "data" / "iframe-worker-shim.js"
    files[f"overrides/{SHIM_PATH}"] = shim.read_text(encoding="utf-8")
    return files
