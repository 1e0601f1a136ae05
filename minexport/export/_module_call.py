"""preserve_module_call_signature: record how listed submodules are called during export.

For each listed fqn, export hooks the submodule for the trace: a pre-hook
flattens the call's `(args, kwargs)` and a post-hook its result, and each flat
leaf becomes a signature argument naming the graph value it is (`x`, `add`),
as torch's ModuleCallSignature records it: a tensor as TensorArgument, a
symbolic size as SymIntArgument (SymFloat/SymBool likewise), anything else
as ConstantArgument('', value).  The graph itself is left as it is (torch
2.13's final program keeps no boundary nodes either).  A second call of the
same submodule is recorded under `fqn@1`, `fqn@2`..., as torch does; calls
must keep the same pytree structure (torch's rule too).
"""
import contextlib
import dataclasses

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor
from ..utils import _pytree as pytree
from .errors import UserError
from .graph_signature import ConstantArgument, TensorArgument, sym_argument

__all__ = ["preserved_calls", "PreservedCall", "renamed_call_graph"]


class PreservedCall:
    """One recorded call: fqn (with `@i` past the first), flat input/output arguments and their specs."""

    def __init__(self, fqn, inputs, in_spec):
        self.fqn, self.inputs, self.in_spec = fqn, inputs, in_spec
        self.outputs, self.out_spec = None, None


def _argument(tracer, leaf):
    """The signature argument naming the graph value of one flat leaf."""
    if isinstance(leaf, Tensor):
        node, _ = tracer.node_of(leaf)
        return TensorArgument(node.name)
    if is_symbolic(leaf) and tracer.sym_nodes is not None:
        return sym_argument(tracer.sym_nodes.node(leaf).name, leaf)
    return ConstantArgument("", leaf)


@contextlib.contextmanager
def preserved_calls(tracer, mod, fqns):
    """For the `with` block, record each call of the submodules named by `fqns`; yields the list of
    PreservedCall filled in as calls finish (in the order they started)."""
    fqns = tuple(fqns)
    modules = dict(mod.module_tree(remove_duplicate=False))
    for fqn in fqns:
        if not isinstance(fqn, str) or fqn not in modules or fqn == "":
            raise UserError(f"preserve_module_call_signature: {fqn!r} is not the fqn of a submodule of the "
                            "exported module")
    calls, handles = [], []
    for fqn in dict.fromkeys(fqns):
        handles += _hook(tracer, modules[fqn], fqn, calls)
    try:
        yield calls
    finally:
        for h in handles:
            h.remove()


def _hook(tracer, sub, fqn, calls):
    """Install the pre/post hooks recording `sub`'s calls under `fqn`; returns their handles."""
    open_calls, specs = [], {}

    def pre(module, args, kwargs):
        leaves, in_spec = pytree.tree_flatten((args, kwargs))
        first = specs.setdefault("in", in_spec)
        if first != in_spec:
            raise UserError(f"preserve_module_call_signature: {fqn} is called with a different input structure "
                            f"than before ({in_spec} vs {first})")
        n = sum(1 for c in calls if c.fqn.partition("@")[0] == fqn)
        call = PreservedCall(fqn if n == 0 else f"{fqn}@{n}", [_argument(tracer, v) for v in leaves], in_spec)
        calls.append(call)
        open_calls.append(call)

    def post(module, args, kwargs, out):
        call = open_calls.pop()
        leaves, call.out_spec = pytree.tree_flatten(out)
        call.outputs = [_argument(tracer, v) for v in leaves]

    return [sub.register_forward_pre_hook(pre, with_kwargs=True), sub.register_forward_hook(post, with_kwargs=True)]


def renamed_call_graph(entries, renames):
    """The module call graph with each signature's TensorArgument renamed by {old name: new name} (after a
    pass such as run_decompositions re-traces the graph); other arguments and entries are kept."""
    def rename(args):
        return [TensorArgument(renames.get(a.name, a.name)) if isinstance(a, TensorArgument) else a for a in args]

    return [e if e.signature is None else
            dataclasses.replace(e, signature=dataclasses.replace(e.signature, inputs=rename(e.signature.inputs),
                                                                 outputs=rename(e.signature.outputs)))
            for e in entries]
