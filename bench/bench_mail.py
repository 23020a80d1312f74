"""Benchmark the mail channel: `mail import` of a large mbox and `mail send` to a local SMTP server.

    python bench/bench_mail.py [--sizes 1000,3000,10000] [--send 1000] [--keep DIR]

(a) `supportctl mail import` of an mbox of N realistic messages (new tickets, replies threaded
by subject tag and by In-Reply-To, HTML-only and multipart/alternative mail, attachments,
non-ASCII names, subjects and bodies, some auto-replies) into a fresh desk made with
`supportctl init`: one CLI run, one commit, timed end to end with its peak RSS, beside the
floor: the standard library's `email` parser (policy=default) reading the same messages and
their bodies (get_body / get_content, and the attachments' get_content). Goal: <= 3x the floor.

(b) `supportctl mail send` of M replies to a local aiosmtpd server (messages/second) beside a
bare smtplib loop sending M comparable messages to the same server over one connection.

The messages are generated here, seeded: the same sizes give the same mailboxes. Each figure
is printed beside its floor or goal, at several sizes so growth shows. Not a timed test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("supportctl"))
DESK_ADDRESS = "support@bench.example"
TAG = "Bench"
ENV = {"SUPPORTCTL_AGENT": "alice", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x", "NO_COLOR": "1"}

# --------------------------------------------------------------------------------------------
# Realistic, deterministic mail
# --------------------------------------------------------------------------------------------

FIRST = ["Dana", "Tom", "Priya", "Lukas", "Chloé", "Jürgen", "Sofía", "Mei", "Ahmed", "Olga", "Kwame", "Ines",
         "Søren", "Zoë", "Hiroshi", "Ana", "Björn", "Fatima", "Noah", "Élodie"]
LAST = ["Smith", "Müller", "García", "Nakamura", "O'Brien", "Kowalski", "Dubois", "Østergaard", "Rossi", "Chen",
        "Nguyen", "Andersson", "Groß", "Silva", "Papadopoulos", "Ivanova", "Jones", "Łukasiewicz"]
DOMAINS = ["example.com", "mail.example.org", "acme.example", "bigco.example", "gmx.example", "firma.example.de"]
SUBJECTS = ["CSV export stops at 1,000 rows", "Invoice PDF shows the wrong VAT rate", "Stripe payout missing",
            "Bank feed disconnected again", "Cannot reset my password", "SAML login loops back to the start",
            "Recurring invoice sent twice", "Exchange rate on invoice is a day old", "Add a bookkeeper role",
            "API returns 429 after a few calls", "QuickBooks import skipped customers", "Mobile app won't sync",
            "Rechnung für März fehlt", "Problème de TVA sur la facture", "請求書のダウンロードができません",
            "Pago duplicado en la tarjeta", "Kan inte logga in efter uppdateringen"]
OPENERS = ["Hi team,", "Hello,", "Hallo zusammen,", "Bonjour,", "Hi there,", "Good morning,", "Hej,"]
PARAGRAPHS = [
    "since this morning the export stops after 1,000 rows. We have 4,312 invoices this quarter and our "
    "accountant needs all of them by Friday.",
    "invoice INV-2026-0412 shows 19% VAT but the customer is in Ireland (23%). Can you check the tax settings? "
    "Browser: Firefox 132 on Windows 11.",
    "we expected a payout of EUR 2,310.50 on Monday and nothing arrived. Stripe says it was sent on the 3rd.",
    "seit dem Update am Dienstag können wir keine Rechnungen mehr als PDF herunterladen. Die Schaltfläche "
    "reagiert einfach nicht. Könnt ihr euch das bitte ansehen? Grüße aus Köln.",
    "depuis hier, la facture affiche un taux de TVA de 20 % au lieu de 5,5 %. Merci de vérifier rapidement, "
    "nous devons l'envoyer à notre client aujourd'hui.",
    "I tried clearing the cache and logging in from another browser, same result. The error message says "
    "\"Something went wrong (code 502)\". Screenshot attached if that helps.",
    "請求書をダウンロードしようとするとエラーになります。至急確認をお願いします。",
    "our bookkeeper needs read-only access to invoices and reports but must not see payroll. Is there a role "
    "for that, or can you add one?",
    "From what I can tell the problem started when we connected the second bank account.",  # an mbox "From "
]
CLOSERS = ["Thanks,", "Best regards,", "Viele Grüße,", "Cordialement,", "Cheers,", "Thank you!"]
AGENT_REPLIES = ["Thanks for the details. I can reproduce it and have passed it to our engineers. I'll update "
                 "you by tomorrow.", "Could you send us a screenshot of the settings page?",
                 "This is fixed now: the export streams all rows. Please try again and let us know."]
FOLLOW_UPS = ["Thanks, that worked!", "Still failing, I'm afraid. Same error as before.",
              "Here is the screenshot you asked for.", "Any news on this? Our accountant is waiting.",
              "Danke, jetzt funktioniert es wieder.", "Merci, c'est réglé !", "Sorry, one more question about this."]


class Mailer:
    """Makes the messages of one mailbox: new tickets and the conversations that follow them."""

    def __init__(self, seed: int, start: datetime) -> None:
        self.rng = random.Random(seed)
        self.at = start
        self.n = 0
        self.people = [self._person() for _ in range(400)]

    def _person(self) -> tuple[str, str]:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = (first + "." + last).lower().encode("ascii", "ignore").decode().replace("'", "") or "user"
        return f"{first} {last}", f"{local}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"

    def _tick(self) -> datetime:
        self.at += timedelta(seconds=self.rng.randint(20, 900))
        return self.at

    def _text(self, name: str, quoted: str | None = None, follow_up: bool = False) -> str:
        rng = self.rng
        if follow_up:
            body = rng.choice(FOLLOW_UPS) + "\n\n" + name.split()[0]
        else:
            paras = rng.sample(PARAGRAPHS, k=rng.randint(1, 3))
            body = rng.choice(OPENERS) + "\n\n" + "\n\n".join(paras) + "\n\n" + rng.choice(CLOSERS) + "\n" + name
        if quoted:
            when = format_datetime(self.at - timedelta(hours=rng.randint(1, 30)))
            body += f"\n\nOn {when}, Ledgerly Support <{DESK_ADDRESS}> wrote:\n" + "\n".join(
                "> " + line for line in quoted.splitlines())
        return body

    @staticmethod
    def _html(text: str) -> str:
        import html

        paras = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>p{margin:0 0 1em}</style></head>"
                f"<body><div dir=\"ltr\" style=\"font-family:Arial,sans-serif\">{paras}</div></body></html>")

    def message(self, *, subject: str, person: tuple[str, str], in_reply_to: str | None = None,
                references: list[str] = (), quoted: str | None = None, follow_up: bool = False,
                auto: bool = False) -> tuple[str, bytes]:
        """One message: (its Message-ID, its bytes). Form, attachments and charset are drawn at random."""
        rng = self.rng
        self.n += 1
        at = self._tick()
        name, address = person
        msgid = f"<{at:%Y%m%d%H%M%S}.{self.n}.{rng.getrandbits(40):010x}@{address.split('@')[1]}>"
        msg = EmailMessage()
        for hop in range(rng.randint(2, 4)):
            msg["Received"] = (f"from mx{hop}.{address.split('@')[1]} (mx{hop}.{address.split('@')[1]} "
                               f"[192.0.2.{rng.randint(1, 254)}]) by mx.bench.example with ESMTPS id "
                               f"{rng.getrandbits(48):012X}; {format_datetime(at)}")
        msg["From"] = f"{name} <{address}>"
        msg["To"] = f"Ledgerly Support <{DESK_ADDRESS}>"
        if rng.random() < 0.1:
            other = rng.choice(self.people)
            msg["Cc"] = f"{other[0]} <{other[1]}>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = msgid
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            msg["References"] = " ".join([*references, in_reply_to][-8:])
        msg["User-Agent"] = rng.choice(["Mozilla Thunderbird 128.4", "Microsoft Outlook 16.0", "Apple Mail (2.3776)",
                                        "Roundcube Webmail/1.6.9"])
        if auto:
            msg["Auto-Submitted"] = "auto-replied"
            msg["X-Autoreply"] = "yes"
            text = f"I am out of the office until {format_datetime(at + timedelta(days=7))[:16]}. " \
                   "I will read your message when I am back.\n\n" + name
        else:
            text = self._text(name, quoted, follow_up)
        form = rng.random()
        latin = text.isascii() is False and all(ord(c) < 256 for c in text) and rng.random() < 0.5
        if form < 0.12:                                   # HTML only
            msg.set_content(self._html(text), subtype="html")
        elif form < 0.45:                                 # text and HTML, as most clients send
            msg.set_content(text, charset="iso-8859-1" if latin else "utf-8")
            msg.add_alternative(self._html(text), subtype="html")
        else:
            msg.set_content(text, charset="iso-8859-1" if latin else "utf-8")
        if not auto and rng.random() < 0.08:              # an attachment: screenshot, PDF or CSV
            kind = rng.choice(["png", "pdf", "csv"])
            size = rng.randint(5_000, 60_000)
            if kind == "csv":
                rows = ["date,invoice,amount,currency"] + [
                    f"2026-02-{rng.randint(1, 28):02d},INV-{rng.randint(1000, 9999)},{rng.randint(1, 99999) / 100},EUR"
                    for _ in range(size // 40)]
                msg.add_attachment("\n".join(rows) + "\n", subtype="csv", filename="export.csv")
            else:
                blob = rng.randbytes(size)
                maintype, subtype = ("image", "png") if kind == "png" else ("application", "pdf")
                msg.add_attachment(blob, maintype=maintype, subtype=subtype,
                                   filename=rng.choice(["Screenshot 2026-03-02 at 09.14.png", "rechnung_märz.pdf",
                                                        "invoice.pdf", "error.png"]) if kind != "csv" else None)
        return msgid, _bytes(msg)


def _bytes(msg: EmailMessage) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=True, policy=policy.default).flatten(msg)   # ">From " in bodies: mbox-safe
    return out.getvalue()


def mbox_bytes(messages: list[bytes]) -> bytes:
    out = io.BytesIO()
    for raw in messages:
        out.write(b"From MAILER-DAEMON Mon Mar  2 09:00:00 2026\n")
        out.write(raw if raw.endswith(b"\n") else raw + b"\n")
        out.write(b"\n")
    return out.getvalue()


def seed_mailbox(n: int) -> tuple[list[bytes], dict[str, str]]:
    """Earlier mail, imported before the timed run (the tickets later mail names by subject tag):
    the messages and each one's subject by Message-ID."""
    mailer = Mailer(1, datetime(2026, 2, 1, 8, tzinfo=timezone(timedelta(hours=1))))
    messages, subjects = [], {}
    for _ in range(n):
        subject = mailer.rng.choice(SUBJECTS)
        msgid, raw = mailer.message(subject=subject, person=mailer.rng.choice(mailer.people))
        messages.append(raw)
        subjects[msgid] = subject
    return messages, subjects


