"""Work split over this process and forked children (desk.store.in_workers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supportctl.desk.store import in_workers

PARENT = os.getpid()


def _square(items: list) -> dict:
    return {n: (n * n, os.getpid()) for n in items}


def _parts(out: dict) -> set[int]:
    return {pid for _, pid in out.values()}


def test_every_item_is_done_once_and_the_work_is_shared():
    out = in_workers(_square, list(range(100)), parallel_from=10)
    assert {n: sq for n, (sq, _) in out.items()} == {n: n * n for n in range(100)}
    if (os.cpu_count() or 1) >= 2:
        assert PARENT in _parts(out) and len(_parts(out)) >= 2   # this process works too


def test_few_items_stay_in_this_process():
    assert _parts(in_workers(_square, list(range(5)), parallel_from=10)) == {os.getpid()}


def _child_crashes(items: list) -> dict:
    if os.getpid() != PARENT:
        os._exit(3)
    return _square(items)


def _child_sends_what_marshal_refuses(items: list) -> dict:
    return {n: object() if os.getpid() != PARENT else (n * n, os.getpid()) for n in items}


def _child_raises(items: list) -> dict:
    if os.getpid() != PARENT:
        raise RuntimeError("boom")
    return _square(items)


@pytest.mark.parametrize("work", [_child_crashes, _child_sends_what_marshal_refuses, _child_raises])
def test_a_child_that_fails_has_its_part_done_here(work):
    out = in_workers(work, list(range(50)), parallel_from=10)
    assert {n: sq for n, (sq, _) in out.items()} == {n: n * n for n in range(50)}
    assert _parts(out) == {PARENT}


def test_a_failure_here_leaves_no_child_behind():
    import time

    def fails_here(items: list) -> dict:
        if os.getpid() == PARENT:
            raise KeyError("here")
        time.sleep(60)   # a child still at work
        return _square(items)

    before, start = _children(), time.monotonic()
    with pytest.raises(KeyError):
        in_workers(fails_here, list(range(50)), parallel_from=10)
    assert time.monotonic() - start < 30   # killed, not waited for
    assert _children() == before   # and reaped: not even a zombie


def _children() -> set[int]:
    """The pids whose parent is this process (/proc), zombies included."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def test_work_aside_runs_in_a_child_while_this_process_goes_on():
    from supportctl.desk.store import aside

    before = _children()
    result = aside(lambda: {"pid": os.getpid(), "items": [1, 2, 3]})
    out = result()
    assert out["items"] == [1, 2, 3]
    if (os.cpu_count() or 1) >= 2:
        assert out["pid"] != PARENT
    assert _children() == before                 # reaped


@pytest.mark.parametrize("how", ["crash", "raise", "unmarshallable"])
def test_work_aside_that_fails_in_its_child_is_done_here_and_raises_here(how):
    from supportctl.desk.store import aside

    def work():
        if os.getpid() != PARENT:
            if how == "crash":
                os._exit(3)
            if how == "raise":
                raise RuntimeError("in the child")
            return object()
        if how == "raise":
            raise RuntimeError("here too")
        return os.getpid()

    before = _children()
    result = aside(work)
    if how == "raise":
        with pytest.raises(RuntimeError, match="here too"):
            result()
    else:
        assert result() == PARENT
    assert _children() == before
