"""preserve_module_call_signature: record how listed submodules are called during export.

For each listed fqn, export hooks the submodule for the trace: a pre-hook
flattens the call's `(args, kwargs)` and a post-hook its result, and each flat
leaf becomes a signature argument naming the graph value it is (`x`, `add`),
as torch's ModuleCallSignature records it: a tensor as TensorArgument, a
str/int/float/bool/None as ConstantArgument('', value); anything else (a
symbolic size included) is refused, as torch 2.13 refuses it.  The graph itself is left as it is (torch
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
from .graph_signature import ConstantArgument, TensorArgument

__all__ = ["preserved_calls", "PreservedCall", "renamed_call_graph"]


class PreservedCall:
    """One recorded call: fqn (with `@i` past the first), flat input/output arguments and their specs."""

    def __init__(self, fqn, inputs, in_spec):
        self.fqn, self.inputs, self.in_spec = fqn, inputs, in_spec
        self.outputs, self.out_spec = None, None


def _argument(tracer, fqn, leaf):
    """The signature argument naming the graph value of one flat leaf: a tensor's node, or a constant.
    Anything else (a symbolic size, an object) is refused, as torch refuses it."""
    if isinstance(leaf, Tensor):
        node, _ = tracer.node_of(leaf)
        return TensorArgument(node.name)
    if is_symbolic(leaf) or not (leaf is None or isinstance(leaf, (str, int, float, bool))):
        raise UserError(f"preserve_module_call_signature: {fqn} is called with or returns {leaf!r}. Only Tensors "
                        "or scalars are supported as pytree flattened inputs and outputs of a preserved module")
    return ConstantArgument("", leaf)


@contextlib.contextmanager
def preserved_calls(tracer, mod, fqns):
    """For the `with` block, record each call of the submodules named by `fqns`; yields the list of
    PreservedCall filled in as calls finish (in the order they started)."""
    fqns = tuple(fqns)
    modules = dict(mod.module_tree(remove_duplicate=False)) if fqns else {}
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
        call = PreservedCall(fqn if n == 0 else f"{fqn}@{n}", [_argument(tracer, fqn, v) for v in leaves], in_spec)
        calls.append(call)
        open_calls.append(call)

    def post(module, args, kwargs, out):
        call = open_calls.pop()
        leaves, call.out_spec = pytree.tree_flatten(out)
        first = specs.setdefault("out", call.out_spec)
        if first != call.out_spec:
            raise UserError(f"preserve_module_call_signature: {fqn} returns a different output structure than "
                            f"before ({call.out_spec} vs {first})")
        call.outputs = [_argument(tracer, fqn, v) for v in leaves]

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
