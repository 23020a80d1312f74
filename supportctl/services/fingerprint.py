"""What a cache of engine results depends on besides each ticket file: the config, customers, holidays data and code."""

from __future__ import annotations

from pathlib import Path

try:   # the interpreter's own BLAKE2: `hashlib` loads OpenSSL first, 3-4 ms of every read command
    from _blake2 import blake2b
except ImportError:   # another Python
    from hashlib import blake2b

from supportctl.desk.store import regular_file
from supportctl.services.session import Session


def engine_fingerprint(session: Session, version: str, code: tuple[str, ...]) -> str:
    """A digest of supportctl.yml, the customer files, the holidays package and `code` (paths in the package).

    Empty when the config cannot be read: nothing is cached then. Code counts
    as `code_digest` says, so an edited checkout of supportctl invalidates what it computed.
    """
    import supportctl

    h = blake2b(digest_size=16)
    h.update(f"{version} {supportctl.__version__}".encode())
    try:
        h.update(session.desk.config_path.read_bytes())
    except OSError:
        return ""
    # Policies may match on organisation and plan: the customer files count like the config.
    folder = session.desk.root / "customers"
    for item in sorted(folder.rglob("*.yml")) if folder.is_dir() else []:
        if not regular_file(session.desk.root, item.relative_to(session.desk.root).as_posix()):
            continue
        try:
            h.update(item.read_bytes())
        except OSError:
            pass
    from supportctl.sla.holidays import package_version   # not `import holidays`: that alone costs ~0.2 s

    h.update(package_version().encode())
    h.update(code_digest(Path(supportctl.__file__).parent, supportctl.__version__, code))
    return h.hexdigest()


def code_digest(package: Path, version: str, code: tuple[str, ...]) -> bytes:
    """What stands for supportctl's `code`: an installed build's RECORD, else each file's stat.

    pip writes each installed file's hash into RECORD, the same in every
    install of one build, so a CI runner that installs supportctl afresh
    and restores `.supportctl/cache` keeps its saved results. An editable
    checkout has no RECORD of its files: there an edit counts by stat.
    """
    try:
        return (package.parent / f"{package.name}-{version}.dist-info" / "RECORD").read_bytes()
    except OSError:
        pass
    h = blake2b(digest_size=16)
    for rel in code:
        path = package / rel
        for item in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            try:
                st = item.stat()
            except OSError:
                continue
            h.update(f"{item.name} {st.st_mtime_ns} {st.st_size}".encode())
    return h.digest()
