"""Where ticket files live: flat in tickets/, or sharded into folders by the first characters of the id."""

from __future__ import annotations

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.services.session import Session
from supportctl.tickets.model import SHARD_LENGTH, ticket_id_of, ticket_path


@datatype
class Layout:
    """What `shard` did: the layout now, each file moved (old path, new path), the commit."""

    sharded: bool
    moved: list[tuple[str, str]]
    config_changed: bool
    sha: str | None = None


def shard(session: Session, *, flat: bool = False, commit: bool = True) -> Layout:
    """Move every ticket where the layout puts it and set `desk.tickets_sharded`, in one commit.

    Sharded, `tickets/7QH2KD.md` moves to `tickets/7Q/7QH2KD.md`; with
    `flat` every ticket moves back to `tickets/`. Run again after a merge
    brings tickets made in the other layout: it moves only those.
    """
    from supportctl.config.edit import with_desk_setting
    from supportctl.desk import git as gitops

    desk, sharded = session.desk, not flat
    with desk.lock():
        # The commit moves files as committed: an edit in progress would go in under the move's name.
        pending = gitops.dirty(desk.root, "tickets") if commit else []
        if pending:
            shown = ", ".join(pending[:3]) + (", ..." if len(pending) > 3 else "")
            raise SupportctlError(f"{len(pending)} ticket file(s) have changes that are not committed: {shown}",
                                  hint="commit or stash them first (`git status tickets`), then run this again")
        config_text = desk.config_path.read_text(encoding="utf-8")
        new_text = config_text
        if session.config.desk.tickets_sharded != sharded:
            new_text = with_desk_setting(config_text, "tickets_sharded", "true" if sharded else "false")
        files = session.tickets.files(stat=False)
        moves: dict[str, str] = {}
        claimed: dict[str, str] = {}
        for rel in sorted(files):
            ticket_id = ticket_id_of(rel)
            want = ticket_path(ticket_id, sharded)
            if want == rel:
                continue
            other = want if want in files else claimed.get(want)
            if other is not None:
                raise SupportctlError(f"two files for ticket {ticket_id}: {other} and {rel}", path=rel,
                                      hint="`supportctl check` reports duplicate ids; give one ticket a new id, "
                                           "then run this again")
            claimed[want] = rel
            moves[rel] = want
        changed = new_text != config_text
        layout = Layout(sharded, sorted(moves.items()), changed)
        if not moves and not changed:
            return layout
        where = (f"into folders by the first {SHARD_LENGTH} characters of the id" if sharded
                 else "back into tickets/")
        message = f"supportctl: tickets {where} ({len(moves)} moved)"
        layout.sha = desk.move_files(moves, {"supportctl.yml": new_text} if changed else {}, message,
                                     author=session.author(), commit=commit)
    return layout
