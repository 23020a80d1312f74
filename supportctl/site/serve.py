"""`site serve`: the engine's dev server, re-staged whenever kb/ or supportctl.yml changes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from supportctl.config.model import load_config
from supportctl.errors import SupportctlError
from supportctl.site.engine import engine_command, engine_env
from supportctl.site.mkdocs import read_mkdocs
from supportctl.site.stage import stage


def serve(root: Path, config: Any, *, addr: str = "127.0.0.1:8000", poll: float = 1.0,
          tickets: list[Any] | None = None) -> int:
    """Stage, run the engine's dev server and re-stage whenever kb/ or supportctl.yml changes."""
    mk = read_mkdocs(root)
    st = stage(root, config, mk=mk, tickets=tickets)
    engine = config.site.engine if config is not None else "mkdocs"
    cmd = engine_command(engine, "serve") + ["-f", str(mk.path), "-a", addr]
    proc = subprocess.Popen(cmd, cwd=root, env=engine_env(config))
    signature = _kb_signature(root)
    print(f"serving {len(st.articles)} public articles at http://{addr}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        while proc.poll() is None:
            time.sleep(poll)
            current = _kb_signature(root)
            if current != signature:
                signature = current
                try:
                    cfg = load_config(root / "supportctl.yml")
                    st = stage(root, cfg, mk=read_mkdocs(root), tickets=tickets)
                    print(f"re-staged: {st.written} written, {st.removed} removed", file=sys.stderr)
                except SupportctlError as exc:
                    print(f"error: {exc}", file=sys.stderr)
        return proc.returncode or 0
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return 0


def _kb_signature(root: Path) -> tuple:
    """What changes when kb/ or supportctl.yml is edited: paths, mtimes and sizes."""
    items = []
    for dirpath, _, filenames in os.walk(root / "kb"):
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))  # a dangling symlink must not stop the preview
            items.append((dirpath, name, st.st_mtime_ns, st.st_size))
    cfg = root / "supportctl.yml"
    if cfg.exists():
        items.append(("", "supportctl.yml", cfg.stat().st_mtime_ns, 0))
    return tuple(sorted(items))
