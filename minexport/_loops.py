"""Loops that export keeps in the graph: while_loop, scan (torch._higher_order_ops) and associative_scan.

Eagerly they are plain Python loops.  While exporting, `while_loop` traces
cond_fn and body_fn once each into subgraphs under one
`torch.ops.higher_order.while_loop` node, and `scan` traces combine_fn once
under `torch.ops.higher_order.scan`; tensors the bodies read from outside
become `additional_inputs`.  `associative_scan` (combine_mode="generic") is
recorded as torch lowers it: a log-depth odd/even scan of slices, cats and
stacks made of ordinary ops.

Rules (torch's): carried values and scanned inputs are tensors (pytrees of
them; while_loop also carries ints); a body returns the structure it was
given, with the same shapes and dtypes for everything carried; cond_fn
returns a 0-dim bool tensor; bodies do not return their inputs unchanged or
mutate them.
"""
import numpy as np

from . import _functions
from ._tensor import Tensor
from ._symbolic_marker import is_symbolic
from ._trace_state import trace_state
from ._user_errors import UserError
from .utils import _pytree as pytree

__all__ = ["while_loop", "scan", "associative_scan", "check_same_meta"]


def _describe(t):
    return f"{t.dtype.name}[{', '.join(str(s) for s in t.shape)}]"


def check_same_meta(what, outs, ins, lhs, rhs):
    """Refuse outputs that do not match the values they replace, in count, shape or dtype (torch's wording)."""
    if len(outs) != len(ins):
        raise UserError(f"{what}: Expected {lhs} and {rhs} to have same number of outputs but got "
                        f"{len(outs)} ({lhs}) and {len(ins)} ({rhs})")
    for i, (a, b) in enumerate(zip(outs, ins)):
        if not isinstance(b, Tensor) and not isinstance(a, (Tensor, bool)) and (isinstance(a, int) or is_symbolic(a)):
            continue                      # a carried int stays an int (a SymInt while exporting)
        if not isinstance(a, Tensor):
            raise UserError(f"{what}: {lhs}[{i}] is a {type(a).__name__}; loop bodies must return tensors")
        for field, x, y in (("shape", [str(s) for s in a.shape], [str(s) for s in b.shape]),
                            ("dtype", a.dtype.name, b.dtype.name)):
            if x != y:
                raise UserError(f"{what}: Expected {lhs} and {rhs} to have same metadata but found: pair[{i}] "
                                f"differ in '{field}: {_describe(a)} vs {_describe(b)}' ({lhs} vs {rhs}); a "
                                "loop's carried values keep their shape and dtype across iterations")


def _tensor_leaves(value, what):
    """(leaves, spec) of a pytree whose leaves must all be tensors."""
    leaves, spec = pytree.tree_flatten(value)
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, Tensor):
            raise UserError(f"{what}: leaf {i} is a {type(leaf).__name__}; it must be a tensor (pass other "
                            "values by closing over them in the functions)")
    return leaves, spec


def _refuse_aliases(what, outs, ins):
    """A body may not hand back one of its inputs itself (torch: 'Encountered aliasing')."""
    for i, out in enumerate(outs):
        if isinstance(out, Tensor) and any(out is x for x in ins):     # (small ints are shared objects)
            raise UserError(f"{what}: Encountered aliasing during higher order op tracing: output {i} is one of "
                            "the inputs. Replace `return input` with `return input.clone()` to avoid aliasing.")


def _refusing_mutation(what, fn, inputs):
    """fn(*inputs), refused if it changed an input tensor's values.

    Eagerly there is no trace to inspect, so the first call of a body is
    checked against a copy of its tensor inputs (torch refuses the body
    before running it; later calls run the same code).
    """
    before = [(x, x.numpy().copy()) for x in inputs if isinstance(x, Tensor)]
    out = fn(*inputs)
    for i, (x, old) in enumerate(before):
        if not np.array_equal(x.numpy(), old, equal_nan=old.dtype.kind in "fc"):
            raise UserError(f"{what}: Encountered input mutation during higher order op tracing: the body "
                            f"changed its input {i} in place. Higher order ops do not support input mutation; "
                            "clone it first: x = x.clone()")
    return out


def _as_tuple(value):
    return tuple(value) if isinstance(value, list) else value