def big_mailbox(n: int, tagged: list[tuple[str, str]]) -> tuple[list[bytes], dict[str, int]]:
    """N messages in date order: ~40% new tickets, ~25% replies by subject tag to earlier tickets,
    ~30% replies by In-Reply-To/References to mail earlier in this mailbox, ~5% auto-replies."""
    mailer = Mailer(2026 + n, datetime(2026, 3, 2, 8, tzinfo=timezone(timedelta(hours=1))))
    rng = mailer.rng
    out: list[bytes] = []
    threads: list[dict] = []           # conversations started in this mailbox
    counts = {"new": 0, "tag": 0, "in-reply-to": 0, "auto": 0}
    for _ in range(n):
        r = rng.random()
        if r < 0.40 or not threads:
            subject = rng.choice(SUBJECTS) + (f" (order {rng.randint(10000, 99999)})" if rng.random() < 0.3 else "")
            person = rng.choice(mailer.people)
            msgid, raw = mailer.message(subject=subject, person=person)
            threads.append({"subject": subject, "person": person, "ids": [msgid]})
            counts["new"] += 1
        elif r < 0.65 and tagged:
            ticket, title = rng.choice(tagged)
            prefix = rng.choice(["Re: ", "RE: ", "AW: ", "Re: Re: ", "SV: ", ""])
            msgid, raw = mailer.message(subject=f"{prefix}{title} [{TAG} #{ticket}]", person=rng.choice(mailer.people),
                                        quoted=rng.choice(AGENT_REPLIES), follow_up=rng.random() < 0.6)
            counts["tag"] += 1
        elif r < 0.95:
            thread = rng.choice(threads[-300:])   # people answer recent conversations
            msgid, raw = mailer.message(subject="Re: " + thread["subject"], person=thread["person"],
                                        in_reply_to=thread["ids"][-1], references=thread["ids"][:-1],
                                        quoted=rng.choice(AGENT_REPLIES), follow_up=rng.random() < 0.7)
            thread["ids"].append(msgid)
            counts["in-reply-to"] += 1
        else:
            thread = rng.choice(threads[-300:])
            msgid, raw = mailer.message(subject="Automatic reply: " + thread["subject"],
                                        person=rng.choice(mailer.people), in_reply_to=thread["ids"][-1], auto=True)
            counts["auto"] += 1
        out.append(raw)
    return out, counts


