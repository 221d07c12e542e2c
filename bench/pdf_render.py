"""The PDF benchmark: invoices per second with the fonts parsed once per process vs fpdf2's add_font per document.

Run from the project root:

    .venv/bin/python bench/pdf_render.py                  # 2,000 documents with each renderer
    .venv/bin/python bench/pdf_render.py --documents 500  # fewer
    .venv/bin/python bench/pdf_render.py --naive 200      # cap the slowest baseline

Three renderers, the same layout: the shipped one (fonts prepared once per process, the
working fonts embedded whole); the fonts parsed once but fpdf2 subsetting them for every
document; and fpdf2's plain way, FPDF + add_font for every document. Each runs in its own
child process pinned to one CPU, so that its peak memory is its own and its first document
pays the font preparation as in a fresh worker. The documents
come from bench/_samples.py (Italian, Romanian and English, 1-6 lines) and are built before
the clock starts. Throughput is given in CPU time, which other processes on the machine
disturb little, and in wall time. It is a report, not a test: it prints the figures and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
for path in (ROOT, HERE):  # run as a script from anywhere
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

GOAL_DOCS_PER_SECOND = 50.0
LANGUAGES = ("it", "ro", "en")
RENDERERS = {
    "cached": "fonts prepared once per process (shipped)",
    "subsets": "parsed once, fpdf2 subsets every document",
    "naive": "FPDF + add_font for every document",
}


def _child(renderer: str, documents: int) -> None:
    """Render ``documents`` samples with one renderer and print one JSON line of figures."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from _samples import sample_document

    from billing_tui.integrations.pdf import DocumentFonts, ParsedPerDocumentFonts, SharedFonts, render_invoice_pdf

    fonts: DocumentFonts | None = None  # the shipped default
    if renderer == "naive":
        fonts = ParsedPerDocumentFonts()
    elif renderer == "subsets":
        fonts = SharedFonts(embed_working_fonts=False)
    docs = [sample_document(i, LANGUAGES[i % len(LANGUAGES)]) for i in range(documents)]

    wall, cpu = time.perf_counter(), time.process_time()
    first = render_invoice_pdf(docs[0], fonts=fonts)
    first_ms = (time.perf_counter() - wall) * 1000
    size = len(first)
    wall, cpu = time.perf_counter(), time.process_time()
    for doc in docs[1:]:
        size += len(render_invoice_pdf(doc, fonts=fonts))
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    rest = max(1, documents - 1)
    print(json.dumps({
        "renderer": renderer,
        "documents": documents,
        "first_ms": first_ms,
        "cpu_per_s": rest / cpu_s if cpu_s else 0.0,
        "wall_per_s": rest / wall_s if wall_s else 0.0,
        "avg_kb": size / documents / 1024,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }))


def _run(renderer: str, documents: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", renderer, "--documents", str(documents)],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents per renderer (default 2000)")
    parser.add_argument("--naive", type=int, default=None, help="documents for the naive renderer (default: same)")
    parser.add_argument("--child", choices=sorted(RENDERERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.documents)
        return 0

    counts = {"cached": args.documents, "subsets": args.documents, "naive": args.naive or args.documents}
    print(f"PDF invoices: sample documents in {', '.join(LANGUAGES)}, 1-6 lines; one child process per renderer,")
    print(f"pinned to one CPU. Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    results = {name: _run(name, count) for name, count in counts.items()}
    header = (f"{'renderer':<44}{'docs':>6}{'docs/s CPU':>12}{'docs/s wall':>13}{'1st doc ms':>12}"
              f"{'peak RSS MB':>13}{'avg KB':>8}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(f"{RENDERERS[name]:<44}{int(r['documents']):>6}{r['cpu_per_s']:>12.1f}{r['wall_per_s']:>13.1f}"
              f"{r['first_ms']:>12.0f}{r['peak_rss_mb']:>13.1f}{r['avg_kb']:>8.1f}")
    cached, subsets, naive = results["cached"], results["subsets"], results["naive"]
    print()
    print(f"ratio shipped / naive: {cached['cpu_per_s'] / naive['cpu_per_s']:.1f}x (CPU), "
          f"{cached['wall_per_s'] / naive['wall_per_s']:.1f}x (wall); parse-once alone / naive: "
          f"{subsets['cpu_per_s'] / naive['cpu_per_s']:.1f}x (CPU)")
    print(f"goal: >= {GOAL_DOCS_PER_SECOND:.0f} documents/s on one core; shipped renderer: "
          f"{cached['cpu_per_s']:.1f}/s CPU, {cached['wall_per_s']:.1f}/s wall")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
