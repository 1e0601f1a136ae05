"""Higher-order operators: ops whose arguments include graphs (`torch.ops.higher_order.cond`, `map_impl`).

In an exported graph a higher-order op reads its branches or body with
`get_attr` nodes naming submodules of the program (`true_graph_0`,
`body_graph_0`) and returns a tuple of tensors, read with getitem nodes.  The
kernel receives each subgraph as a callable on arrays (the interpreter passes
a compiled runner), so one definition serves eager calls and graph runs.
"""
import types

from ._registry import aten, namespace

__all__ = ["HigherOrderOperator", "cond", "map_impl", "while_loop", "scan", "higher_order"]

higher_order = namespace("higher_order")


class HigherOrderOperator:
    """An operator taking graphs as arguments: `torch.ops.higher_order.<name>`.

    Not an `OpOverload`: it has no schema and no meta function (its outputs come
    from tracing the subgraphs), so code tells the two apart with
    `ops._targets.target_kind`, never by probing attributes.
    """

    namespace = "higher_order"
    takes_kwargs = False    # True: every argument after the first is a keyword (auto_functionalized_v2)

    def __init__(self, name, kernel, arg_kinds, doc):
        self.__name__ = self._name = name
        self.kernel = kernel
        self.arg_kinds = arg_kinds      # per argument: "value", "subgraph" (a get_attr) or "tensors" (a list)
        self.__doc__ = doc
        higher_order._packets[name] = self

    def name(self):
        """The operator's name ('cond')."""
        return self._name

    @property
    def qualified_name(self):
        """'torch.ops.higher_order.cond', as graphs print it."""
        return f"torch.ops.higher_order.{self._name}"

    def __call__(self, *args):
        return self.kernel(TENSOR_NAMESPACE, *args)

    def __str__(self):
        return self._name

    def __repr__(self):
        return self.qualified_name


# The `xp` an eager call hands a kernel: the few array functions the kernels use,
# done with registered ops so that they take and return tensors.
TENSOR_NAMESPACE = types.SimpleNamespace(stack=lambda tensors, axis=0: aten.stack.default(list(tensors), axis),
                                         copy=lambda t: aten.clone.default(t))


def _cond_kernel(xp, pred, true_fn, false_fn, operands):
    """Run one branch on the operands; the branch returns a tuple of values."""
    return tuple((true_fn if bool(pred) else false_fn)(*operands))


def _map_kernel(xp, body, xs, args):
    """Run body on each slice xs[i] (with args), stacking each output along a new dim 0."""
    n = int(xs[0].shape[0])
    if n == 0:
        raise ValueError("map_impl: the mapped inputs have a leading dimension of size 0; map needs at least "
                         "one slice to run the body on")
    rows = [tuple(body(*[x[i] for x in xs], *args)) for i in range(n)]
    return tuple(xp.stack([row[j] for row in rows]) for j in range(len(rows[0])))


cond = HigherOrderOperator("cond", _cond_kernel, ("value", "subgraph", "subgraph", "tensors"),
                           "cond(pred, true_graph, false_graph, operands): run one branch on the operands.")
map_impl = HigherOrderOperator("map_impl", _map_kernel, ("subgraph", "tensors", "tensors"),
                               "map_impl(body_graph, xs, args): run the body on every xs[i] and stack.")


# -- loops (while_loop, scan) ---------------------------------------------------------
def _while_loop_kernel(xp, cond_fn, body_fn, carried, additional):
    """Run body_fn on the carried values while cond_fn says so; the final carried values (fresh copies)."""
    carried = tuple(carried)
    additional = tuple(additional)
    if not bool(cond_fn(*carried, *additional)):
        # no iteration: the outputs still may not alias the inputs (a carried int is a value: kept)
        return tuple(c if isinstance(c, int) else xp.copy(c) for c in carried)
    carried = tuple(body_fn(*carried, *additional))
    while bool(cond_fn(*carried, *additional)):
        carried = tuple(body_fn(*carried, *additional))
    return carried


def _scan_kernel(xp, combine_fn, init, xs, additional):
    """Fold combine_fn over dim 0 of xs from init: (final carry..., every step's outputs stacked...)."""
    n = int(xs[0].shape[0]) if xs else 0
    if n == 0:
        raise RuntimeError("scan: the scanned inputs have a scan dimension of size 0; scan needs at least one "
                           "step to learn its outputs from")
    carry, k = tuple(init), len(init)
    rows = []
    for i in range(n):
        out = tuple(combine_fn(*carry, *[x[i] for x in xs], *additional))
        carry = out[:k]
        rows.append(out[k:])
    return carry + tuple(xp.stack([row[j] for row in rows]) for j in range(len(rows[0])))


while_loop = HigherOrderOperator(
    "while_loop", _while_loop_kernel, ("subgraph", "subgraph", "tensors", "tensors"),
    "while_loop(cond_graph, body_graph, carried_inputs, additional_inputs): iterate the body while cond holds.")
scan = HigherOrderOperator(
    "scan", _scan_kernel, ("subgraph", "tensors", "tensors", "tensors"),
    "scan(combine_graph, init, xs, additional_inputs): fold over dim 0 of xs, stacking each step's outputs.")
