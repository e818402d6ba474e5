"""Mutation testing of the core rules, module by module, against the documented equivalent mutants.

    python .ci/mutation.py [--max-children N] [MODULE ...]

Runs ``mutmut run`` once per module (``django_voiceotp/codes.py`` or ``django_voiceotp.codes``; by
default every module ``[tool.mutmut] only_mutate`` names), each mutant against the tests that reach
the function it changed, then prints each module's figures and exits 1 when a mutant the tests did not
kill is missing from docs/mutation.md's list of equivalent mutants. Entries of that list that no
longer survive are printed so the list can be pruned; they do not fail the run.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

try:
    from tomllib import loads as toml_loads
except ImportError:  # Python 3.10: mutmut depends on toml there
    from toml import loads as toml_loads

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]
LISTED = re.compile(r"`(django_voiceotp\.[^`\s]+__mutmut_\d+)`")
KILLED = {"killed", "timeout", "caught by type check"}
"""What counts as killed: a timeout is a mutant that made the tests hang, as mutmut counts it."""


def modules_to_run(given: list[str]) -> list[str]:
    """Dotted module names, from the arguments or else from ``[tool.mutmut] only_mutate``."""
    if not given:
        config = toml_loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
        given = sorted(str(path) for pattern in config["only_mutate"] for path in ROOT.glob(pattern))
        given = [str(Path(path).relative_to(ROOT)) for path in given]
    names = []
    for module in given:
        dotted = module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        names.append(dotted)
    return names


def pattern_of(module: str) -> str:
    """mutmut's names for one module's mutants (``django_voiceotp.codes.x_hash_code__mutmut_1``, and
    ``xǁClassǁmethod`` for methods), not its submodules'."""
    return f"{module}.x*"


def statuses() -> dict[str, str]:
    """Every mutant's status as ``mutmut results --all true`` prints it."""
    out = subprocess.run(
        [*MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    found = {}
    for line in out.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--no-run", action="store_true", help="compare the last run's results only")
    parser.add_argument("modules", nargs="*")
    args = parser.parse_args()
    equivalent = set(LISTED.findall((ROOT / "docs" / "mutation.md").read_text("utf-8")))
    modules = modules_to_run(args.modules)
    seconds: dict[str, float] = {}
    for module in [] if args.no_run else modules:
        print(f"== mutmut: {module}", flush=True)
        started = time.monotonic()
        run = subprocess.run(
            [*MUTMUT, "run", "--max-children", str(args.max_children), pattern_of(module)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds[module] = time.monotonic() - started
        if run.returncode != 0:
            print(run.stdout[-4000:], run.stderr[-4000:], sep="\n")
            print(f"mutmut failed on {module} (exit {run.returncode})")
            return 1
    found = statuses()
    unexplained, explained = [], set()
    print(f"\n{'module':45} {'mutants':>7} {'killed':>6} {'listed':>6} {'new':>4} {'time':>7}")
    for module in modules:
        mine = {name: status for name, status in found.items() if fnmatch.fnmatch(name, pattern_of(module))}
        counts = Counter("killed" if status in KILLED else "survived" for status in mine.values())
        survivors = sorted(name for name, status in mine.items() if status not in KILLED)
        listed = [name for name in survivors if name in equivalent]
        explained |= set(listed)
        unexplained += [(name, mine[name]) for name in survivors if name not in equivalent]
        new = len(survivors) - len(listed)
        took = seconds.get(module, 0.0)
        print(f"{module:45} {len(mine):7} {counts['killed']:6} {len(listed):6} {new:4} {took:6.0f}s")
    print(f"total time: {sum(seconds.values()):.0f} s")
    ran = [name for name in equivalent if any(fnmatch.fnmatch(name, pattern_of(m)) for m in modules)]
    for name in sorted(set(ran) - explained):
        print(f"listed in docs/mutation.md but killed now (prune it): {name}")
    for name, status in unexplained:
        print(f"SURVIVOR not listed as equivalent in docs/mutation.md: {name} ({status})")
        subprocess.run([*MUTMUT, "show", name], cwd=ROOT, check=False)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