# --------------------------------------------------------------------------------------------
# Running things
# --------------------------------------------------------------------------------------------

TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(args: list, cwd: Path, *, check: bool = True, input: bytes | None = None) -> tuple[float, int, bytes, bytes]:
    """Run a command: (wall seconds, peak RSS in KiB of that process, stdout, stderr).

    The peak RSS comes from /usr/bin/time (GNU time's %M): the rusage of a child forked from
    this (large) process would count the pages it shared with us before exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as peak:
        prefix = [TIME, "-f", "%M", "-o", peak.name] if TIME else []
        t0 = time.perf_counter()
        proc = subprocess.Popen([*prefix, *map(str, args)], cwd=cwd, stdout=out, stderr=err,
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                env={**os.environ, **ENV})
        if input is not None:
            proc.stdin.write(input)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        lines = peak.read().split()
        rss = int(lines[-1]) if TIME and lines and lines[-1].isdigit() else usage.ru_maxrss
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{stderr.decode()[-2000:]}")
    return wall, rss, stdout, stderr


def new_desk(root: Path, smtp_port: int | None = None) -> None:
    """`supportctl init`, then a mail section; committed."""
    run([EXE, "init", root, "--name", "Ledgerly Support", "--timezone", "Europe/Dublin", "--agent", "alice"],
        root.parent)
    smtp = f"  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none}}\n" if smtp_port else ""
    with open(root / "supportctl.yml", "a") as fh:
        fh.write(f"mail:\n  address: {DESK_ADDRESS}\n  name: Ledgerly Support\n  subject_tag: {TAG}\n{smtp}")
    run(["git", "commit", "-qam", "mail settings"], root)


def commits(root: Path) -> int:
    return int(run(["git", "rev-list", "--count", "HEAD"], root)[2])


def floor_parse(messages: list[bytes]) -> float:
    """The standard library alone: parse each message (policy=default) and read its body and attachments."""
    parser = BytesParser(policy=policy.default)
    t0 = time.perf_counter()
    for raw in messages:
        msg = parser.parsebytes(raw)
        body = msg.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()
        for part in msg.iter_attachments():
            part.get_content()
    return time.perf_counter() - t0


def mib(kib: int) -> str:
    return f"{kib / 1024:6.0f} MiB"


def row(what: str, seconds: float, versus: str, width: int = 50) -> None:
    print(f"  {what:<{width}} {seconds:8.2f} s   {versus}")


# --------------------------------------------------------------------------------------------
# (a) mail import
# --------------------------------------------------------------------------------------------

def bench_import(base: Path, sizes: list[int], seed_tickets: int) -> None:
    print(f"\n(a) mail import of an mbox: one CLI run, one commit; fresh desk per size "
          f"({seed_tickets} earlier tickets imported first)")
    print("    floor: stdlib email parser (policy=default) + get_body/get_content, in-process, "
          "median of 3 (1 above 3000)")
    print(f"    goal: import <= 3x floor\n")
    print(f"  {'N':>6} {'mbox':>8} {'import':>9} {'floor':>8} {'ratio':>7} {'per msg':>9} {'peak RSS':>10}"
          f"  {'created/appended/skipped (expected new)':<40}")
    for n in sizes:
        root = base / f"import-{n}"
        new_desk(root)
        seed, subjects = seed_mailbox(seed_tickets)
        (base / "seed.mbox").write_bytes(mbox_bytes(seed))
        _, _, out, _ = run([EXE, "mail", "import", base / "seed.mbox", "--json"], root)
        # (ticket, title) of the earlier tickets: later mail answers them as "Re: <title> [Bench #ID]"
        tagged = [(r["ticket"], subjects[r["message_id"]]) for r in json.loads(out) if r["action"] == "created"]
        messages, counts = big_mailbox(n, tagged)
        path = base / f"bench-{n}.mbox"
        path.write_bytes(mbox_bytes(messages))
        before = commits(root)
        wall, rss, _, err = run([EXE, "mail", "import", path], root, check=False)
        note = ""
        if b"(commit " not in err:
            # The run failed: say why, then time it again without the commit so growth still shows.
            why = [line for line in err.decode(errors="replace").splitlines() if line.strip()][-1:]
            print(f"  {n:>6}  mail import FAILED after {wall:.1f} s: {why[0] if why else '?'}")
            if run(["git", "status", "--porcelain"], root)[2]:
                print("         and left the desk changed: no second run")
                continue
            wall, rss, _, err = run([EXE, "mail", "import", path, "--no-commit"], root)
            note = " (--no-commit)"
        summary = err.decode().strip().splitlines()[-1]
        made = commits(root) - before
        floor = statistics.median(floor_parse(messages) for _ in range(3 if n <= 3000 else 1))
        numbers = summary.split(": ", 1)[1].split(" (commit")[0] if ": " in summary else summary
        print(f"  {n:>6} {path.stat().st_size / 2**20:6.1f}MB {wall:8.2f}s {floor:7.2f}s {wall / floor:6.1f}x "
              f"{wall / n * 1000:7.1f}ms {mib(rss):>10}  {numbers} ({counts['new']} new); {made} commit{note}")
        del messages


# --------------------------------------------------------------------------------------------
# (b) mail send
# --------------------------------------------------------------------------------------------

SINK = """
import sys, time
from aiosmtpd.controller import Controller

