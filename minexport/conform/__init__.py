"""The conformance kit's runner: run stored test vectors (spec/conformance/) on a runtime.

    python -m minexport conform spec/conformance [--runtime MODULE:CALLABLE] [-k PATTERN]

A runtime is any callable `run(archive_path, inputs) -> outputs` over NumPy arrays;
raising means "refused".  spec/conformance.md states the format and the interface.
"""
from .cases import Case, find_cases, read_known
from .runner import Result, compare, load_runtime, run_case, run_cases

__all__ = ["Case", "find_cases", "read_known", "Result", "compare", "load_runtime", "run_case", "run_cases"]
