"""The console script's entry point, kept free of imports so `--version` answers at once."""

import gc
import os
import sys

# The cyclic collector's first generation runs after this many new objects (Python's default: 700).
# A command builds far more objects than it frees: start-up imports alone make some
# 100,000 that live to the end, and a big desk's listing millions. With the default,
# the collector walked them again and again: 10 ms of every command's start (of ~150),
# 0.3 s of `queue` at 100,000 tickets. Cycles are still collected, in larger batches.
GC_FIRST_GENERATION = 100_000


def main() -> None:
    gc.set_threshold(GC_FIRST_GENERATION, *gc.get_threshold()[1:])
    if sys.argv[1:] == ["--version"]:
        from supportctl import __version__

        print(f"supportctl {__version__}")
        return
    if sys.argv[1:2] == ["merge-driver"] and len(sys.argv) in (5, 6) and not any(
            a.startswith("-") for a in sys.argv[2:]):
        sys.exit(merge_driver(*sys.argv[2:]))
    from supportctl.cli import main as cli_main

    try:
        cli_main()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)


def leave(code: object) -> None:
    """Exit with `code` as `sys.exit` would, without tearing the interpreter down.

    Everything a command writes is written and closed by then (atomic
    writes, the lock, git and worker processes), so freeing every module
    and object one by one only costs time: 7-10 ms on each command, about
    a seventh of importing Typer. Output is flushed first; a reader that
    went away (`| head`) is not an error.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):   # the reader closed the pipe; a stream already closed
            pass
    os._exit(code)


def merge_driver(base: str, ours: str, theirs: str, path: str = "") -> int:
    """`merge-driver %O %A %B %P` as git runs it, without Typer and the CLI.

    git starts the driver once per ticket both branches changed; importing
    the CLI (Typer alone ~70 ms, more on a busy machine) would double the time
    of a merge that touches many tickets. The output is the CLI's, uncoloured
    (git shows it as it is).
    """
    from pathlib import Path

    from supportctl.services.desk import merge_driver as run

    name = path or ours
    outcome = run(Path(base), Path(ours), Path(theirs), name)
    if outcome.problem is not None:
        print(f"error: {outcome.problem}", file=sys.stderr)
        if outcome.problem.hint:
            print(f"hint: {outcome.problem.hint}", file=sys.stderr)
    for conflict in outcome.conflicts:
        print(f"{name}: {conflict}", file=sys.stderr)
    return 0 if outcome.clean else 1
