"""What a cache of engine results depends on besides each ticket file: the config, customers, holidays data and code."""

from __future__ import annotations

import hashlib
from pathlib import Path

from supportctl.desk.store import regular_file
from supportctl.services.session import Session


def engine_fingerprint(session: Session, version: str, code: tuple[str, ...]) -> str:
    """A digest of supportctl.yml, the customer files, the holidays package and `code` (paths in the package).

    Empty when the config cannot be read: nothing is cached then. Code counts
    by stat, so an edited checkout of supportctl invalidates what it computed.
    """
    import supportctl

    h = hashlib.blake2b(digest_size=16)
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
    package = Path(supportctl.__file__).parent
    for rel in code:
        path = package / rel
        for item in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            try:
                st = item.stat()
            except OSError:
                continue
            h.update(f"{item.name} {st.st_mtime_ns} {st.st_size}".encode())
    return h.hexdigest()