class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"

c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
for line in sys.stdin:
    print(Count.n, flush=True)       # each line in: the count so far out
c.stop()
"""


class Sink:
    """A local aiosmtpd server in its own process that accepts and counts messages."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-c", SINK, str(self.port)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def count(self) -> int:
        self.proc.stdin.write("?\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


ADD_REPLIES = """
import json, sys
from supportctl.cli.common import session
from supportctl.services import tickets
s = session()
texts = json.loads(sys.argv[1])
for n, ref in enumerate(sys.stdin.read().split()):
    tickets.reply(s, ref, text=texts[n % len(texts)], commit=False)
"""


def bench_send(base: Path, count: int) -> None:
    print(f"\n(b) mail send of {count} agent replies to a local aiosmtpd server (its own process)")
    sink = Sink()
    try:
        root = base / "send"
        new_desk(root, sink.port)
        mailer = Mailer(7, datetime(2026, 3, 2, 8, tzinfo=timezone(timedelta(hours=1))))
        mails = [mailer.message(subject=mailer.rng.choice(SUBJECTS), person=mailer.rng.choice(mailer.people))[1]
                 for _ in range(count)]
        (base / "send.mbox").write_bytes(mbox_bytes(mails))
        _, _, out, _ = run([EXE, "mail", "import", base / "send.mbox", "--json"], root)
        ids = [r["ticket"] for r in json.loads(out) if r["action"] == "created"]
        run([sys.executable, "-c", ADD_REPLIES, json.dumps(AGENT_REPLIES)], root, input="\n".join(ids).encode())
        run(["git", "add", "-A"], root)
        run(["git", "commit", "-qm", "bench: one agent reply per ticket"], root)
        queued = len(json.loads(run([EXE, "mail", "outbox", "--json"], root)[2]))
        before, got = commits(root), sink.count()
        wall, rss, out, _ = run([EXE, "mail", "send", "--json"], root)
        sent = len(json.loads(out)["sent"])
        delivered = sink.count() - got
        made = commits(root) - before
        # The floor: one smtplib connection sending comparable messages (same size and headers), built per message.
        start = datetime(2026, 3, 2, 12, tzinfo=timezone.utc)
        got = sink.count()
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            for n in range(count):
                msg = EmailMessage()
                msg["From"] = f"Ledgerly Support <{DESK_ADDRESS}>"
                msg["To"] = "Dana Smith <dana@example.com>"
                msg["Subject"] = f"Re: {SUBJECTS[n % len(SUBJECTS)]} [{TAG} #7QH2K{n % 10}]"
                msg["Date"] = format_datetime(start + timedelta(seconds=n))
                msg["Message-ID"] = f"<7QH2K{n % 10}.r{n:05d}@bench.example>"
                msg["In-Reply-To"] = f"<{n}.customer@example.com>"
                msg["References"] = f"<{n}.customer@example.com>"
                msg["X-Loop"] = DESK_ADDRESS
                msg.set_content("Hi Dana,\n\n" + AGENT_REPLIES[n % len(AGENT_REPLIES)] + "\n\nBest,\nAlice\n")
                client.send_message(msg)
        floor = time.perf_counter() - t0
        floor_delivered = sink.count() - got
    finally:
        sink.stop()
    print(f"  {'outbox before the run':<50} {queued:8d}")
    row(f"supportctl mail send ({sent} sent, {delivered} received, {made} commits)", wall,
        f"{sent / wall:7.1f} msg/s   peak RSS {mib(rss).strip()}", width=62)
    row(f"floor: bare smtplib loop ({floor_delivered} received)", floor, f"{count / floor:7.1f} msg/s", width=62)
    print(f"  {'ratio':<62} {wall / floor:8.1f}x  ({(wall - floor) / count * 1000:.1f} ms per message over the floor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000", help="mailbox sizes for (a), comma-separated")
    parser.add_argument("--seed-tickets", type=int, default=200, help="earlier tickets that tagged replies name")
    parser.add_argument("--send", type=int, default=1000, help="replies to send in (b); 0 skips it")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    base = args.keep or Path(tempfile.mkdtemp(prefix="supportctl-bench-mail-"))
    base.mkdir(parents=True, exist_ok=True)
    # An installed package has its bytecode compiled at install time (see bench_tickets.py).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "supportctl")], check=True)
    home = base / "home"
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = bench\n\temail = b@x\n[init]\n\tdefaultBranch = main\n")
    ENV.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / ".gitconfig"), GIT_CONFIG_NOSYSTEM="1")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; work in {base}")
    startup = statistics.median(run([EXE, "--version"], base)[0] for _ in range(5))
    print(f"CLI start-up (supportctl --version, median of 5): {startup * 1000:.0f} ms, included in each CLI figure")
    try:
        if sizes:
            bench_import(base, sizes, args.seed_tickets)
        if args.send:
            bench_send(base, args.send)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\nbench process peak RSS {mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).strip()}")


if __name__ == "__main__":
    main()
