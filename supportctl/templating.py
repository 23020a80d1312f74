"""Reply, note and article templates: Jinja2 in a bounded sandbox, found only inside templates/.

The sandbox keeps templates away from Python internals; the bounds here keep
them from hanging or exhausting memory (a template is written by anyone who
can push to the desk, and escalation notes render in the unattended CI sweep).
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path
from typing import Any, Callable

from supportctl.config.fields import template_name_problem
from supportctl.errors import NotFound, SupportctlError, UsageError

SUFFIXES = (".md.j2", ".md", ".j2", ".txt")

MAX_SECONDS = 2.0        # a real template renders in milliseconds
MAX_OUTPUT = 200_000     # characters, in the result and in any string or list built on the way
MAX_RANGE = 10_000
MAX_SOURCE = 200_000     # bytes of template text
# A format width like %999999999d or {:>999999999} allocates that many characters.
# A `*` or a nested field takes the width from an argument, so those are refused too.
_BIG_PERCENT = re.compile(r"%[-+ #0]*(?:\d*\.)?(?:\*|\d{6,})")
_BIG_FORMAT = re.compile(r"\{[^{}]*:[^{}]*(?:\d{6,}|\{)")
# Filters and str methods whose int arguments are sizes of the result.
_SIZED = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap", "truncate",
                    "batch", "slice", "generate_lorem_ipsum"})


def template_names(folder: Path) -> list[str]:
    """The names `find_template` accepts: regular files under `folder`, no symlinks."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    names = set()
    for top, dirs, files in os.walk(folder):   # os.walk does not descend into symlinked folders
        for file in files:
            path = Path(top) / file
            if not path.is_symlink() and path.is_file():
                for suffix in SUFFIXES:
                    if file.endswith(suffix):
                        names.add(path.relative_to(folder).as_posix()[: -len(suffix)])
                        break
    return sorted(names)


def symlinks(folder: Path) -> list[str]:
    """Every symlink in or under `folder` (paths relative to its parent), for `check` to report."""
    if folder.is_symlink():
        return [folder.name]
    found: list[str] = []
    prefix = len(str(folder)) + 1

    # os.scandir's entries know whether they are links without a system call
    # each: an lstat per file took 0.4 s of `check` on 10,000 tickets.
    def scan(path: str) -> None:
        try:
            entries = os.scandir(path)
        except OSError:
            return   # unreadable: skipped, as os.walk does
        with entries:
            for entry in entries:
                if entry.is_symlink():
                    found.append(f"{folder.name}/{entry.path[prefix:].replace(os.sep, '/')}")
                elif entry.is_dir(follow_symlinks=False):
                    scan(entry.path)

    scan(str(folder))
    return sorted(found)


def find_template(folder: Path, name: str, suffixes: tuple[str, ...] = ("",) + SUFFIXES) -> Path:
    """templates/NAME[.suffix] as a regular file inside `folder`; never a path out of it, never a symlink."""
    problem = template_name_problem(name)
    if problem:
        raise UsageError(problem, hint=f"name a template in {folder.name}/, e.g. replies/solved")
    if folder.is_symlink():
        raise SupportctlError(f"{folder.name}/ is a symlink", hint="templates must be a real folder of the desk")
    for suffix in suffixes:
        path = folder / f"{name}{suffix}"
        if _regular_inside(folder, path):
            return path
    names = template_names(folder)
    raise NotFound(f"no template {name!r} in {folder.name}/",
                   hint=f"templates: {', '.join(names[:30]) or '(none)'}")


def _regular_inside(folder: Path, path: Path) -> bool:
    """Is `path` a regular file reached from `folder` without passing a symlink? A symlink is an error."""
    current = folder
    for part in path.relative_to(folder).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:   # e.g. a name too long
            raise UsageError(f"cannot read template {path.name[:40]!r}: {exc.strerror}") from None
        if stat.S_ISLNK(mode):
            rel = current.relative_to(folder.parent).as_posix()
            raise SupportctlError(f"{rel} is a symlink; templates are never followed out of {folder.name}/",
                                  path=rel, hint="replace the link with a copy of the template")
    return stat.S_ISREG(mode)


def render(folder: Path, name: str, context: dict[str, Any]) -> str:
    """Render templates/NAME with the context; a missing variable is an error, not a blank."""
    path = find_template(folder, name)
    rel = f"{folder.name}/{path.relative_to(folder).as_posix()}"
    text = render_source(split_front_matter(read_template(path, rel))[1], context, rel=rel,
                         hint="the variables are ticket, requester, agent and desk; "
                              "use {{ x | default('') }} for optional ones")
    return text.strip() + "\n"


def split_front_matter(source: str) -> tuple[str | None, str]:
    """(front matter text or None, the body with the front matter's lines left blank).

    A reply template may start with YAML front matter between `---` lines (a
    macro's `set:` block, docs/automation.md). The body keeps its line
    numbers, so a render error still names the line in the file.
    """
    lines = source.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, source
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]), "\n" * (i + 1) + "\n".join(lines[i + 1:])
    return None, source


