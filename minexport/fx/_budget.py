"""The memory check a GraphRunner makes before it runs a graph (budget in runtime/limits.py).

Each node's recorded value (`node.meta["val"]`) says how big the node's
result will be: elements x item size of every tensor in it.  Static sizes are
summed up once; sizes with symbols are evaluated on each run from the
symbols' values, read off the inputs' shapes (a placeholder dimension that is
a bare symbol binds it).  Every node is checked before the first one runs, so
a graph that would exceed the budget allocates nothing.  Sizes whose symbols
the inputs do not bind (data-dependent sizes) are not checked ahead.
"""
from .._symbolic_marker import is_symbolic
from .._tensor import Tensor
from ..runtime.limits import ResourceLimitError, memory_budget

__all__ = ["MemoryGuard"]

_CACHE = 64         # symbol bindings whose verdicts are remembered


def _tensors(val):
    if isinstance(val, Tensor):
        yield val
    elif isinstance(val, (list, tuple)):
        for v in val:
            yield from _tensors(v)


def _nbytes(t):
    """Bytes of tensor t: an int, or a sympy expression when its sizes are symbolic."""
    n = t.dtype.itemsize
    for s in t.shape:
        n = n * (s.expr if is_symbolic(s) else s)
    return n


class MemoryGuard:
    """Per graph: the largest static value, and the symbolic sizes to evaluate per run."""

    def __init__(self, placeholders, nodes):
        self.static = (0, None)                 # (bytes, node) of the largest static value
        self.symbolic = []                      # (expression, node)
        for n in nodes:
            for t in _tensors(n.meta.get("val")):
                size = _nbytes(t)
                if isinstance(size, int):
                    self.static = max(self.static, (size, n), key=lambda e: e[0])
                else:
                    self.symbolic.append((size, n))
        # where each symbol is read: (input index, dim or None for a SymInt input, symbol)
        self.binders = []
        if self.symbolic:
            for i, p in enumerate(placeholders):
                val = p.meta.get("val")
                if is_symbolic(val) and val.expr.is_Symbol:
                    self.binders.append((i, None, val.expr))
                elif isinstance(val, Tensor):
                    self.binders.extend((i, d, s.expr) for d, s in enumerate(val.shape)
                                        if is_symbolic(s) and s.expr.is_Symbol)
        self._verdicts = {}

    @classmethod
    def build(cls, placeholders, nodes):
        """A guard for these nodes, or None when no node records a tensor value."""
        guard = cls(placeholders, nodes)
        return guard if guard.static[1] is not None or guard.symbolic else None

    def check(self, inputs):
        """Raise ResourceLimitError when some node's value would exceed the memory budget."""
        budget = memory_budget()
        if self.static[0] > budget:
            _refuse(self.static[1], self.static[0], budget)
        if not self.symbolic:
            return
        key = []
        for i, d, _ in self.binders:
            x = inputs[i]
            key.append(x if d is None else (x.shape[d] if hasattr(x, "shape") and len(x.shape) > d else None))
        key = tuple(key)
        worst = self._verdicts.get(key)
        if worst is None:
            worst = self._evaluate(key)
            if len(self._verdicts) >= _CACHE:
                self._verdicts.clear()
            self._verdicts[key] = worst
        if worst[0] > budget:
            _refuse(worst[1], worst[0], budget)

    def _evaluate(self, key):
        """(bytes, node) of the largest symbolic value under these symbol values."""
        import sympy
        bindings = {sym: sympy.Integer(int(v)) for (_, _, sym), v in zip(self.binders, key)
                    if isinstance(v, int) or hasattr(v, "__index__")}
        worst = (0, None)
        for expr, node in self.symbolic:
            value = expr.xreplace(bindings)
            if value.is_Integer and int(value) > worst[0]:
                worst = (int(value), node)
        return worst


def _refuse(node, nbytes, budget):
    val = node.meta.get("val")
    shapes = ", ".join(f"{t.dtype.name}{list(t.shape)}" for t in _tensors(val))
    raise ResourceLimitError(f"node '{node.name}' ({node.target}) would make {shapes}: {nbytes} bytes, more than "
                             f"the memory budget of {budget} bytes (minexport.runtime.set_memory_budget)")
