"""Help-site and suggestion benchmark: synthetic KBs of 100, 1,000 and 3,000 articles in 8 categories.

Measured alternately at each size, on the same pages:
  floor: the best build Material can do of exactly the pages `site build`
      stages: the desk's own mkdocs.yml (navigation.prune, search, tags, the
      same Markdown extensions) without supportctl's theme overrides, with
      the fastest of a few cheap settings that leave every page unchanged;
  `site build`: the whole command (start-up, KB checks, staging, the strict
      engine build with the overrides, the page checks);
  and supportctl's own share of it: its time outside the engine at work, in
  wall time (the engine starts before the checks and staging and its
  start-up overlaps them, but its wait for them counts as ours; the page
  checks run on the other core while the engine writes, so only what is
  left of them when it is done counts) and in processor time (where all
  of supportctl's work counts, the checks' forked child included); and
  `kb suggest` latency.

Targets (issue 16): `site build` <= 1.1 x the floor and own share <= 10 % at
1,000 articles; `kb suggest` <= 150 ms.

    .venv/bin/python bench/bench_site.py [--articles 100,1000,3000] [--repeat 3] [--keep DIR]

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
from datetime import date
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


ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SUPPORTCTL_OFFLINE": "false"}
# Cheap settings that cannot change a page, tried on top of the floor's configuration; the fastest one
# whose output is byte for byte the plain floor's becomes the floor.
FLOOR_VARIANTS = {
    "plain": ({}, ["--strict"]),
    "no link validation": ({"validation": {"omitted_files": "ignore", "absolute_links": "ignore",
                                           "unrecognized_links": "ignore", "anchors": "ignore"}}, ["--strict"]),
    "no validation, quiet, not strict": ({"validation": {"omitted_files": "ignore", "absolute_links": "ignore",
                                                         "unrecognized_links": "ignore", "anchors": "ignore"}},
                                         ["-q"]),
}


def prepare_floor(root: Path) -> Path:
    """The floor's input: the pages `site build` staged, built by Material alone.

    Same mkdocs.yml (so the same .desk.yml, navigation, features with navigation.prune, Material's search
    and tags plugins and Markdown extensions), minus what supportctl adds: the theme overrides
    (custom_dir, so the home and contact pages lose their templates and fall back to Material's
    main.html, and the feedback widget is Material's own) and the offline plugin (off in this build
    anyway)."""
    import yaml

    from supportctl.site.mkdocs import read_mkdocs

    mk = read_mkdocs(root)
    floor_docs = root / "floor_docs"
    shutil.rmtree(floor_docs, ignore_errors=True)
    shutil.copytree(root / mk.docs_dir, floor_docs)
    (floor_docs / ".gitignore").unlink()
    for page in floor_docs.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        head, sep, body = text.partition("\n---\n")
        if "\ntemplate: " in head:
            page.write_text("\n".join(ln for ln in head.split("\n") if not ln.startswith("template: ")) + sep + body,
                            encoding="utf-8")
    data = dict(mk.data)
    data["INHERIT"] = f"floor_docs/{Path(mk.inherit).name}"
    data["docs_dir"] = "floor_docs"
    theme = dict(data["theme"])
    theme.pop("custom_dir", None)
    features = list(theme.get("features") or [])
    if "navigation.prune" not in features:
        features.append("navigation.prune")
    theme["features"] = features
    data["theme"] = theme
    extra = dict(data.get("extra") or {})
    if isinstance(extra.get("analytics"), dict) and extra["analytics"].get("provider") == "custom":
        # Our analytics partial is an override; Material's own feedback widget comes with its Google
        # provider (a placeholder property: the floor's pages are never opened).
        extra["analytics"] = {**extra["analytics"], "provider": "google", "property": "G-0000000000"}
    data["extra"] = extra
    data["plugins"] = [p for p in data.get("plugins") or [] if not (isinstance(p, dict) and "offline" in p)]
    (root / "floor.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "floor.yml"


def run_floor(root: Path, out: Path, variant: str = "plain") -> tuple[float, float]:
    """One Material build of the floor's pages with `variant`'s settings: (wall, CPU) seconds."""
    import yaml

    extra, flags = FLOOR_VARIANTS[variant]
    config = root / "floor.yml"
    if extra:
        config = root / "floor-variant.yml"
        config.write_text(yaml.safe_dump({**yaml.safe_load((root / "floor.yml").read_text()), **extra},
                                         sort_keys=False))
    t0, c0 = time.perf_counter(), _child_cpu()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", *flags, "-f", config.name, "-d", str(out)],
                          cwd=root, capture_output=True, text=True, env=ENV)
    elapsed, cpu = time.perf_counter() - t0, _child_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit("floor build failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return elapsed, cpu


def same_site(a: Path, b: Path) -> bool:
    """Byte for byte the same files (the sitemap's gzip header holds a time: compared unpacked)."""
    import gzip

    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    if files_a != sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        return False
    for rel in files_a:
        x, y = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel.suffix == ".gz":
            x, y = gzip.decompress(x), gzip.decompress(y)
        if x != y:
            return False
    return True


def choose_floor(root: Path) -> tuple[str, dict[str, float]]:
    """Build the floor with each variant once; the fastest whose pages equal the plain floor's."""
    times, reference = {}, root / "out-floor-plain"
    for name in FLOOR_VARIANTS:
        out = root / ("out-floor-plain" if name == "plain" else "out-floor-variant")
        times[name] = run_floor(root, out, name)[1]
        if name != "plain" and not same_site(reference, out):
            print(f"  floor variant {name!r} changes the pages: not used", file=sys.stderr)
            times.pop(name)
    return min(times, key=times.get), times


def run_site_build(root: Path, out: Path) -> tuple[float, float, dict]:
    """`supportctl site build --json` as a whole process, from a cold stage: (wall, CPU, its report)."""
    import json

    shutil.rmtree(root / "site_docs", ignore_errors=True)     # a cold stage, as in CI
    exe = Path(sys.executable).with_name("supportctl")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "supportctl"]
    env = {**ENV, "PYTHONPATH": str(ROOT)}
    t0, c0 = time.perf_counter(), _child_cpu()
    proc = subprocess.run(cmd + ["-C", str(root), "site", "build", "--out", str(out), "--json"],
                          capture_output=True, text=True, env=env)
    elapsed, cpu = time.perf_counter() - t0, _child_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit("site build failed:\n" + proc.stdout[-2000:] + proc.stderr[-2000:])
    return elapsed, cpu, json.loads(proc.stdout)


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


