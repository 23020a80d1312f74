"""Lighthouse scores of the sample help site: accessibility, best practices and SEO of the home page and
an article page, beside the goal (issue 15: each >= 95).

Builds the sample desk (the repository root) with `supportctl site build`, serves it on 127.0.0.1 and
runs Lighthouse 12.2.3 (bench/package.json) on Debian's Chromium. Needs node, npm and chromium:

    npm install --prefix bench            # once: lighthouse into bench/node_modules
    .venv/bin/python bench/bench_lighthouse.py [--desktop] [--performance] [--keep DIR]

Prints figures; it is not a timed test. Exit code 1 when a score is below the goal.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
GOAL = 95
PAGES = {"home": "", "article": "banking/fix-a-disconnected-bank-feed/"}
CATEGORIES = ["accessibility", "best-practices", "seo"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def build_site(out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "supportctl", "-C", str(ROOT), "site", "build", "--out", str(out)],
                   check=True, env=env, capture_output=True)


def lighthouse(url: str, categories: list[str], report: Path, desktop: bool) -> dict[str, int]:
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
           f"--only-categories={','.join(categories)}", "--chrome-flags=--headless=new --no-sandbox"]
    if desktop:
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True)
    data = json.loads(report.read_text())
    return {k: round(v["score"] * 100) for k, v in data["categories"].items()}


def failed_audits(report: Path) -> list[str]:
    data = json.loads(report.read_text())
    out = []
    for cat in data["categories"].values():
        for ref in cat["auditRefs"]:
            audit = data["audits"][ref["id"]]
            if ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
                out.append(f"{cat['id']}: {ref['id']} ({audit.get('title')})")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--performance", action="store_true", help="also score performance (informational)")
    ap.add_argument("--desktop", action="store_true", help="desktop preset (default: Lighthouse's mobile)")
    ap.add_argument("--keep", type=Path, help="write the site and the reports here")
    args = ap.parse_args()
    if not LIGHTHOUSE.exists():
        print("lighthouse is not installed: npm install --prefix bench", file=sys.stderr)
        return 2
    if not shutil.which(CHROME) and not Path(CHROME).exists():
        print(f"no Chromium at {CHROME} (apt-get install chromium, or set CHROME_PATH)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="lighthouse-"))
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    build_site(site)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    categories = CATEGORIES + (["performance"] if args.performance else [])
    worst = 100
    print(f"Lighthouse 12.2.3 ({'desktop' if args.desktop else 'mobile'}) on {CHROME}, "
          f"goal >= {GOAL} for {', '.join(CATEGORIES)}")
    print(f"{'page':<10}" + "".join(f"{c:>16}" for c in categories))
    misses = []
    try:
        for name, path in PAGES.items():
            report = work / f"{name}.json"
            scores = lighthouse(base + path, categories, report, args.desktop)
            print(f"{name:<10}" + "".join(f"{scores[c]:>16}" for c in categories))
            worst = min([worst] + [scores[c] for c in CATEGORIES])
            misses += [f"{name}: {m}" for m in failed_audits(report)]
    finally:
        server.shutdown()
    for m in misses:
        print("  not passed:", m)
    print(f"lowest score {worst} (goal {GOAL}): {'ok' if worst >= GOAL else 'MISSED'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if worst >= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
