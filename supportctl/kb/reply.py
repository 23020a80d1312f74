"""`ticket reply --kb`: put articles' public links into a reply, and have each article record the ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.kb.edits import record_ticket
from supportctl.kb.model import Article, Kb, public_url

if TYPE_CHECKING:
    from supportctl.config.model import Config


@datatype(frozen=True)
class KbReply:
    """What linking articles into a reply changes."""

    text: str                      # the reply text, with a link line for each article it did not mention yet
    files: dict[str, str]          # article path -> new article text (the ticket added to `tickets:`)
    slugs: list[str]               # the articles, in the order given, without repeats

    def new_links(self, linked: Iterable[str]) -> list[str]:
        """The slugs to record on the ticket: those not in its `kb` list yet."""
        have = set(linked)
        return [s for s in self.slugs if s not in have]


def reply_links(kb: Kb, config: Config, ticket_id: str, slugs: list[str], text: str | None) -> KbReply:
    """The reply `text` with the public links of the articles `slugs`, and the articles recording `ticket_id`."""
    if not config.desk.url:
        # A site-relative link in an email leads nowhere.
        raise SupportctlError("the help site has no public address, so the reply would carry a dead link",
                              hint="set desk.url in supportctl.yml, e.g. url: https://help.example.com")
    chosen: list[Article] = []
    for slug in slugs:
        article = kb.get(slug)
        if not article.public:
            raise SupportctlError(f"{article.slug} is {article.status} {article.visibility}: it has no public link",
                                  hint="customers can only open published public articles; link internal ones "
                                       "in a note instead")
        if article not in chosen:
            chosen.append(article)
    urls = [public_url(a, config) for a in chosen]
    missing = [f"{a.title}: {url}" for a, url in zip(chosen, urls) if url not in (text or "")]
    body = (text or "").rstrip()
    if missing:
        intro = "" if body else ("This article explains it step by step:" if len(missing) == 1
                                 else "These articles explain it step by step:")
        body = (body + "\n\n" if body else intro + "\n\n") + "\n".join(missing)
    files = {a.path: record_ticket(a, ticket_id) for a in chosen}
    return KbReply(body, files, [a.slug for a in chosen])
