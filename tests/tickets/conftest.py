"""A copy of the sample desk (the repository's own tickets/, kb/, templates/), built once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLE = ("supportctl.yml", "mkdocs.yml", "tickets", "kb", "templates", "overrides")


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample") / "desk"
    root.mkdir()
    for name in SAMPLE:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, symlinks=True)
        elif src.exists():
            shutil.copy2(src, root / name)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root.parent), "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "sample desk"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    return root


@pytest.fixture
def sample_desk(sample_template, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the sample desk (with its git history) as the working directory."""
    root = tmp_path / "desk"
    shutil.copytree(sample_template, root, symlinks=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SUPPORTCTL_AGENT", next(iter(_agents(root))))
    monkeypatch.setenv("SUPPORTCTL_NOW", "2026-11-23T16:00:00+00:00")
    return root


def _agents(root: Path):
    from supportctl.config.model import load_config

    return load_config(root / "supportctl.yml").agent_map()
