"""Article suggestions: SQLite FTS5 over the KB, ranked with bm25.

The index lives in `.supportctl/cache/kb-search.sqlite` and is brought up to
date on every call by comparing each article's stat (mtime, size, inode) with
the one stored, so only edited files are re-read; a missing or broken cache
is simply rebuilt. Tokens go through the `porter unicode61` tokenizer, so
"exporting", "exports" and "export" match. bm25 weights the title above the
tags and the description, and those above the body.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from supportctl.base.datatypes import datatype
from supportctl.kb.files import article_files

if TYPE_CHECKING:
    from supportctl.kb.model import Article

SCHEMA_VERSION = 2
# Column weights for bm25(), in column order (slug and the unindexed columns first).
WEIGHTS = {"slug": 0.0, "title": 8.0, "tags": 4.0, "description": 3.0, "body": 1.0}
MAX_TERMS = 48
# A file changed this recently may change again within the same mtime tick
# without its stat changing (git's "racily clean" problem): not trusted.
RACY_NS = 2_000_000_000

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further get got had hadn't has hasn't have haven't having he her here hers herself him himself
his how i i'd i'm i've if in into is isn't it it's its itself just let's like me more most much my myself no
nor not now of off on once only or other our ours ourselves out over own same she should shouldn't so some
still such than that that's the their theirs them themselves then there there's these they they're this
those through to too under until up us very was wasn't we we're were weren't what what's when where which
while who whom why will with won't would wouldn't you you're your yours yourself yourselves also already
hi hello hey dear thanks thank thx please regards best cheers team kind sorry asap urgent help issue problem
question ticket anyone someone something anything know need needs want wanted trying tried try today
yesterday tomorrow since still again even see seems seem way one two use using used able unable work works
working doesnt dont cant wont im ive would could should via per etc ok okay yes
last week weeks month months day days year years ago never ever morning afternoon evening monday tuesday
wednesday thursday friday saturday sunday noticed happened happens happening reached getting says said
""".split())

_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@datatype
class Hit:
    """One article a search found, best first, with a snippet around the words."""

    slug: str
    title: str
    category: str
    status: str
    visibility: str
    score: float                   # higher is better (bm25, sign flipped)
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "title": self.title, "category": self.category, "status": self.status,
                "visibility": self.visibility, "score": round(self.score, 3), "snippet": self.snippet}


def query_terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """Distinct content words of `text`, in order of first appearance."""
    seen: list[str] = []
    for m in _WORD_RE.finditer(text.lower()):
        word = m.group(0).replace("’", "'")
        if word in STOPWORDS or len(word) < 2 or word.isdigit():
            continue
        word = word.split("'")[0]
        if word and word not in seen and word not in STOPWORDS:
            seen.append(word)
            if len(seen) >= limit:
                break
    return seen


def fts_query(terms: Iterable[str]) -> str:
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


