"""Command line: inspect, check and run PT2 archives without torch.

    python -m minexport show model.pt2
    python -m minexport verify model.pt2
    python -m minexport run model.pt2 --inputs in.npz --out out.npz
    python -m minexport codegen model.pt2 -o model_numpy.py [--device cpu|cuda]
    python -m minexport explain model.pt2      (or: explain script.py)
    python -m minexport conform spec/conformance [--runtime MODULE:CALLABLE] [-k PATTERN]

`run` reads the flat user inputs from an .npz (arrays named by the graph's
input names, or arr_0, arr_1, ... in order), runs the program on NumPy and
writes the flat outputs (out_0, out_1, ...).  `codegen` writes the program as
one Python module that needs only NumPy (or CuPy), see spec/codegen.md.  Errors print one message and
exit 1; there is no traceback.
"""
import argparse
import sys

import numpy as np

__all__ = ["main"]


def _load(path):
    from .export import load
    return load(path)


def _show(args):
    print(_load(args.archive))


def _verify(args):
    ep = _load(args.archive)
    ep.validate()
    ops = sum(1 for n in ep.graph.nodes if n.op == "call_function")
    print(f"ok: {args.archive} is a valid {ep.dialect} program ({ops} ops, "
          f"{len(ep.state_dict)} weights, {len(ep.constants)} constants)")


def _run(args):
    from . import from_numpy
    from .export.graph_signature import ConstantArgument, InputKind
    from .utils import _pytree as pytree
    ep = _load(args.archive)
    specs = [s for s in ep.graph_signature.input_specs if s.kind == InputKind.USER_INPUT]
    with np.load(args.inputs) as data:
        files = list(data.files)
        flat = []
        for i, spec in enumerate(specs):
            if isinstance(spec.arg, ConstantArgument):
                flat.append(spec.arg.value)
                continue
            key = spec.arg.name if spec.arg.name in files else f"arr_{i}"
            if key not in files:
                raise ValueError(f"{args.inputs} has no array '{spec.arg.name}' (or '{key}') for input "
                                 f"{i}; it has {files}")
            flat.append(from_numpy(np.array(data[key])))
    call_args, call_kwargs = pytree.tree_unflatten(flat, ep.call_spec.in_spec)
    out = pytree.tree_leaves(ep.module()(*call_args, **call_kwargs))
    np.savez(args.out, **{f"out_{i}": np.asarray(o) for i, o in enumerate(out)})
    print(f"wrote {len(out)} outputs to {args.out}")


def _codegen(args):
    from .codegen import write_module
    path = write_module(_load(args.archive), args.output, device=args.device,
                        inline_weights_max_bytes=args.inline_weights_max_bytes)
    print(f"wrote {path}")


def _explain(args):
    """An archive's shape report; for a script, run it and explain its failed export (or its programs)."""
    from .export import explain as ex
    if not args.archive.endswith(".py"):
        print(ex.explain(_load(args.archive)))
        return
    print(ex.explain_script(args.archive))


def main(argv=None):
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m minexport", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn, help_ in (("show", _show, "print the program"), ("verify", _verify, "run the verifier"),
                            ("run", _run, "run the program on inputs from an .npz"),
                            ("explain", _explain, "explain the guards of an archive, or of a script's export")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("archive")
        p.set_defaults(fn=fn)
        if name == "run":
            p.add_argument("--inputs", required=True, help=".npz of the flat user inputs")
            p.add_argument("--out", required=True, help=".npz to write the flat outputs to")
    p = sub.add_parser("codegen", help="write the program as a standalone NumPy (or CuPy) module")
    p.add_argument("archive")
    p.add_argument("-o", "--output", required=True, help="the .py file to write (weights go beside it)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--inline-weights-max-bytes", type=int, default=64 * 1024,
                   help="embed the weights in the module up to this many bytes (default 65536)")
    p.set_defaults(fn=_codegen)
    # the conformance runner (minexport/conform/): its exit status is its own
    from .conform.cli import add_arguments, conform
    p = sub.add_parser("conform", help="run conformance vectors (spec/conformance/) on a runtime")
    add_arguments(p)
    p.set_defaults(fn=conform)
    args = parser.parse_args(argv)
    try:
        status = args.fn(args)
    except Exception as e:      # the command line reports, it does not trace back
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
