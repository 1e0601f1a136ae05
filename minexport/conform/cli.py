"""`python -m minexport conform`: run conformance vectors and report one line per failure."""
import json
import sys
import time

from .cases import find_cases, read_known
from .runner import load_runtime, run_cases

__all__ = ["add_arguments", "conform"]

DEFAULT_RUNTIME = "minexport.conform.runtimes:interpreter"


def add_arguments(parser):
    """The `conform` subcommand's options."""
    parser.add_argument("paths", nargs="*", default=["spec/conformance"],
                        help="case folders or trees of them (default: spec/conformance)")
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME,
                        help=f"MODULE:CALLABLE taking (archive_path, inputs) (default: {DEFAULT_RUNTIME})")
    parser.add_argument("-k", dest="pattern", help="run the cases whose id contains PATTERN (or matches it as a glob)")
    parser.add_argument("--known", help="known-failures file: those cases may fail (and must, to stay listed)")
    parser.add_argument("--json", dest="json_out", help="write every case's result to this JSON file")


def conform(args, out=sys.stdout):
    """Run the cases `args` names; the exit status (1 when any failed or a known failure passed)."""
    runtime = load_runtime(args.runtime)
    cases = find_cases(args.paths, args.pattern)
    known = read_known(args.known) if args.known else {}

    def show(r):
        if r.status in ("failed", "xpass"):
            print(f"{'FAILED' if r.status == 'failed' else 'XPASS'} {r.case.id}: {r.message}", file=out, flush=True)

    start = time.perf_counter()
    results = run_cases(cases, runtime, known, on_result=show)
    seconds = time.perf_counter() - start
    count = {s: sum(r.status == s for r in results) for s in ("passed", "failed", "xfail", "xpass")}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"runtime": args.runtime, "seconds": round(seconds, 3), "counts": count,
                       "results": [r.as_json() for r in results]}, f, indent=1)
    failed = count["failed"] + count["xpass"]
    print(f"{count['passed']} passed, {failed} failed ({count['xfail']} known failures, {len(cases)} cases, "
          f"{seconds:.1f} s)", file=out)
    return 1 if failed else 0
