"""Help-site and suggestion benchmark: a synthetic KB of 1,000 articles in 8 categories.

Measured in the same run, on the same pages:
  (a) floor: a default MkDocs Material build (theme: material, default
      features and plugins) of exactly the pages `site build` stages;
  (b) `site build`: supportctl's checks + staging + the strict Material
      build with the desk's mkdocs.yml (navigation.prune, tags, search...);
  and supportctl's own share of (b), and `kb suggest` latency.

Targets (issue 5): (b) <= 0.35 x (a); own work <= 10 % of (b);
`kb suggest` <= 150 ms.

    .venv/bin/python bench/bench_site.py [--articles 1000] [--categories 8] [--keep DIR]

Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("invoice payment bank feed export csv stripe payout currency exchange rate tax vat role permission token "
         "api limit sync mobile recurring schedule refund subscription account password login sso saml import "
         "quickbooks report ledger balance customer supplier reminder template receipt reconcile journal period "
         "lock discount credit note draft approve send email pdf logo footer webhook signature retry").split()
FILLER = ("the a to of and in for with your you can is it on this that when from by at or be not are each "
          "only then use click open choose go settings page list button").split()
TOPICS = ["Invoices", "Payments", "Banking", "Reports", "Taxes", "Account", "Developers", "Mobile", "Imports",
          "Security", "Billing", "Contacts"]


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) if rng.random() < 0.45 else rng.choice(FILLER) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def synthesise(root: Path, n_articles: int, n_categories: int, seed: int = 5) -> list[tuple[str, str]]:
    """Write a desk with n_articles published public articles; return (category, slug) pairs."""
    from supportctl.starter.scaffold import starter_files

    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / "supportctl.yml").write_text("desk:\n  name: Bench Help Center\n  url: https://help.bench.example\n"
                                         "  repo_url: https://github.com/bench/help\n"
                                         "  support_email: support@bench.example\n")
    for rel, text in starter_files("Bench Help Center", date.today()).items():
        if rel.startswith("kb/"):
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cats = [f"{TOPICS[i % len(TOPICS)].lower()}-{i}" for i in range(n_categories)]
    for i, cat in enumerate(cats):
        (root / "kb" / cat).mkdir(parents=True)
        (root / "kb" / cat / "_category.yml").write_text(
            f'title: "{TOPICS[i % len(TOPICS)]} {i}"\norder: {i * 10}\ndescription: "{sentence(rng, 10)}"\n')
    slugs = []
    per_cat = {c: [] for c in cats}
    for n in range(n_articles):
        cat = cats[n % n_categories]
        slug = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n}"
        slugs.append((cat, slug))
        per_cat[cat].append(slug)
    for n, (cat, slug) in enumerate(slugs):
        siblings = per_cat[cat]
        related = [s for s in rng.sample(siblings, min(3, len(siblings))) if s != slug][:2]
        title = f"{sentence(rng, 5)[:-1]} ({n})"
        body = [sentence(rng, 25), ""]
        for h in range(3):
            body += [f"## {rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} step {h + 1}", ""]
            body += [sentence(rng, 30), ""]
            body += [f"{k}. {sentence(rng, 10)}" for k in range(1, 4)] + [""]
        if related:
            body += [f"See also [this article]({related[0]}.md).", ""]
        tags = sorted({rng.choice(WORDS) for _ in range(3)})
        fm = (f"---\ntitle: \"{title}\"\ndescription: \"{sentence(rng, 12)}\"\nstatus: published\nvisibility: public\n"
              f"tags: [{', '.join(tags)}]\nowner: null\nupdated: 2026-10-01\nrelated: [{', '.join(related)}]\n---\n\n")
        (root / "kb" / cat / f"{slug}.md").write_text(fm + "\n".join(body))
    return slugs


def _child_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_floor(root: Path, docs: Path, out: Path) -> tuple[float, float]:
    """A default Material build of the staged pages: no features, default plugins, same Markdown extensions."""
    import yaml

    floor_docs = root / "floor_docs"
    if not floor_docs.exists():
        shutil.copytree(docs, floor_docs)
        (floor_docs / ".gitignore").unlink()
        # Default Material has no overrides/home.html: its home page is the page's own Markdown.
        home = floor_docs / "index.md"
        home.write_text(home.read_text().replace("template: home.html\n", "", 1))
    config = {"site_name": "Bench Help Center", "site_url": "https://help.bench.example/", "docs_dir": "floor_docs",
              "theme": {"name": "material"},
              "markdown_extensions": ["admonition", "attr_list", "tables", {"toc": {"permalink": True}},
                                      "pymdownx.details", "pymdownx.superfences"]}
    (root / "floor.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    t0, c0 = time.perf_counter(), _child_cpu()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "floor.yml", "-d", str(out)],
                          cwd=root, capture_output=True, text=True, env=env)
    elapsed, cpu = time.perf_counter() - t0, _child_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit("floor build failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return elapsed, cpu


def run_site_build(root: Path, out: Path):
    from supportctl.config.model import load_config
    from supportctl.site.build import build

    shutil.rmtree(root / "site_docs", ignore_errors=True)     # a cold stage, as in CI
    cfg = load_config(root / "supportctl.yml")
    t0, c0, p0 = time.perf_counter(), _child_cpu(), time.process_time()
    report = build(root, cfg, now=datetime.now(timezone.utc), out=out)
    return time.perf_counter() - t0, (_child_cpu() - c0) + (time.process_time() - p0), report


QUERIES = [("CSV export stops at 1000 rows", "our export is cut off, the invoice csv only has part of the rows"),
           ("Stripe payout missing", "customers paid by card but the payout never arrived at the bank"),
           ("Cannot log in with SSO", "saml sign in fails for the whole team after the certificate changed"),
           ("Recurring invoice not sent", "the monthly schedule did not send the invoice to our customer"),
           ("API rate limit", "we get 429 too many requests when the token syncs contacts"),
           ("VAT on EU invoices", "how do we charge reverse charge vat tax on an invoice to germany")]


def bench_suggest(root: Path) -> dict[str, float]:
    from supportctl.kb.search import KbIndex, open_index, suggest

    cache = root / ".supportctl" / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    t0 = time.perf_counter()
    open_index(root).close()
    cold = time.perf_counter() - t0
    old = time.time() - 60                       # out of the racy window, so the cache is trusted
    for p in (root / "kb").rglob("*.md"):
        os.utime(p, (old, old))
    open_index(root).close()                     # re-read once with trusted stats
    times = []
    for _ in range(5):
        for title, text in QUERIES:
            t0 = time.perf_counter()
            suggest(root, text, title=title, limit=5)
            times.append(time.perf_counter() - t0)
    index = KbIndex(root, cache / "kb-search.sqlite")
    qtimes = []
    for _ in range(5):
        for title, text in QUERIES:
            t0 = time.perf_counter()
            index.search(text, title=title)
            qtimes.append(time.perf_counter() - t0)
    index.close()
    cli = []
    exe = Path(sys.executable).with_name("supportctl")
    for title, text in QUERIES:
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe), "-C", str(root), "kb", "suggest", "--text", f"{title}. {text}", "--json"],
                              capture_output=True, text=True)
        cli.append(time.perf_counter() - t0)
        assert proc.returncode == 0, proc.stderr
    floor = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([str(exe), "-C", str(root), "kb", "--help"], capture_output=True, text=True)
        floor.append(time.perf_counter() - t0)
    return {"cli_floor": statistics.median(floor), "cold_index": cold, "warm_call": statistics.median(times), "warm_call_p95": sorted(times)[int(len(times)
            * 0.95) - 1], "query_only": statistics.median(qtimes), "cli": statistics.median(cli)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--categories", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=2,
                        help="alternate the two builds this many times and keep the fastest of each "
                             "(other processes on the machine make single runs noisy)")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-site-"))
    root = base / "desk"
    if root.exists():
        shutil.rmtree(root)
    print(f"synthesising {args.articles} articles in {args.categories} categories in {root}", file=sys.stderr)
    synthesise(root, args.articles, args.categories)

    site_runs, floor_runs = [], []
    for _ in range(args.repeat):       # alternate, so a burst of load elsewhere hits both alike
        wall, cpu, report = run_site_build(root, root / "out-site")
        site_runs.append((wall, cpu, report))
        floor_runs.append(run_floor(root, root / "site_docs", root / "out-floor"))
    site_s, site_cpu, report = min(site_runs, key=lambda r: r[0])
    floor_s = min(r[0] for r in floor_runs)
    floor_cpu = min(r[1] for r in floor_runs)
    site_cpu = min(r[1] for r in site_runs)
    own = report.check_seconds + report.stage.seconds
    sug = bench_suggest(root)

    def line(name: str, value: str, target: str, ok: bool | None = None) -> None:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"{name:<44} {value:>12}   target {target}{mark}")

    print(f"\nKB: {args.articles} articles, {args.categories} categories, best of {args.repeat} alternating runs, "
          f"{len(report.stage.generated)} generated pages; python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    line("(a) default Material build (floor)", f"{floor_s:.2f} s", "reference")
    line("(b) supportctl site build, total", f"{site_s:.2f} s", f"<= {0.35 * floor_s:.2f} s (0.35 x a)",
         site_s <= 0.35 * floor_s)
    line("    ratio b / a", f"{site_s / floor_s:.3f}", "<= 0.35", site_s / floor_s <= 0.35)
    line("    ratio b / a in CPU time (load-independent)", f"{site_cpu / floor_cpu:.3f}", "<= 0.35",
         site_cpu / floor_cpu <= 0.35)
    line("    engine (mkdocs build --strict)", f"{report.engine_seconds:.2f} s", "")
    line("    supportctl checks", f"{report.check_seconds:.3f} s", "")
    line("    supportctl staging (generation)", f"{report.stage.seconds:.3f} s", "")
    line("    supportctl own share", f"{100 * own / site_s:.1f} %", "<= 10 %", own / site_s <= 0.10)
    line("kb suggest: index build, cold cache", f"{1000 * sug['cold_index']:.0f} ms", "")
    line("kb suggest: call, warm cache (median)", f"{1000 * sug['warm_call']:.1f} ms", "<= 150 ms",
         sug["warm_call"] <= 0.150)
    line("kb suggest: call, warm cache (p95)", f"{1000 * sug['warm_call_p95']:.1f} ms", "<= 150 ms",
         sug["warm_call_p95"] <= 0.150)
    line("kb suggest: FTS5 query only (median)", f"{1000 * sug['query_only']:.2f} ms", "")
    line("kb suggest: whole CLI process (median)", f"{1000 * sug['cli']:.0f} ms", "<= 150 ms", sug["cli"] <= 0.150)
    line("    of which CLI start-up (`kb --help`)", f"{1000 * sug['cli_floor']:.0f} ms", "")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
