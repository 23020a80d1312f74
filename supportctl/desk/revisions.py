"""Ticket files as they were at a git revision (`check --since`), read from git without touching the work tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from supportctl.base.datatypes import datatype
from supportctl.desk.git import _run
from supportctl.errors import SupportctlError, UsageError

_FETCH_HINT = ("name a commit, branch or tag this clone has; in CI fetch it first (`git fetch origin main`, "
               "or actions/checkout with fetch-depth: 0)")


@datatype
class Base:
    """The commit a comparison starts from, and how to name it to people."""

    sha: str
    label: str

    @property
    def name(self) -> str:
        """How git can name it: the revision as given, or the commit when it was worked out."""
        return self.label if "..." not in self.label and " " not in self.label else self.sha[:12]


def resolve(root: Path, rev: str) -> Base:
    """The commit to compare the work tree with.

    `A...B` is the merge base of A and B, as in `git diff A...B`. A plain REV
    that is not an ancestor of HEAD (the branch has fallen behind it) is
    replaced by the merge base of REV and HEAD: what REV gained since the
    branch left it is not this branch's change, and would otherwise read as
    records this branch deleted.
    """
    rev = rev.strip()
    if not rev or rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision", hint=_FETCH_HINT)
    if "..." in rev:
        left, _, right = rev.partition("...")
        a, b = _commit(root, left or "HEAD"), _commit(root, right or "HEAD")
        return Base(_merge_base(root, a, b, rev), rev)
    sha = _commit(root, rev)
    head = _run(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).stdout.strip()
    if not head or _run(root, "merge-base", "--is-ancestor", sha, head, check=False).returncode == 0:
        return Base(sha, rev)
    base = _merge_base(root, sha, head, rev)
    return Base(base, f"{rev} (merge base {base[:10]})")


def _commit(root: Path, rev: str) -> str:
    proc = _run(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(f"unknown revision {rev!r}", hint=_FETCH_HINT)
    return proc.stdout.strip()


def _merge_base(root: Path, a: str, b: str, rev: str) -> str:
    proc = _run(root, "merge-base", a, b, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(f"{rev!r} and this branch have no common history",
                         hint="a shallow clone lacks it: fetch more history (fetch-depth: 0 in actions/checkout)")
    return proc.stdout.split()[0]


def changed_files(root: Path, base: Base, folder: str) -> list[tuple[str, str]]:
    """(status letter, path relative to `root`) of Markdown files under `folder` that differ from `base`.

    The work tree is compared (what `check` reads), renames are split into a
    deletion and an addition; README.md and dot files are no tickets.
    """
    proc = _run(root, "diff", "--name-status", "-z", "--no-renames", "--relative", base.sha, "--", f"{folder}/")
    items = proc.stdout.split("\0")
    out = []
    for status, path in zip(items[0::2], items[1::2]):
        name = path.rsplit("/", 1)[-1]
        if path.endswith(".md") and name != "README.md" and not any(p.startswith(".") for p in path.split("/")):
            out.append((status[:1], path))
    return out


def read_files(root: Path, base: Base, paths: list[str]) -> dict[str, bytes]:
    """The bytes of each path (relative to `root`) at `base`, in one `git cat-file --batch`; missing ones left out."""
    if not paths:
        return {}
    prefix = _run(root, "rev-parse", "--show-prefix").stdout.strip()
    request = "".join(f"{base.sha}:{prefix}{path}\n" for path in paths).encode("utf-8")
    try:
        proc = subprocess.run(["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True)
    except OSError as exc:
        raise SupportctlError(f"cannot run git cat-file: {exc.strerror}", hint="install git") from None
    if proc.returncode != 0:
        raise SupportctlError(f"git cat-file failed: {proc.stderr.decode('utf-8', 'replace').strip()}",
                              hint="run `git fsck` to see what the repository lacks")
    data, pos, out = proc.stdout, 0, {}
    for path in paths:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            out[path] = data[pos:pos + size]
            pos += size + 1
    return out
