"""The help site's "Contact support" page: the request form's fields, where requests go, the intake template."""

from __future__ import annotations

import re
from typing import Any

import yaml

from supportctl.errors import SupportctlError

CONTACT_TEMPLATE = "contact.html"            # the theme override that lays out the request form
CONTACT_PAGE = "contact/index.md"
INTAKE_PATH = "templates/intake/request.yml"
OTHER = "Other"
FIELD_TYPES = ("text", "textarea", "select")
# The form's own fields, and the query parameters a GitHub issue form reserves: an intake field may not take them.
RESERVED = {"name", "email", "category", "subject", "description", "title", "body", "template", "labels",
            "assignees", "projects", "milestone"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_GITHUB_RE = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/?$")


def parse_intake(text: str, path: str = INTAKE_PATH) -> list[dict[str, Any]]:
    """The extra fields of an intake template (`fields:`, a list of {id, label, type, options, required});
    raise naming the file and the field on anything else."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SupportctlError(f"{path}: not valid YAML ({e})", path=path) from None
    hint = "write `fields:`, a list of {id, label, type: text|textarea|select, options, required} (see docs/kb.md)"
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"fields"} or not isinstance(data.get("fields", []), list):
        raise SupportctlError(f"{path}: expected a mapping with a `fields:` list", path=path, hint=hint)
    out, seen = [], set()
    for i, item in enumerate(data.get("fields") or []):
        where = f"{path}: fields[{i}]"
        if not isinstance(item, dict):
            raise SupportctlError(f"{where} is not a mapping", path=path, hint=hint)
        unknown = set(item) - {"id", "label", "type", "options", "required", "help"}
        if unknown:
            raise SupportctlError(f"{where}: unknown key {sorted(unknown)[0]!r}", path=path, hint=hint)
        fid = item.get("id")
        if not isinstance(fid, str) or not _ID_RE.match(fid):
            raise SupportctlError(f"{where}: id {fid!r} must be lower-case letters, digits, - or _ (a letter first)",
                                  path=path, hint=hint)
        if fid in RESERVED or fid in seen:
            raise SupportctlError(f"{where}: id {fid!r} is " + ("taken by the form" if fid in RESERVED
                                                                 else "used twice"), path=path, hint=hint)
        seen.add(fid)
        label = item.get("label")
        if not isinstance(label, str) or not label.strip() or "\n" in label:
            raise SupportctlError(f"{where} ({fid}): label must be one line of text", path=path, hint=hint)
        ftype = item.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise SupportctlError(f"{where} ({fid}): type {ftype!r} is not one of {', '.join(FIELD_TYPES)}",
                                  path=path, hint=hint)
        options = item.get("options")
        if ftype == "select":
            if not isinstance(options, list) or not options or not all(
                    isinstance(o, (str, int, float)) and str(o).strip() for o in options):
                raise SupportctlError(f"{where} ({fid}): a select needs `options:`, a list of texts",
                                      path=path, hint=hint)
        elif options is not None:
            raise SupportctlError(f"{where} ({fid}): only a select has options", path=path, hint=hint)
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise SupportctlError(f"{where} ({fid}): required must be true or false", path=path, hint=hint)
        help_text = item.get("help")
        if help_text is not None and not isinstance(help_text, str):
            raise SupportctlError(f"{where} ({fid}): help must be text", path=path, hint=hint)
        out.append({"id": fid, "label": label.strip(), "type": ftype, "required": required,
                    "options": [str(o).strip() for o in options] if ftype == "select" else [],
                    "help": (help_text or "").strip()})
    return out


def is_github_repo(url: str | None) -> bool:
    return bool(url) and bool(_GITHUB_RE.match(url))


def request_target(config: Any, address: str | None) -> tuple[str, str] | None:
    """Where the form sends a request: ("github", repository URL) or ("mail", address); None when nowhere.
    `site.requests` decides, else `site.feedback`; GitHub only for a github.com repository."""
    if config is None:
        return None
    mode = config.site.requests or config.site.feedback
    repo = config.desk.repo_url
    if (mode == "github" or address is None) and is_github_repo(repo):
        return ("github", repo.rstrip("/"))
    if address:
        return ("mail", address)
    return None


def contact_data(target: tuple[str, str], categories: list[tuple[str, str]], intake: list[dict[str, Any]],
                 html_text: Any, address: str | None) -> dict[str, Any]:
    """What overrides/contact.html shows: the fields (labels and options HTML-escaped: the template prints
    them as they are) and where the form sends the request. `categories`: (folder, title) in order."""
    mode, where = target
    esc = [{"id": f["id"], "label": html_text(f["label"]), "type": f["type"], "required": f["required"],
            "help": html_text(f["help"]), "options": [html_text(o) for o in f["options"]]} for f in intake]
    return {
        "mode": mode,
        # github: the new-issue address; mail: the desk address (also the link shown without JavaScript)
        "action": f"{where}/issues/new" if mode == "github" else where,
        "template": "support.yml",
        "address": address or "",
        "categories": [html_text(t) for _, t in categories] + [OTHER],
        "fields": esc,
        # In a public repository everyone reads the issue: the email field is then optional.
        "email_required": mode == "mail",
    }
