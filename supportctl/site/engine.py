"""The site engine (mkdocs, properdocs or zensical) as a child process.

A build starts the engine before it checks and stages the KB: the engine's own start-up (a third of a
second of imports on a 1,000-article desk) then runs on the other core while supportctl works, and the
engine builds when told to go. Given up before that, it exits having read and written nothing."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from supportctl.errors import SupportctlError
from supportctl.site.mkdocs import MkdocsInfo

# How often the engine's output is looked at while it runs (a 1,000-article build writes ~100 pages a second).
POLL_SECONDS = 0.25

# Run as `python -c` with: the go pipe's fd, the ready pipe's fd, the engine's module, what to import
# (JSON), then the engine's arguments. It imports what every build of this mkdocs.yml imports, says when
# it is ready, and waits: "g" runs the engine exactly as `python -m <module>` would; anything else (the
# build was given up, or supportctl died and the pipe closed) exits at once.
_PROLOGUE = r"""
import importlib, json, os, runpy, sys, time
go_fd, ready_fd, module, warm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
try:
    from importlib.metadata import entry_points
    for ep in entry_points(group="mkdocs.plugins"):
        if ep.name in warm["plugins"]:
            ep.load()
except Exception:
    pass
for name in warm["modules"]:
    try:
        importlib.import_module(name)
    except Exception:
        pass                        # the engine meets it again, and reports it as it always would
try:
    os.write(ready_fd, repr(time.monotonic()).encode())
except OSError:
    pass                            # told to go before it was ready: nobody asks any more
os.close(ready_fd)
if os.read(go_fd, 1) != b"g":
    sys.exit(0)
os.close(go_fd)
sys.argv = [module] + sys.argv[5:]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def engine_command(engine: str, action: str) -> list[str]:
    """The command line that runs `engine` (mkdocs, properdocs or zensical) with `action`."""
    if engine in ("mkdocs", "properdocs"):
        return [sys.executable, "-m", engine, action]
    exe = shutil.which(engine)
    if exe is None:
        raise SupportctlError(f"site engine {engine!r} is not installed", hint=f"pip install {engine}, or set "
                              "site.engine: mkdocs in supportctl.yml")
    return [exe, action]


def engine_env(config: Any) -> dict[str, str]:
    """The engine's environment: SUPPORTCTL_OFFLINE switches mkdocs.yml's offline plugin."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SUPPORTCTL_OFFLINE":
            "true" if (config is not None and config.site.offline) else "false"}


def warm_imports(engine: str, mk: MkdocsInfo) -> dict[str, list[str]]:
    """What a build of `mk` imports before it reads a page: the engine, the theme, the plugins (by entry
    point name, the theme's own first) and the Markdown extensions."""
    modules = ["click", f"{engine}.commands.build", f"{engine}.config.defaults"]
    if mk.theme_name:
        modules.append(mk.theme_name)
    for ext in mk.data.get("markdown_extensions") or []:
        name = next(iter(ext), None) if isinstance(ext, dict) else ext
        if isinstance(name, str) and name:
            modules.append(name if "." in name else f"markdown.extensions.{name}")
    plugins = [p for name in mk.plugin_names() for p in (f"{mk.theme_name}/{name}", name)]
    return {"modules": modules, "plugins": plugins}


class EngineRun:
    """One `<engine> build --strict` into `out`: started at once where it can be, built on `go()`."""

    def __init__(self, root: Path, config: Any, mk: MkdocsInfo, out: Path) -> None:
        engine = config.site.engine if config is not None else "mkdocs"
        # Run --strict WITHOUT -q or -v: with either, mkdocs 1.6 exits 0 despite
        # warnings (mkdocs#4126, #3991), so a broken link would pass unnoticed.
        args = ["--strict", "--clean", "-f", str(mk.path), "-d", str(out)]
        if engine == "zensical":
            args = ["-f", str(mk.path)]
        self.cmd, self.args = engine_command(engine, "build") + args, ["build"] + args
        self.engine, self.root, self.env = engine, root, engine_env(config)
        # The log goes to a file, not a pipe: nobody reads a pipe while the checks work, and a full one would stall.
        self.log_file = tempfile.TemporaryFile()
        self.proc: subprocess.Popen | None = None
        self.go_w = self.ready_r = -1
        self.started = time.monotonic()
        self.idle = 0.0                 # time the engine sat ready, waiting for the staged pages
        self.seconds = 0.0              # the engine's time: start to end, less `idle`
        if engine in ("mkdocs", "properdocs") and os.name == "posix":
            self._prestart(warm_imports(engine, mk))

    def _prestart(self, warm: dict[str, list[str]]) -> None:
        go_r, self.go_w = os.pipe()
        self.ready_r, ready_w = os.pipe()
        try:
            self.proc = self._popen([sys.executable, "-c", _PROLOGUE, str(go_r), str(ready_w), self.engine,
                                     json.dumps(warm)] + self.args, pass_fds=(go_r, ready_w))
        except BaseException:
            self.close()
            raise
        finally:
            os.close(go_r)
            os.close(ready_w)

    def _popen(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen:
        return subprocess.Popen(cmd, cwd=self.root, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                stderr=subprocess.STDOUT, env=self.env, **kwargs)

    def go(self) -> None:
        """Build now: the pages are staged."""
        now = time.monotonic()
        if self.proc is None:
            self.started = now
            self.proc = self._popen(self.cmd)
            return
        if select.select([self.ready_r], [], [], 0)[0]:
            try:
                self.idle = max(0.0, now - float(os.read(self.ready_r, 64) or now))
            except ValueError:
                pass
        try:
            os.write(self.go_w, b"g")
        except BrokenPipeError:
            pass                        # it died starting: wait() reports its log
        self._close_pipes()

    def wait(self, during: Callable[[], None] | None = None) -> str:
        """Wait for the build, calling `during` every POLL_SECONDS; its log. Raise with the warnings if it failed."""
        assert self.proc is not None
        proc = self.proc
        while True:
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if during is not None:
                    during()
        self.seconds = time.monotonic() - self.started - self.idle
        self.log_file.seek(0)
        log = self.log_file.read().decode("utf-8", errors="replace").replace("\r\n", "\n")
        self.close()
        if proc.returncode != 0:
            lines = [ln for ln in log.splitlines() if ln.startswith(("WARNING", "ERROR")) or "Error" in ln]
            first = lines[0] if lines else (log.strip().splitlines() or ["(no output)"])[-1]
            raise SupportctlError(f"{self.engine} build failed: {_clean(first)}",
                                  hint="; ".join(_clean(ln) for ln in lines[1:4]) or "run the build again to see the log")
        return log

    def close(self) -> None:
        """Stop the engine if it still runs (the build was given up or interrupted) and free what it held."""
        self._close_pipes()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()

    def _close_pipes(self) -> None:
        for fd in (self.go_w, self.ready_r):
            if fd >= 0:
                os.close(fd)
        self.go_w = self.ready_r = -1


def _clean(line: str) -> str:
    return " ".join(line.replace("WARNING -", "").replace("ERROR -", "").split())
