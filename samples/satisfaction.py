"""Add the sample desk's satisfaction history through the CLI: CSAT ratings and NPS answers.

    python samples/satisfaction.py [--desk PATH]

Run once on the repository's sample desk (it is how the ratings in tickets/
and the answers in customers/ were made): each rating comes a few hours after
the ticket was first solved, each NPS answer at a fixed time, all with --at
so the history is real. One commit at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ticket -> (rating, comment, hours after it was first solved)
RATINGS = {
    "KGF7RZ": ("good", None, 2), "2W4VVH": ("good", "Lovely, the PDF looks right now", 5),
    "SERKRN": ("good", None, 1), "S8DH68": ("bad", "Took three emails to get my refund", 20),
    "NFXG18": ("good", None, 3), "Q04KG8": ("good", None, 26), "0TSJAE": ("bad", "The import still lost two customers", 4),
    "FH6TB3": ("good", None, 2), "41DCDG": ("good", None, 6), "VVBBHD": ("good", "Clear steps, thanks Niamh", 1),
    "CSJY52": ("good", "Quick and clear", 3), "PG2BK7": ("good", None, 2),
    "4QHHZY": ("bad", "The refund policy is confusing", 30), "X68WPA": ("good", None, 5),
    "Q15V8Y": ("good", None, 8), "2GE53A": ("good", "Bank feed is back, finally", 4),
    "22G2V9": ("good", "SSO works for everyone now", 2), "VS3B3S": ("bad", None, 6),
    "0C5XBM": ("good", None, 1), "M05KNR": ("good", None, 3),
}

# (email, score, comment, when): the quarterly survey went out twice.
NPS = [
    ("raj@stackpay.example", 9, "The API docs are good", "2026-10-27T10:12:00+00:00"),
    ("fiona.walsh@walshdental.example", 10, None, "2026-10-27T11:40:00+00:00"),
    ("dmurphy@brennanarchitects.example", 8, None, "2026-10-28T09:05:00+00:00"),
    ("accounts@kilkennybrewing.example", 6, "Bank feeds break too often", "2026-10-29T15:30:00+00:00"),
    ("ops@northwind-trading.example", 9, None, "2026-10-30T08:50:00+00:00"),
    ("hello@greenleafdesign.example", 4, "Pricing went up", "2026-11-02T13:20:00+00:00"),
    ("fiona.walsh@walshdental.example", 9, None, "2026-11-23T09:30:00+00:00"),
    ("raj@stackpay.example", 10, "Support fixed our token issue in an hour", "2026-11-23T10:05:00+00:00"),
    ("accounts@kilkennybrewing.example", 7, None, "2026-11-24T11:00:00+00:00"),
    ("sean@corkcoffee.example", 10, None, "2026-11-24T14:45:00+00:00"),
    ("maria@atlanticyoga.example", 3, "Export is still slow", "2026-11-25T09:10:00+00:00"),
    ("ops@northwind-trading.example", 8, None, "2026-11-25T16:00:00+00:00"),
    ("tom@ballybuilders.example", 9, None, "2026-11-26T10:30:00+00:00"),
]


def cli(desk: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "supportctl", "-C", str(desk), *args], capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if proc.returncode:
        raise SystemExit(f"supportctl {' '.join(args)}: {proc.stderr}")
    return proc.stdout


def first_solved(ticket: dict) -> datetime:
    for record in ticket["history"]:
        for change in record.get("changes", []):
            if change["field"] == "status" and change["new"] in ("solved", "closed"):
                return datetime.fromisoformat(record["at"])
    raise SystemExit(f"{ticket['id']} was never solved")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desk", default=str(ROOT))
    desk = Path(parser.parse_args().desk)
    for tid, (rating, comment, hours) in RATINGS.items():
        ticket = json.loads(cli(desk, "ticket", "show", tid, "--json"))
        at = (first_solved(ticket) + timedelta(hours=hours)).isoformat()
        extra = ["--comment", comment] if comment else []
        cli(desk, "ticket", "rate", tid, rating, *extra, "--at", at, "--no-commit")
    for email, score, comment, at in NPS:
        extra = ["--comment", comment] if comment else []
        cli(desk, "customer", "rate", email, str(score), *extra, "--at", at, "--no-commit")
    subprocess.run(["git", "-C", str(desk), "add", "tickets", "customers"], check=True)
    subprocess.run(["git", "-C", str(desk), "commit", "-qm", "Sample desk: CSAT ratings and NPS answers "
                    "(samples/satisfaction.py)"], check=True)


if __name__ == "__main__":
    main()
