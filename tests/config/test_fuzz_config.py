"""Fuzzing supportctl.yml (issue 9): a mutated config loads or is a ConfigError, quickly; one that loads works.

Mutations start from the sample desk's config and TEST_CONFIG: garbage bytes,
huge or non-finite numbers, impossible dates, duplicated lines (keys),
anchors and aliases, deep nesting, deleted lines and random text. A config
that loads must drive the SLA engine, timed transitions and escalations
(with their note templates) over the sample tickets without an exception
other than a SupportctlError. `bench/fuzz_config.py` runs the same for longer.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.config.model import Config, load_config
from supportctl.errors import ConfigError, SupportctlError
from tests.conftest import TEST_CONFIG

REPO = Path(__file__).parents[2]
SAMPLE = (REPO / "supportctl.yml").read_text(encoding="utf-8")
BASES = (SAMPLE, TEST_CONFIG)
SECONDS = 10   # per example: loading a config and evaluating 50 tickets takes well under a second

HUGE = ["999999999999", "9" * 300, "9" * 5000, "-1", "0", "1e308", ".inf", "-.inf", ".nan", "99999999d",
        "731d", "730d", "1.5", "0.0001s", "1" + "0" * 20 + "h", "''", "[]", "{}", "null", "true", "0x10", "0o7",
        "1_000", "12:30", "2026-02-30", "9999-12-31T23:59:59Z"]
LONG_BUT_VALID = ["730d", "17520h", "63072000", "1s", "1", "59s", "99%", "1%", "0.5%", "1d1s"]
DATES = ['"2026-13-01"', '"2026-02-30"', '"0000-01-01"', '"0001-01-01"', '"9999-12-31"', '"02-29"', '"02-30"',
         "2026-13-01", "2026-02-30", "1899-12-31", "2201-01-01", '"12-32"', '"00-00"', '"2026-1-1"',
         "0001-01-01", "9999-12-31", '"2200-12-31"']
GARBAGE = [b"\xe9", b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"\t", b"\r", b"\x1b[31m", b"\\", b"\"", b"'", b"{",
           b"]", b": ", b"- ", b"#", b"&a", b"*a", b"!!python/object:os.system", b"!!binary", b"? ", b"---\n",
           b"...", b"%YAML 1.1\n", b"\xe2\x80\xa8", b"\"\\ud800\""]
_NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?:[dhms]|%)?(?![\w.:-])")
_HOLIDAY = re.compile(r'"(?:\d{4}-)?\d{2}-\d{2}"')
_SCALAR = re.compile(r"(?<=: )[^{}\[\],\n#]+")


@st.composite
def mutation(draw, text: str) -> bytes | str:
    """One mutation of `text` (bytes when it may no longer be UTF-8)."""
    lines = text.split("\n")
    kind = draw(st.sampled_from(["garbage", "number", "date", "duplicate", "alias", "bomb", "nest", "delete",
                                 "scalar", "indent", "holiday_line", "note"]))
    if kind == "garbage":
        raw = _bytes(text)
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.sampled_from(GARBAGE)) + raw[at:]
    if kind == "number":
        spots = list(_NUMBER.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            value = draw(st.sampled_from(HUGE) | st.sampled_from(LONG_BUT_VALID)
                         | st.integers(-10**20, 10**20).map(str))
            return text[:m.start()] + value + text[m.end():]
    if kind == "date":
        spots = list(_HOLIDAY.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            return text[:m.start()] + draw(st.sampled_from(DATES)) + text[m.end():]
    if kind == "holiday_line":
        return text.replace("    holidays: [", f"    holidays: [{draw(st.sampled_from(DATES))}, ", 1)
    if kind == "duplicate":
        i = draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    if kind == "alias":
        spots = list(_SCALAR.finditer(text))
        if len(spots) >= 2:
            a, b = sorted(draw(st.lists(st.sampled_from(spots), min_size=2, max_size=2, unique_by=lambda m: m.start()))
                          , key=lambda m: m.start())
            return text[:a.start()] + "&x " + text[a.start():b.start()] + "*x" + text[b.end():]
    if kind == "bomb":
        depth = draw(st.integers(2, 9))
        bomb = "lol0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, depth))
        return bomb + text
    if kind == "nest":
        spots = list(_SCALAR.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            depth = draw(st.sampled_from([5, 11, 12, 13, 50, 999, 1001, 3000]))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
            return text[:m.start()] + opener * depth + m.group(0) + closer * depth + text[m.end():]
    if kind == "delete":
        i = draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:i] + lines[i + 1:])
    if kind == "scalar":
        spots = list(_SCALAR.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            value = draw(st.text(max_size=30) | st.sampled_from(HUGE + DATES))
            return text[:m.start()] + value + text[m.end():]
    if kind == "indent":
        i = draw(st.integers(0, len(lines) - 1))
        return "\n".join(lines[:i] + [draw(st.sampled_from(["", " ", "   ", "\t"])) + lines[i]] + lines[i + 1:])
    if kind == "note":
        name = draw(st.sampled_from(["../../../../etc/passwd", "/etc/passwd", "notes/../x", "notes/nope",
                                     "notes/sla-breach", "", ".", "notes//sla-breach"]))
        return text.replace("note: notes/sla-breach", f"note: \"{name}\"", 1)
    return text


@st.composite
def configs(draw) -> bytes:
    """A base config with one to three mutations."""
    text: str | bytes = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 3))):
        if isinstance(text, bytes):   # once bytes, further mutations work on the decoded-as-possible text
            text = text.decode("utf-8", "surrogateescape")
        text = draw(mutation(text))
    return text if isinstance(text, bytes) else _bytes(text)


def _bytes(text: str) -> bytes:
    """UTF-8, with undecodable bytes restored and lone surrogates written as they are."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class Hang(Exception):
    """An example ran longer than SECONDS."""


