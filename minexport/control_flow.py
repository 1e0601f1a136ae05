"""Control flow that export keeps in the graph: `cond` (torch.cond) and `map` (functorch's control_flow.map).

Eagerly they are plain Python: `cond` runs one branch, `map` loops over the
leading dimension and stacks.  While exporting, a predicate that depends on
the inputs (a symbolic size condition or a tensor) makes `cond` trace both
branches into subgraphs under one `torch.ops.higher_order.cond` node; a
Python bool just runs the chosen branch, as torch does.  `map` always traces
its body once into `torch.ops.higher_order.map_impl`.

Rules (torch's): operands are tensors; branches take the same arguments and
return tensors (or a pytree of them) with equal structure, shapes and dtypes;
a branch may not mutate or return its inputs.  Tensors a branch reads from
outside (closures, parameters, buffers) become extra operands of the node.

The loops `while_loop`, `scan` and `associative_scan` live in `_loops` and
are re-exported here (torch's paths: torch._higher_order_ops.<name>).
"""
from ._symbolic_marker import is_symbolic
from ._tensor import Tensor
from ._trace_state import trace_state
from .utils import _pytree as pytree
from ._loops import associative_scan, scan, while_loop

__all__ = ["cond", "map", "while_loop", "scan", "associative_scan"]


def cond(pred, true_fn, false_fn, operands=()):
    """true_fn(*operands) if pred else false_fn(*operands); kept as both branches when exporting."""
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond: true_fn and false_fn must be callables taking the operands")
    if not isinstance(operands, (tuple, list)):
        raise TypeError(f"cond: operands must be a tuple or list of tensors, got {type(operands).__name__}")
    flat, spec = pytree.tree_flatten(tuple(operands))
    for i, op in enumerate(flat):
        if not isinstance(op, Tensor):
            raise TypeError(f"cond: operands[{i}] is a {type(op).__name__}; operands must be tensors (or pytrees "
                            "of tensors; pass other values by closing over them in the branch functions)")
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"cond: expected pred to be a bool or a tensor with one element, got a tensor of "
                               f"shape {list(pred.shape)}")
    elif not isinstance(pred, (bool, int)) and not is_symbolic(pred):
        raise TypeError(f"cond: pred must be a bool, a symbolic condition or a one-element tensor, "
                        f"got {type(pred).__name__}")
    tracer = trace_state.tracer
    trace = tracer.trace_cond if tracer is not None else None
    if trace is not None and not isinstance(pred, (bool, int)):
        # the branches see the operands' structure; the graph sees the flat tensors (as torch records them)
        return trace(pred, *(_on_leaves(fn, spec) for fn in (true_fn, false_fn)), tuple(flat))
    return (true_fn if bool(pred) else false_fn)(*operands)


def _on_leaves(fn, spec):
    """fn taking the flat leaves of operands with pytree structure `spec`."""
    return lambda *leaves: fn(*pytree.tree_unflatten(list(leaves), spec))


def map(f, xs, *args):
    """Stack f(x, *args) over the leading dimension of xs (a tensor or pytree of tensors)."""
    flat_xs, xs_spec = pytree.tree_flatten(xs)
    flat_args, args_spec = pytree.tree_flatten(args)
    if not flat_xs or not all(isinstance(x, Tensor) and x.dim() >= 1 for x in flat_xs):
        raise TypeError("map: xs must be a tensor (or a pytree of tensors) with at least one dimension")
    sizes = {str(x.shape[0]) for x in flat_xs}
    if len(sizes) != 1:
        raise ValueError(f"map: the mapped tensors have different leading sizes {sorted(sizes)}")
    for i, a in enumerate(flat_args):
        if not isinstance(a, Tensor):
            raise TypeError(f"map: extra argument {i} is a {type(a).__name__}; extra arguments must be tensors")

    def body(*leaves):
        return f(pytree.tree_unflatten(list(leaves[:len(flat_xs)]), xs_spec),
                 *pytree.tree_unflatten(list(leaves[len(flat_xs):]), args_spec))

    tracer = trace_state.tracer
    trace = tracer.trace_map if tracer is not None else None
    if trace is not None:
        return trace(body, flat_xs, flat_args)
    from . import _functions
    rows = [pytree.tree_flatten(body(*[x[i] for x in flat_xs], *flat_args)) for i in range(int(flat_xs[0].shape[0]))]
    if not rows:
        raise ValueError("map: xs has a leading dimension of size 0")
    spec = rows[0][1]
    return pytree.tree_unflatten([_functions.stack([r[0][j] for r in rows]) for j in range(len(rows[0][0]))], spec)