def read_template(path: Path, rel: str) -> str:
    """The template's text, or a clear error for one that is too big or not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SupportctlError(f"cannot read the template: {exc.strerror}", path=rel) from None
    if len(data) > MAX_SOURCE:
        raise SupportctlError(f"the template is {len(data) // 1000} KB", path=rel,
                              hint=f"templates are limited to {MAX_SOURCE // 1000} KB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SupportctlError(f"byte 0x{data[exc.start]:02x} is not UTF-8", path=rel,
                              line=data.count(b"\n", 0, exc.start) + 1, hint="save the template as UTF-8") from None


def render_source(source: str, context: dict[str, Any], *, rel: str, hint: str,
                  filters: dict[str, Callable] | None = None, keep_trailing_newline: bool = False,
                  finalize: Callable[[Any], Any] | None = None) -> str:
    """Render template text within the time and size bounds; every failure is a SupportctlError at rel:line."""
    from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError, nodes

    env = _environment(keep_trailing_newline=keep_trailing_newline, **({"finalize": finalize} if finalize else {}))
    for key, value in (filters or {}).items():
        env.filters[key] = value
    env.filters = {key: _bounded_filter(env, f, key) for key, f in env.filters.items()}
    try:
        tree = env.parse(source, name=rel, filename=rel)
        for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            raise SupportctlError("templates cannot include, import or extend other templates", path=rel,
                                  line=node.lineno, hint="put the text in this template, or use a macro")
        template = env.template_class.from_code(env, env.compile(tree, name=rel, filename=rel),
                                                env.make_globals(None), None)
    except TemplateSyntaxError as exc:
        raise SupportctlError(f"template syntax: {exc.message}", path=rel, line=exc.lineno,
                              hint="fix the Jinja2 syntax") from None
    except RecursionError:
        raise SupportctlError("the template is nested too deeply", path=rel, hint="simplify it") from None
    env.start()
    try:
        with _alarm(MAX_SECONDS * 1.5):
            out, size = [], 0
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise _Bound(f"the output is longer than {MAX_OUTPUT:,} characters")
                env.tick()
                out.append(chunk)
            return "".join(out)
    except UndefinedError as exc:
        raise SupportctlError(f"template: {exc.message}", path=rel, line=_line(exc, rel), hint=hint) from None
    except _Bound as exc:
        raise SupportctlError(f"template stopped: {exc}", path=rel, line=_line(exc, rel),
                              hint="templates must render quickly into a message-sized text") from None
    except RecursionError as exc:
        raise SupportctlError("template stopped: it recurses too deeply", path=rel, line=_line(exc, rel),
                              hint="a macro that calls itself needs a way to stop") from None
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError,
            MemoryError) as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise SupportctlError(f"template: {message[:200]}", path=rel, line=_line(exc, rel), hint=hint) from None


class _Bound(Exception):
    """A template went over its time or size budget."""


def _line(exc: BaseException, rel: str) -> int | None:
    """The template line in the traceback (Jinja rewrites frames to point at the template)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == rel:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _sandbox():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    class Bounded(SandboxedEnvironment):
        """A sandbox that checks a deadline on every call, attribute and operator, and bounds sizes."""

        intercepted_binops = frozenset({"*", "**", "+", "%", "//"})

        def __init__(self, **kw: Any) -> None:
            super().__init__(undefined=StrictUndefined, autoescape=False, **kw)
            self.globals["range"] = _range
            self.deadline = float("inf")

        def start(self) -> None:
            self.deadline = time.monotonic() + MAX_SECONDS

        def tick(self) -> None:
            if time.monotonic() > self.deadline:
                raise _Bound(f"rendering took longer than {MAX_SECONDS:g} s")

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
            __self.tick()
            name = getattr(__obj, "__name__", "")
            if name in _SIZED:
                _check_args(args, kwargs)
            if name == "replace" and isinstance(getattr(__obj, "__self__", None), str):
                _check_replace(__obj.__self__, *args)
            for value in (*args, *kwargs.values()):   # a macro that doubles its argument on every call
                if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT:
                    raise _Bound(f"an argument longer than {MAX_OUTPUT:,}")
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj, attribute):
            self.tick()
            if attribute in ("format", "format_map") and isinstance(obj, str) and _BIG_FORMAT.search(obj):
                raise _Bound("a format width that is huge or taken from an argument")
            return super().getattr(obj, attribute)

        def getitem(self, obj, argument):
            self.tick()
            return super().getitem(obj, argument)

        def call_binop(self, context, operator, left, right):
            self.tick()
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
                raise _Bound("an exponent above 64")
            if operator == "%" and isinstance(left, str) and _BIG_PERCENT.search(left):
                raise _Bound("a format width that is huge or taken from an argument")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_OUTPUT:
                        raise _Bound(f"a repeated text or list longer than {MAX_OUTPUT:,}")
            result = super().call_binop(context, operator, left, right)
            if isinstance(result, (str, list, tuple)) and len(result) > MAX_OUTPUT:
                raise _Bound(f"a text or list longer than {MAX_OUTPUT:,}")
            return result

    return Bounded