# -- while_loop ---------------------------------------------------------------------------
def _check_pred(pred):
    """cond_fn's result as a Python bool: a bool, or a 0-dim bool tensor (torch's rule)."""
    if isinstance(pred, bool):
        return pred
    if isinstance(pred, Tensor) and pred.dtype.name == "bool" and tuple(pred.shape) == ():
        return bool(pred)
    got = f"a tensor of {_describe(pred)}" if isinstance(pred, Tensor) else type(pred).__name__
    raise UserError(f"torch.while_loop: unsupported cond_fn return type: Expected cond_fn to return a scalar "
                    f"tensor or a bool but got {got}")


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run `carried = body_fn(*carried)` while `cond_fn(*carried)`; returns the final carried values.

    carried_inputs is a tuple or list of tensors or ints (or pytrees of them;
    exported, an int is an unbacked SymInt inside the bodies); body_fn returns
    values of the same structure, shapes and dtypes.
    """
    if not callable(cond_fn) or not callable(body_fn):
        raise TypeError("while_loop: cond_fn and body_fn must be callables taking the carried inputs")
    if not isinstance(carried_inputs, (tuple, list)):
        raise TypeError(f"while_loop: carried_inputs must be a tuple or list, got {type(carried_inputs).__name__}")
    flat, spec = pytree.tree_flatten(tuple(carried_inputs))
    for i, leaf in enumerate(flat):
        if not (isinstance(leaf, (Tensor, int)) or type(leaf).__name__ == "SymInt") or isinstance(leaf, bool):
            raise UserError(f"torch.while_loop: carried_inputs leaf {i} is a {type(leaf).__name__}; carried "
                            "inputs must be tensors or ints")

    def unflat(leaves):
        return pytree.tree_unflatten(list(leaves), spec)

    def body_leaves(*leaves):
        out_leaves, out_spec = pytree.tree_flatten(_as_tuple(body_fn(*unflat(leaves))))
        if out_spec != spec:
            check_same_meta("torch.while_loop", out_leaves, leaves, "body_fn_output", "carried_inputs")
            raise UserError(f"torch.while_loop: body_fn returned {out_spec}, expected the structure of "
                            f"carried_inputs {spec}")
        return out_leaves

    tracer = trace_state.tracer
    trace = getattr(tracer, "trace_while_loop", None) if tracer is not None else None
    if trace is not None:     # ints are carried as unbacked SymInts (see export/_loops.py)
        return _as_tuple(unflat(trace(lambda *leaves: cond_fn(*unflat(leaves)), body_leaves, tuple(flat))))
    carried, first = flat, True
    while _check_pred(cond_fn(*unflat(carried))):
        out = _refusing_mutation("torch.while_loop", body_leaves, carried) if first else body_leaves(*carried)
        first = False
        check_same_meta("torch.while_loop", out, carried, "body_fn_output", "carried_inputs")
        _refuse_aliases("torch.while_loop", out, carried)
        carried = out
    return _as_tuple(unflat(carried))


# -- scan ---------------------------------------------------------------------------------
def _scan_inputs(xs, dim):
    """xs's tensor leaves, their spec, the scan dim (made non-negative) and the number of steps."""
    leaves, spec = _tensor_leaves(xs, "scan: xs")
    if not leaves:
        raise UserError("scan: xs must contain at least one tensor to scan over")
    ndim = leaves[0].dim()
    d = dim + ndim if dim < 0 else dim
    if any(x.dim() <= d for x in leaves) or d < 0:
        raise RuntimeError("All xs leaves must at least have 'dim' number of dimensions and scan dimension > 0")
    sizes = {str(x.shape[d]) for x in leaves}
    if len(sizes) != 1:
        raise RuntimeError(f"scan: all xs leaves must have the same size along the scan dimension {d}, got "
                           f"{sorted(sizes)}")
    n = leaves[0].shape[d]
    if isinstance(n, int) and n == 0:
        raise RuntimeError("All xs leaves must at least have 'dim' number of dimensions and scan dimension > 0")
    return leaves, spec, d, n


