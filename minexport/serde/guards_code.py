"""guards_code: the program's relations between input sizes, written as the Python torch evaluates.

torch 2.13 stores in model.json the guards its trace made (`(1 + (L['x'].size()[0] % 3)) != 1`) and,
when it loads an archive, runs them on every call of `ep.module()`.  Ranges and equalities between
dims it re-derives from range_constraints and the placeholders' shapes, so what minexport writes here
is the rest: the relations and non-linear conditions its own call-time checks hold
(`RuntimeShapeChecks`).  Each size symbol is printed as its input's source (`L['x'].size()[0]`);
floor and ceiling of a ratio of integers as integer division, so large sizes stay exact.  A guard
over anything else (a data-dependent value, a function torch's guard namespace lacks) is not written:
torch then does not check it, as it would not for its own program.
"""
import re

__all__ = ["guards_code"]

_SOURCE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(.*)", re.S)


def _printer():
    import sympy
    from sympy.printing.pycode import PythonCodePrinter

    class _GuardPrinter(PythonCodePrinter):
        """Python text over sources; integer division for floor/ceiling of integer ratios."""

        def _print_Symbol(self, expr):
            return expr.name

        def _ratio(self, arg):
            num, den = sympy.fraction(sympy.together(arg))
            if den.is_Integer and num.is_integer:
                return self._print(num), self._print(den)
            return None

        def _print_floor(self, expr):
            ratio = self._ratio(expr.args[0])
            return f"(({ratio[0]}) // {ratio[1]})" if ratio else f"math.floor({self._print(expr.args[0])})"

        def _print_FloorDiv(self, expr):
            # torch's FloorDiv(a, b) in guards_code: `(L['x'].size()[0] // 2)`
            num, den = expr._parts()
            return f"({self.parenthesize(num, 40)} // {self.parenthesize(den, 40)})"

        def _print_ceiling(self, expr):
            ratio = self._ratio(expr.args[0])
            return f"(-((-({ratio[0]})) // {ratio[1]}))" if ratio else f"math.ceil({self._print(expr.args[0])})"

    return _GuardPrinter({"fully_qualified_modules": True})


_ALLOWED = None


def _printable(expr):
    """True when expr uses only what the printer writes as plain Python."""
    import sympy
    global _ALLOWED
    if _ALLOWED is None:
        _ALLOWED = (sympy.Symbol, sympy.Number, sympy.Add, sympy.Mul, sympy.Pow, sympy.floor, sympy.ceiling,
                    sympy.Mod, sympy.Max, sympy.Min, sympy.core.relational.Relational)
    return all(isinstance(e, _ALLOWED) for e in sympy.preorder_traversal(expr))


def _torch_source(source):
    """minexport's `x.size()[0]` as torch's guard source `L['x'].size()[0]`."""
    m = _SOURCE.fullmatch(source)
    return f"L['{m.group(1)}']{m.group(2)}" if m else None


def guards_code(ep):
    """The list of guard strings for model.json's guards_code (empty for a program without symbols)."""
    env = ep.shape_env
    if env is None or not env.guards:
        return []
    import sympy

    from ..export._symbolic import RuntimeShapeChecks
    printer, out = _printer(), []
    for guard in RuntimeShapeChecks(env, ep.range_constraints, []).relations:
        sources = {s: _torch_source(env.var_to_source.get(s, "")) for s in guard.free_symbols}
        if None in sources.values() or not _printable(guard):
            continue
        named = guard.xreplace({s: sympy.Symbol(src, integer=True, positive=True) for s, src in sources.items()})
        text = printer.doprint(named)
        if text not in out:
            out.append(text)
    return out
