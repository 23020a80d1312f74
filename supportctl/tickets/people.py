"""Who a requester is: a name and at least one handle (email, phone, GitHub login, social handle).

A phone call, a chat or a social post has no email address; the requester is
then named by the handle the customer used (shared/spec.md §13):

    requester: {name: Judy, social: "@judy_tweets"}
    requester: {name: "+353871234567", phone: "+353871234567"}
    requester: {name: octocat, github: octocat}

`--from` takes `Name <handle>` or a bare handle, where a handle is an email
address, a phone number in international form (`+353 87 123 4567`, stored
E.164 as `+353871234567`), `github:login` or `@handle`.
"""

from __future__ import annotations

import re
from typing import Any

from supportctl.errors import UsageError
from supportctl.tickets.events import one_line

HANDLES = ("email", "phone", "github", "social")
PERSON_KEYS = ("name", *HANDLES)

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_GITHUB = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_SOCIAL = re.compile(r"^@[A-Za-z0-9_.]{1,50}$")
_PHONE_CHARS = re.compile(r"^[+0-9][0-9 ()./-]*$")
FROM_HINT = ('write --from as "Dana Smith <dana@example.com>", "+353 87 123 4567", '
             '"Judy <@judy_tweets>" or "Octo Cat <github:octocat>"')


def normalise_phone(text: str) -> str:
    """A phone number in international form as E.164: `+353 87 123 4567` -> `+353871234567`."""
    raw = str(text).strip()
    if not _PHONE_CHARS.match(raw):
        raise UsageError(f"{text!r} is not a phone number", hint="write it in international form, e.g. +353 87 123 4567")
    digits = re.sub(r"[^0-9]", "", raw)
    if raw.startswith("00"):
        digits = digits[2:]
    elif not raw.startswith("+"):
        raise UsageError(f"phone number {text!r} has no country code",
                         hint="write it in international form with + and the country code, e.g. +353 87 123 4567")
    if not 7 <= len(digits) <= 15 or digits.startswith("0"):
        raise UsageError(f"{text!r} is not a phone number in international form",
                         hint="E.164 numbers have a country code and up to 15 digits, e.g. +353 87 123 4567")
    return "+" + digits


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\+[1-9][0-9]{6,14}", value) is not None


def parse_handle(text: str) -> tuple[str, str]:
    """(kind, value) of one handle as typed: an email, a phone, `github:login` or `@handle`."""
    value = text.strip()
    low = value.lower()
    if low.startswith("github:"):
        login = value[len("github:"):].strip().lstrip("@")
        if not _GITHUB.match(login):
            raise UsageError(f"{login!r} is not a GitHub login", hint="write github:octocat")
        return "github", login.lower()
    if value.startswith("@"):
        if not _SOCIAL.match(value):
            raise UsageError(f"{value!r} is not a social handle", hint="write it as @handle (letters, digits, _ or .)")
        return "social", value
    if "@" in value:
        if not _EMAIL.match(value):
            raise UsageError(f"{value!r} is not an email address", hint=FROM_HINT)
        return "email", value.lower()
    if value[:1] in "+0123456789(" and value:
        return "phone", normalise_phone(value)
    raise UsageError(f"requester {text!r} has no email address, phone number or handle", hint=FROM_HINT)


def parse_requester(text: str) -> dict[str, str]:
    """`Dana Smith <dana@example.com>`, `dana@example.com`, `+353 87 123 4567`, `Judy <@judy_tweets>` -> person."""
    raw = one_line(str(text or "")).strip()
    match = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*', raw)
    name, handle = (match.group(1).strip(), match.group(2)) if match else ("", raw)
    if not handle.strip():
        raise UsageError(f"requester {text!r} has no email address, phone number or handle", hint=FROM_HINT)
    kind, value = parse_handle(handle)
    if not name:
        name = handle.strip().split("@")[0] if kind == "email" else value
    return {"name": one_line(name), kind: value}


def handle_of(person: Any) -> tuple[str, str] | None:
    """The requester's first handle (email first: the one mail can reach)."""
    if isinstance(person, dict):
        for kind in HANDLES:
            value = person.get(kind)
            if isinstance(value, str) and value:
                return kind, value
    return None


def show_handle(kind: str, value: str) -> str:
    return f"github:{value}" if kind == "github" else value


def format_person(person: Any) -> str:
    """`Name <handle>` as a record author or a --from value (parse_requester reads it back)."""
    if isinstance(person, dict):
        name = person.get("name")
        found = handle_of(person)
        if found is None:
            return str(name or "")
        handle = show_handle(*found)
        return f"{name} <{handle}>" if name and name != found[1] else handle
    return str(person or "")


def person_text(person: Any) -> str:
    """Everything a requester filter searches: the name and every handle."""
    if not isinstance(person, dict):
        return str(person or "")
    parts = [str(person.get("name") or "")]
    parts += [show_handle(k, str(person[k])) for k in HANDLES if person.get(k)]
    return " ".join(parts)


def person_problems(person: Any) -> list[tuple[str, str]]:
    """(message, hint) for each thing wrong with a requester mapping."""
    example = "write requester: {name: Dana Smith, email: dana@example.com} (or phone, github, social)"
    if not isinstance(person, dict):
        return [("requester must have a name and an email address, phone number or handle", example)]
    out: list[tuple[str, str]] = []
    extra = set(person) - set(PERSON_KEYS)
    if extra:
        out.append((f"requester has unknown keys: {', '.join(sorted(map(str, extra)))}",
                    f"requester takes {', '.join(PERSON_KEYS)}"))
    if not any(isinstance(person.get(k), str) and person.get(k) for k in HANDLES):
        out.append(("requester must have a name and an email address, phone number or handle", example))
    email, phone, github, social = (person.get(k) for k in HANDLES)
    if email is not None and not (isinstance(email, str) and "@" in email):
        out.append((f"requester email {email!r} is not an email address", "write email: dana@example.com"))
    if phone is not None and not is_e164(phone):
        out.append((f"requester phone {phone!r} is not in E.164 form", "write phone: \"+353871234567\""))
    if github is not None and not (isinstance(github, str) and _GITHUB.match(github)):
        out.append((f"requester github {github!r} is not a GitHub login", "write github: octocat"))
    if social is not None and not (isinstance(social, str) and _SOCIAL.match(social)):
        out.append((f"requester social {social!r} is not a handle", "write social: \"@judy_tweets\""))
    for part in PERSON_KEYS:
        value = person.get(part)
        if isinstance(value, str) and one_line(value) != value.strip():
            # It becomes a record header's author: a line break there could forge a record.
            out.append((f"requester {part} contains a line break or control character",
                        f"write the {part} on one line"))
    return out