class KbIndex:
    """An FTS5 index of a desk's articles, kept in step with the files."""

    def __init__(self, root: Path, db_path: Path | str | None = None) -> None:
        self.root = root
        self.db_path = str(db_path) if db_path is not None else ":memory:"
        self.conn = self._open()

    # ----------------------------------------------------------------- db
    def _open(self) -> sqlite3.Connection:
        if self.db_path != ":memory:":
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = self._connect()
        except sqlite3.DatabaseError:
            # A corrupt cache is just a cache: start over.
            Path(self.db_path).unlink(missing_ok=True)
            conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            conn.executescript("""
                DROP TABLE IF EXISTS files;
                DROP TABLE IF EXISTS docs;
                CREATE TABLE files (path TEXT PRIMARY KEY, stat TEXT NOT NULL, doc INTEGER);
                CREATE VIRTUAL TABLE docs USING fts5(
                    slug UNINDEXED, title, tags, description, body,
                    category UNINDEXED, status UNINDEXED, visibility UNINDEXED,
                    tokenize = 'porter unicode61 remove_diacritics 2');
            """)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.commit()
        return conn

    def close(self) -> None:
        self.conn.close()

    # --------------------------------------------------------------- sync
    def sync(self) -> int:
        """Re-index articles whose file changed; return how many were (re)read."""
        files = article_files(self.root / "kb")
        known = {path: (stat, doc) for path, stat, doc in self.conn.execute("SELECT path, stat, doc FROM files")}
        now_ns = time.time_ns()
        changed = 0
        cur = self.conn.cursor()
        for path in set(known) - set(files):
            cur.execute("DELETE FROM docs WHERE rowid = ?", (known[path][1],))
            cur.execute("DELETE FROM files WHERE path = ?", (path,))
            changed += 1
        for path, st in files.items():
            key = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"
            old = known.get(path)
            if old is not None and old[0] == key:
                continue
            changed += 1
            if old is not None and old[1] is not None:
                cur.execute("DELETE FROM docs WHERE rowid = ?", (old[1],))
            doc = None
            from supportctl.kb.model import KbProblem, parse_article   # only for a changed file

            try:
                with open(self.root / path, encoding="utf-8") as fh:
                    article = parse_article(fh.read(), path)
            except (KbProblem, UnicodeDecodeError, OSError):
                article = None
            if article is not None:
                cur.execute("INSERT INTO docs (slug, title, tags, description, body, category, status, visibility) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _row(article))
                doc = cur.lastrowid
            racy = now_ns - st.st_mtime_ns < RACY_NS
            cur.execute("INSERT OR REPLACE INTO files (path, stat, doc) VALUES (?, ?, ?)",
                        (path, "racy" if racy else key, doc))
        if changed:
            self.conn.commit()
        return changed

    def add(self, articles: Iterable[Article]) -> None:
        """Index articles directly (for tests and benchmarks without a desk on disk)."""
        cur = self.conn.cursor()
        for a in articles:
            cur.execute("INSERT INTO docs (slug, title, tags, description, body, category, status, visibility) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _row(a))
        self.conn.commit()

    # ------------------------------------------------------------- search
    def search(self, text: str, *, title: str = "", limit: int = 5, statuses: Iterable[str] = ("published",),
               visibilities: Iterable[str] = ("public", "internal"), mark: tuple[str, str] = ("**", "**"),
               ) -> list[Hit]:
        """The best articles for a ticket's `title` and `text` (its messages), best first.

        A ticket's title is the customer's own summary, while its messages
        carry greetings, dates and story ("since last week", "it reached"):
        rare words that would otherwise outweigh the topic. FTS5 has no query
        term weights, so the title's terms are scored twice: bm25 over every
        term, plus bm25 over the title's terms alone.
        """
        head = query_terms(title)
        terms = query_terms(title + "\n" + text)
        if not terms:
            return []
        statuses, visibilities = list(statuses), list(visibilities)
        weights = ", ".join(str(w) for w in (*WEIGHTS.values(), 0.0, 0.0, 0.0))
        filters = (f"status IN ({', '.join('?' * len(statuses))}) "
                   f"AND visibility IN ({', '.join('?' * len(visibilities))})")
        pool = max(limit * 4, 20)
        # FTS5's own `rank` column, set to the weighted bm25: FTS5 then hands the rows over best first
        # and snippet() runs for the rows kept only, not for every article that matched (a query of
        # common words matches most of a KB: 996 of 1,000 articles, 8 ms of snippets against 2.6 ms).
        sql = (f"SELECT rowid, slug, title, category, status, visibility, rank, "
               f"snippet(docs, 4, ?, ?, '…', 14) FROM docs WHERE docs MATCH ? AND rank MATCH ? "
               f"AND {filters} ORDER BY rank LIMIT ?")
        rows = self.conn.execute(sql, (mark[0], mark[1], fts_query(terms), f"bm25({weights})", *statuses,
                                       *visibilities, pool)).fetchall()
        bonus: dict[int, float] = {}
        if head and rows:
            ids = [r[0] for r in rows]
            bonus = dict(self.conn.execute(
                f"SELECT rowid, bm25(docs, {weights}) FROM docs WHERE docs MATCH ? "
                f"AND rowid IN ({', '.join('?' * len(ids))})", (fts_query(head), *ids)).fetchall())
        hits = [Hit(slug, t, category, status, visibility, -rank - bonus.get(rowid, 0.0), " ".join(snippet.split()))
                for rowid, slug, t, category, status, visibility, rank, snippet in rows]
        hits.sort(key=lambda h: -h.score)
        return hits[:limit]


def _row(a: Article) -> tuple:
    return (a.slug, a.title, " ".join(a.tags).replace("-", " "), a.description, a.body, a.category, a.status,
            a.visibility)


def ticket_text(ticket: Any) -> tuple[str, str]:
    """What a ticket is about: (its title, its tags and the customer's messages).

    Tags go with the messages, not the title: many are process labels
    ("sla-breach", "feature-request") rather than the topic.
    """
    parts = [" ".join(str(t).replace("-", " ") for t in (ticket.meta.get("tags") or []))]
    parts += [record.body for record in ticket.records if record.kind == "message" and record.role == "customer"]
    return ticket.title, "\n".join(parts)


def open_index(root: Path, cache_dir: Path | None = None) -> KbIndex:
    """The desk's index, synced with the files (cached on disk unless the cache is unwritable)."""
    cache = cache_dir if cache_dir is not None else root / ".supportctl" / "cache"
    override = os.environ.get("SUPPORTCTL_CACHE_DIR")
    if override and cache_dir is None:
        cache = Path(override)
    try:
        index = KbIndex(root, cache / "kb-search.sqlite")
        index.sync()
    except (OSError, sqlite3.Error):
        index = KbIndex(root)
        index.sync()
    return index


def suggest(root: Path, text: str, *, title: str = "", limit: int = 5, include_drafts: bool = False,
            cache_dir: Path | None = None, mark: tuple[str, str] = ("**", "**")) -> list[Hit]:
    statuses = ("draft", "review", "published") if include_drafts else ("published",)
    index = open_index(root, cache_dir)
    try:
        return index.search(text, title=title, limit=limit, statuses=statuses, mark=mark)
    finally:
        index.close()