def _range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise _Bound(f"range() of more than {MAX_RANGE:,} items")
    return rng


def _check_args(args: tuple, kwargs: dict) -> None:
    """Refuse size arguments that ask for huge results (center(10**9), indent(10**9), ...)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT:
            raise _Bound(f"an argument of {value:.3g} is too large")


def _check_replace(text: str, old: Any = None, new: Any = "", *rest: Any) -> None:
    """`replace('', long)` multiplies the text; refuse results that would be too long before building them."""
    if isinstance(old, str) and isinstance(new, str):
        count = len(text) + 1 if not old else text.count(old)
        if len(text) + count * len(new) > MAX_OUTPUT:
            raise _Bound(f"a replace() result longer than {MAX_OUTPUT:,}")


def _bounded_filter(env, func: Callable, key: str) -> Callable:
    from functools import wraps

    @wraps(func)
    def wrapper(*args, **kwargs):
        env.tick()
        plain = [a for a in args if not hasattr(a, "environment")]   # drop a passed context/eval context
        if key in _SIZED:
            _check_args(args, kwargs)
        elif key == "replace" and plain and isinstance(plain[0], str):
            _check_replace(*plain)
        elif key == "format" and plain and isinstance(plain[0], str) and _BIG_PERCENT.search(plain[0]):
            raise _Bound("a format width that is huge or taken from an argument")
        result = func(*args, **kwargs)
        if isinstance(result, (str, list)) and len(result) > MAX_OUTPUT:
            raise _Bound(f"a filter result longer than {MAX_OUTPUT:,}")
        return result

    return wrapper


_SANDBOX: list = []   # the sandbox class, built on first use (importing jinja2 costs CLI start-up time)


def _environment(**kw: Any):
    if not _SANDBOX:
        _SANDBOX.append(_sandbox())
    return _SANDBOX[0](**kw)


class _alarm:
    """A SIGALRM backstop for loops that touch no hook (`for a in s` nested); main thread, Unix only."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> None:
        import signal
        import threading

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            return
        if signal.getitimer(signal.ITIMER_REAL)[0]:   # someone else's timer is running: leave it alone
            return

        def expired(signum, frame):
            raise _Bound(f"rendering took longer than {MAX_SECONDS:g} s")

        self.previous = signal.signal(signal.SIGALRM, expired)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous if self.previous is not None else signal.SIG_DFL)


def ticket_context(desk, ticket, agent: str | None) -> dict[str, Any]:
    """What templates see: ticket fields, requester, agent and desk."""
    meta = dict(ticket.meta)
    requester = meta.get("requester") or {}
    name = requester.get("name", "") if isinstance(requester, dict) else str(requester)
    agent_info = desk.config.agent_map().get(agent) if agent else None
    return {
        # No `url`: the help site has no ticket pages; customers reach a ticket by replying to its mail.
        "ticket": {**meta, "id": ticket.id},
        "requester": {"name": name, "first_name": name.split(" ")[0] if name else "",
                      **{k: (requester.get(k, "") if isinstance(requester, dict) else "")
                         for k in ("email", "phone", "github", "social")}},
        "agent": {"handle": agent or "", "name": (agent_info.name if agent_info and agent_info.name else agent or ""),
                  "email": agent_info.email if agent_info else None},
        "desk": desk.config.desk.model_dump(),
        "rating": rating_links(desk.config, ticket.id),
    }


RATING_LABELS = {"good": "Good, I'm satisfied", "bad": "Bad, I'm not satisfied", "5": "5 (very satisfied)",
                 "4": "4", "3": "3", "2": "2", "1": "1 (very unsatisfied)"}


def rating_links(config, ticket_id: str) -> dict[str, Any]:
    """CSAT links for a reply: mailto links whose subject mail intake records as a rating.

    The subject is `Rating: good [<subject_tag> #ID]` (mail/ratings.py reads it
    back); without the desk's mail address and subject tag there are no links.
    """
    from urllib.parse import quote

    values = ["good", "bad"] if config.csat.scale == 2 else ["5", "4", "3", "2", "1"]
    mail = config.mail
    links = []
    if mail is not None and mail.address and mail.subject_tag:
        for value in values:
            subject = f"Rating: {value} [{mail.subject_tag} #{ticket_id}]"
            links.append({"value": value, "label": RATING_LABELS[value],
                          "url": f"mailto:{mail.address}?subject={quote(subject)}"})
    by_value = {link["value"]: link["url"] for link in links}
    return {"scale": config.csat.scale, "links": links, "good": by_value.get("good"), "bad": by_value.get("bad")}
