"""A third-party runtime for the conformance kit in a few dozen lines: its own NumPy interpreter.

The kit's runtime interface is one callable, `run(archive_path, inputs) -> outputs`
over NumPy arrays (spec/conformance.md).  This toy runtime reads the graph with
minexport's loader but computes every op with its own table of NumPy functions; an op
outside the table raises, which the runner counts as "refused".  It runs the stored
vectors of the ops it knows, as `python -m minexport conform --runtime
examples.conform_runtime:run -k ...` would.
"""
import pathlib

import numpy as np

from minexport.conform import find_cases, run_cases
from minexport.export import load

OPS = {
    "aten.add.Tensor": lambda a, b, alpha=1: a + alpha * b,
    "aten.mul.Tensor": np.multiply,
    "aten.sub.Tensor": lambda a, b, alpha=1: a - alpha * b,
    "aten.sin.default": np.sin,
    "aten.cos.default": np.cos,
    "aten.relu.default": lambda a: np.maximum(a, np.zeros((), a.dtype)),
    "aten.neg.default": np.negative,
    "aten.abs.default": np.abs,
}


def run(archive_path, inputs):
    """Run the archive's graph on the inputs with the OPS table; raise on any other op."""
    ep = load(archive_path)
    # the program returns mutated inputs first, then the user outputs (its signature says which)
    user = [spec.kind.name == "USER_OUTPUT" for spec in ep.graph_signature.output_specs]
    values, given = {}, iter(inputs)

    def value(a):
        return values[a.name] if hasattr(a, "name") and a.name in values else a
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            values[node.name] = next(given)
        elif node.op == "call_function":
            fn = OPS.get(str(node.target))
            if fn is None:
                raise NotImplementedError(f"toy runtime has no {node.target}")
            args = [value(a) for a in node.args]
            values[node.name] = np.asarray(fn(*args, **{k: value(v) for k, v in node.kwargs.items()}))
        elif node.op == "output":
            return [np.asarray(value(o)) for o, keep in zip(node.args[0], user) if keep]


if __name__ == "__main__":
    corpus = pathlib.Path(__file__).resolve().parent.parent / "spec" / "conformance" / "ops"
    # the cases whose ops it has, on inputs of one dtype (its type promotion is NumPy's, not torch's)
    mine = [c for c in find_cases([corpus]) if set(c.meta["ops"]) <= set(OPS)
            and len({x.dtype for x in c.inputs()}) <= 1]
    results = run_cases(mine, run)
    for r in results:
        if r.status != "passed":
            print(f"FAILED {r.case.id}: {r.message}")
    print(f"toy runtime: {sum(r.status == 'passed' for r in results)} passed, "
          f"{sum(r.status != 'passed' for r in results)} failed, of the {len(mine)} cases it can take")
