"""Run every benchmark script (``benchmarks/*/bench_*.py``) in turn and print its output.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--list]

Each script runs in its own process with this interpreter and its default arguments, one
after the other (never in parallel: they measure time). Output is streamed as it comes.
Exits non-zero if any script failed; the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def scripts() -> list[Path]:
    return sorted(HERE.glob("*/bench_*.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only scripts whose path contains NAME"
    )
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    args = parser.parse_args()
    chosen = [
        s
        for s in scripts()
        if not args.only or any(n in s.relative_to(HERE).as_posix() for n in args.only)
    ]
    if args.list or not chosen:
        for s in chosen:
            print(s.relative_to(ROOT))
        if not chosen:
            print("no benchmark matches", file=sys.stderr)
            return 1
        return 0
    results: list[tuple[Path, int, float]] = []
    for script in chosen:
        name = script.relative_to(ROOT)
        print(f"\n{'═' * 30} {name} {'═' * 30}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=ROOT)
        results.append((name, code, time.perf_counter() - start))
    print(f"\n{'═' * 30} summary {'═' * 30}")
    for name, code, seconds in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"  {name!s:<52} {seconds:7.1f} s  {status}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
