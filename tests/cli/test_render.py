"""Terminal output helpers that touch the process's streams."""

from __future__ import annotations

import fcntl
import io
import os

from supportctl.cli.render import widen_pipe

F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)


def test_a_pipe_on_stdout_gets_room_for_a_long_listing_and_anything_else_is_left_alone(tmp_path):
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as stream, os.fdopen(read_end, "r"):
        before = fcntl.fcntl(write_end, F_GETPIPE_SZ)
        widen_pipe(stream)
        assert fcntl.fcntl(write_end, F_GETPIPE_SZ) >= min(1 << 20, int(open("/proc/sys/fs/pipe-max-size").read()))
        assert fcntl.fcntl(write_end, F_GETPIPE_SZ) >= before
    with open(tmp_path / "out.json", "w") as stream:
        widen_pipe(stream)   # a file: nothing to widen, no error
    widen_pipe(io.StringIO())   # captured output (no file descriptor): no error