@contextmanager
def deadline(seconds: float = SECONDS):
    """Fail an example that hangs (SIGALRM in the main thread; elsewhere only the elapsed time is checked)."""
    armed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    start = time.monotonic()

    def expired(signum, frame):
        raise Hang(f"an example ran longer than {seconds} s")

    if armed:
        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < seconds, "an example ran too long"


def load(path: Path) -> Config | ConfigError:
    """load_config's result: a Config or a ConfigError, never any other exception."""
    try:
        return load_config(path)
    except ConfigError as exc:
        assert exc.path == "supportctl.yml" and exc.message and exc.hint, exc
        assert len(str(exc)) < 1000, "an error message repeats a huge value"
        return exc


_TICKETS = None


def sample_tickets():
    global _TICKETS
    if _TICKETS is None:
        from supportctl.tickets.format import read_ticket

        _TICKETS = [read_ticket(p, f"tickets/{p.name}") for p in sorted((REPO / "tickets").glob("*.md"))]
    return _TICKETS


NOWS = [datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc), datetime(2027, 3, 28, 1, 30, tzinfo=timezone.utc)]


def drive(config: Config) -> dict[str, int]:
    """Use a config that loaded the way commands do: SLA clocks, timed transitions, escalations with notes."""
    import copy

    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.escalation import escalate, pending_escalations
    from supportctl.templating import render, ticket_context
    from supportctl.tickets.actions import agent_reply, apply_due_transition, customer_message

    class FakeDesk:   # what ticket_context reads
        pass

    desk = FakeDesk()
    desk.config = config
    counts = {"evaluated": 0, "escalated": 0, "transitions": 0, "actions": 0, "errors": 0}
    engine = SlaEngine(config, holidays=lambda country, subdiv, year: {})

    def note(name, ticket, context):
        return render(REPO / "templates", name, {**ticket_context(desk, ticket, None), **context, "due_local": "-"})

    for now in NOWS:
        for ticket in sample_tickets():
            try:
                result = engine.evaluate(ticket, now)
                counts["evaluated"] += 1
                if pending_escalations(engine, ticket, now, result):
                    counts["escalated"] += len(escalate(engine, copy.deepcopy(ticket), now, note))
                if apply_due_transition(copy.deepcopy(ticket), config, now):
                    counts["transitions"] += 1
            except SupportctlError:   # a clear error (e.g. a missing note template), not a crash
                counts["errors"] += 1
    # Ticket actions rewrite the front matter with ruamel (~50 ms each): a few tickets are enough to
    # cover the lifecycle settings they read.
    for ticket in sample_tickets()[::10]:
        try:
            customer_message(copy.deepcopy(ticket), config, at=NOWS[0], text="Any news?")
            agent_reply(copy.deepcopy(ticket), config, actor="fuzz", at=NOWS[0], text="Looking into it.",
                        status=config.lifecycle.reopen_state())
            counts["actions"] += 2
        except SupportctlError:   # e.g. a transition the lifecycle does not allow
            counts["errors"] += 1
    return counts


def check_one(tmp_path: Path, data: bytes) -> str:
    """Load one mutated config and, if it loads, drive it; returns 'ok' or 'rejected'."""
    path = tmp_path / "supportctl.yml"
    path.write_bytes(data)
    with deadline():
        result = load(path)
        if isinstance(result, ConfigError):
            return "rejected"
        drive(result)
    return "ok"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=configs())
def test_a_mutated_config_loads_or_is_a_config_error_and_a_loaded_one_works(tmp_path, data):
    check_one(tmp_path, data)


def test_the_unmutated_bases_load_and_drive_every_sample_ticket(tmp_path):
    for text in BASES:
        assert check_one(tmp_path, text.encode()) == "ok"
    config = load_config(REPO / "supportctl.yml")
    assert drive(config)["evaluated"] == 2 * len(sample_tickets())