def bench_size(base: Path, n_articles: int, n_categories: int, repeat: int) -> dict:
    """Site build and its floor at one size, measured alternately; medians."""
    root = base / f"desk-{n_articles}"
    shutil.rmtree(root, ignore_errors=True)
    print(f"synthesising {n_articles} articles in {n_categories} categories in {root}", file=sys.stderr)
    synthesise(root, n_articles, n_categories)
    run_site_build(root, root / "out-site")                    # stages the pages the floor builds
    prepare_floor(root)
    variant, tried = choose_floor(root)
    site_runs, floor_runs = [], []
    for _ in range(repeat):            # alternate, so a burst of load elsewhere hits both alike
        site_runs.append(run_site_build(root, root / "out-site"))
        floor_runs.append(run_floor(root, root / "out-floor", variant))
    med = statistics.median
    wall, cpu = med(r[0] for r in site_runs), med(r[1] for r in site_runs)
    floor_wall, floor_cpu = med(r[0] for r in floor_runs), med(r[1] for r in floor_runs)
    # Own share: everything in the `site build` process that is not the engine's subprocess at work (start-up,
    # KB checks, staging, page checks; the engine's start-up overlaps them, its wait for them counts as
    # ours), per run, as a share of that run's wall time.
    own = [(r[0] - r[2]["seconds"]["engine"]) / r[0] for r in site_runs]
    own_cpu = [(r[1] - r[2]["seconds"]["engine_cpu"]) / r[1] for r in site_runs]
    parts = {k: med(r[2]["seconds"][k] for r in site_runs) for k in site_runs[0][2]["seconds"]}
    return {"articles": n_articles, "wall": wall, "cpu": cpu, "floor_wall": floor_wall, "floor_cpu": floor_cpu,
            "ratio": med(s[0] / f[0] for s, f in zip(site_runs, floor_runs)),
            "ratios": [s[0] / f[0] for s, f in zip(site_runs, floor_runs)],
            "ratio_cpu": med(s[1] / f[1] for s, f in zip(site_runs, floor_runs)),
            # the engine run by `site build` (with supportctl's overrides) against the floor, in processor time
            "engine_cpu": med(s[2]["seconds"]["engine_cpu"] / f[1] for s, f in zip(site_runs, floor_runs)),
            "own": med(own), "own_cpu": med(own_cpu), "parts": parts, "variant": variant, "tried": tried, "root": root}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", default="100,1000,3000", help="sizes, comma-separated")
    parser.add_argument("--categories", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=3,
                        help="alternate the two builds this many times and take medians "
                             "(other processes on the machine make single runs noisy)")
    parser.add_argument("--no-suggest", action="store_true", help="skip the `kb suggest` figures")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-site-"))
    sizes = [int(n) for n in args.articles.split(",")]
    print(f"\nhelp site: {args.categories} categories, median of {args.repeat} alternating runs; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print("floor: Material alone building the same staged pages (same mkdocs.yml with navigation.prune, "
          "without supportctl's overrides), with the fastest settings that leave every page unchanged")
    print("ratio: median of the paired runs' ratios, in wall time and in processor time (CPU, steadier when "
          "other processes share the machine); own: the share of `site build` spent outside the engine")
    print(f"{'articles':>8} {'site build':>11} {'floor':>8} {'ratio':>6} {'(CPU)':>6} {'target':>7} "
          f"{'own':>6} {'(CPU)':>6} {'target':>7}   own: checks / staging (the engine starts meanwhile) / the engine "
          "ready and waiting for them / page checks left when it is done; floor settings")
    results = []
    for n in sizes:
        r = bench_size(base, n, args.categories, args.repeat)
        results.append(r)
        p = r["parts"]
        ok = "ok" if r["ratio"] <= 1.1 else "MISSED"
        own_ok = "ok" if r["own"] <= 0.10 else "MISSED"
        print(f"{n:>8} {r['wall']:>9.2f} s {r['floor_wall']:>6.2f} s {r['ratio']:>6.3f} {r['ratio_cpu']:>6.3f} "
              f"{'<= 1.1':>7} {100 * r['own']:>5.1f}% {100 * r['own_cpu']:>5.1f}% {'<= 10%':>7}   {ok}/{own_ok}  "
              f"{p['check']:.2f} / {p['stage']:.2f} / {p.get('engine_waiting', 0.0):.2f} / {p.get('verify', 0.0):.2f} s; "
              f"{r['variant']}", flush=True)
        print(f"         paired rounds' ratios: {', '.join(f'{x:.2f}' for x in r['ratios'])}")
        print(f"         engine alone / floor (CPU): {r['engine_cpu']:.3f}; floor settings tried (CPU s): "
              + ", ".join(f"{k} {v:.2f}" for k, v in r["tried"].items()))
    if not args.no_suggest:
        near = min(results, key=lambda r: abs(r["articles"] - 1000))
        sug = bench_suggest(near["root"])

        def line(name: str, value: str, target: str, ok: bool | None = None) -> None:
            mark = "" if ok is None else ("  ok" if ok else "  MISSED")
            print(f"{name:<44} {value:>12}   target {target}{mark}")

        print(f"\nkb suggest, {near['articles']} articles")
        line("kb suggest: index build, cold cache", f"{1000 * sug['cold_index']:.0f} ms", "")
        line("kb suggest: call, warm cache (median)", f"{1000 * sug['warm_call']:.1f} ms", "<= 150 ms",
             sug["warm_call"] <= 0.150)
        line("kb suggest: call, warm cache (p95)", f"{1000 * sug['warm_call_p95']:.1f} ms", "<= 150 ms",
             sug["warm_call_p95"] <= 0.150)
        line("kb suggest: FTS5 query only (median)", f"{1000 * sug['query_only']:.2f} ms", "")
        line("kb suggest: whole CLI process (median)", f"{1000 * sug['cli']:.0f} ms", "<= 150 ms",
             sug["cli"] <= 0.150)
        line("    of which CLI start-up (`kb --help`)", f"{1000 * sug['cli_floor']:.0f} ms", "")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