def scan(combine_fn, init, xs, *, dim=0, reverse=False):
    """Fold combine_fn(carry, x) -> (next_carry, y) over `dim` of xs from `init`; returns (carry, ys).

    ys stacks each step's y along `dim` (in step order; from the end when
    `reverse`).  init and xs are tensors or pytrees of tensors.
    """
    if not callable(combine_fn):
        raise TypeError("scan: combine_fn must be a callable taking (carry, x)")
    init_leaves, init_spec = _tensor_leaves(init, "scan: init")
    x_leaves, x_spec, d, n = _scan_inputs(xs, dim)
    # as torch records it: the scan dim moved to the front, flipped for reverse, undone on the outputs
    if d != 0:
        x_leaves = [_functions.movedim(x, d, 0) for x in x_leaves]
    if reverse:
        x_leaves = [_functions.flip(x, [0]) for x in x_leaves]
    y_spec = []

    def step(*leaves):
        carry = pytree.tree_unflatten(list(leaves[:len(init_leaves)]), init_spec)
        x = pytree.tree_unflatten(list(leaves[len(init_leaves):]), x_spec)
        out = combine_fn(carry, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise UserError("scan: combine_fn must return a tuple (next_carry, y)")
        carry_leaves, carry_spec = pytree.tree_flatten(out[0])
        if carry_spec != init_spec:
            check_same_meta("torch.ops.higher_order.scan", carry_leaves, init_leaves, "carry", "init")
            raise UserError(f"scan: combine_fn's next carry has structure {carry_spec}, init has {init_spec}")
        ys, spec = pytree.tree_flatten(out[1])
        y_spec[:] = [spec]
        return list(carry_leaves) + list(ys)

    tracer = trace_state.tracer
    trace = getattr(tracer, "trace_scan", None) if tracer is not None else None
    if trace is not None:
        outs = trace(step, init_leaves, x_leaves, n)
    else:
        outs = _scan_eagerly(step, init_leaves, x_leaves, n)
    carry, ys = outs[:len(init_leaves)], list(outs[len(init_leaves):])
    if reverse:
        ys = [_functions.flip(y, [0]) for y in ys]
    if d != 0:
        ys = [_functions.movedim(y, 0, d) if y.dim() > d else y for y in ys]
    return pytree.tree_unflatten(list(carry), init_spec), pytree.tree_unflatten(ys, y_spec[0])


def _scan_eagerly(step, init, xs, n):
    """The scan as a Python loop over the leading dim: final carry leaves, then the stacked y leaves."""
    carry, rows = list(init), []
    for i in range(n):
        args = carry + [x[i] for x in xs]
        out = _refusing_mutation("torch.ops.higher_order.scan", step, args) if i == 0 else step(*args)
        new = out[:len(carry)]
        check_same_meta("torch.ops.higher_order.scan", new, carry, "carry", "init")
        _refuse_aliases("torch.ops.higher_order.scan", out, args)
        carry, rows = new, rows + [out[len(carry):]]
    return carry + [_functions.stack([r[j] for r in rows]) for j in range(len(rows[0]))]


# -- associative_scan ---------------------------------------------------------------------
def associative_scan(combine_fn, xs, dim, reverse=False, combine_mode="pointwise"):
    """Inclusive scan of xs along dim with an associative combine_fn(a, b) (combine_mode="generic").

    As torch 2.13 lowers it: a log-depth odd/even scan whose combine calls act
    on whole slices.  combine_fn must therefore work elementwise along the
    scan dim on slices with a leading batch dim (torch vmaps it over that dim;
    pointwise functions and ones broadcasting over leading dims agree).
    combine_mode="pointwise" needs CUDA in torch; minexport has no CUDA.
    """
    if combine_mode not in ("pointwise", "generic"):
        raise ValueError(f"Combine_mode must either 'pointwise' or 'generic', but got {combine_mode}")
    if not callable(combine_fn):
        raise ValueError(f"Combine_fn must be a callable, but got {combine_fn}")
    if not isinstance(dim, int):
        raise ValueError("Dim must be an int, but got " + str(type(dim)))
    leaves, spec = _tensor_leaves(xs, "associative_scan: xs")
    if not leaves:
        raise ValueError("Expected at least 1 xs leaf")
    if combine_mode == "pointwise":
        raise ValueError("For combine_mode='pointwise', all input tensors need to be on CUDA or XPU")
    ndim = leaves[0].dim()
    d = dim + ndim if dim < 0 else dim
    if not 0 <= d < ndim or any(x.dim() != ndim for x in leaves):
        raise ValueError(f"associative_scan: dim {dim} is out of range for xs leaves of {ndim} dimensions")
    if len({str(x.shape[d]) for x in leaves}) != 1:
        raise ValueError("All xs tensors must have the same size along the scan dimension")
    leaves = [_functions.movedim(x, d, 0) for x in leaves]
    if reverse:
        leaves = [_functions.flip(x, [0]) for x in leaves]

    def combine(a, b):
        out, out_spec = pytree.tree_flatten(combine_fn(pytree.tree_unflatten(a, spec),
                                                       pytree.tree_unflatten(b, spec)))
        if out_spec != spec:
            raise ValueError(f"The tree structure of the xs and the outputs of the combine_fn are required to "
                             f"be identical, but got {spec} and {out_spec}")
        return out

    out = _odd_even_scan(combine, leaves)
    if reverse:
        out = [_functions.flip(x, [0]) for x in out]
    out = [_functions.movedim(x, 0, d) for x in out]
    return pytree.tree_unflatten(out, spec)


def _odd_even_scan(combine, elems):
    """Inclusive scan along dim 0 in log depth: combine pairs, scan the pair sums, fill in the evens."""
    n = elems[0].shape[0]
    if n < 2:
        return elems
    # reduce neighbouring pairs (0,1), (2,3), ... and scan the half-length result: the odd positions
    odd = _odd_even_scan(combine, combine([e[0:-1:2] for e in elems], [e[1::2] for e in elems]))
    # even positions 2, 4, ...: the scan just before them combined with the element itself
    if n % 2 == 0:
        evens = combine([o[:-1] for o in odd], [e[2::2] for e in elems])
    else:
        evens = combine(odd, [e[2::2] for e in elems])
    firsts = [e[0:1] for e in elems]
    even = firsts if n <= 2 else [_functions.cat([f, x]) for f, x in zip(firsts, evens)]
    return [_interleave(a, b) for a, b in zip(even, odd)]


def _interleave(even, odd):
    """even[0], odd[0], even[1], odd[1], ... (even may be one longer)."""
    if even.shape[0] == odd.shape[0]:
        return _functions.flatten(_functions.stack([even, odd], 1), 0, 1)
    pairs = _functions.flatten(_functions.stack([even[:-1], odd], 1), 0, 1)
    return _functions.cat([pairs, even[-1:]])
