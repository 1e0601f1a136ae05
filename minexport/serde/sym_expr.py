"""Symbolic size expressions in archives: written as torch writes them, read back by expr_parser's bounded parser.

torch writes expressions as srepr text (`Mul(Integer(2), Symbol('s0', positive=True, integer=True))`)
with its own size functions where sympy has none: `FloorDiv(a, b)` for floor division, `PythonMod`
for a remainder whose operand may be negative (torch's `Mod` assumes non-negative operands),
`CeilToInt`/`FloorToInt` of a float.  The writer uses those names for minexport's `floor(a/b)`,
`Mod` and `ceiling`, so torch reads a minexport archive with its own functions; everything else is
sympy's srepr.  Reading never evaluates the text: expr_parser.py accepts only a whitelist of
constructors, bounds every number before sympy computes with it, and builds the sympy objects itself.
"""
from .expr_parser import parse_expr

__all__ = ["dump_expr", "parse_expr"]

_PRINTER = None


def _printer():
    import sympy
    from sympy.printing.repr import ReprPrinter

    class _TorchRepr(ReprPrinter):
        """srepr with torch's size functions for floor, ceiling and Mod."""

        def _ratio(self, arg):
            """(numerator, denominator) when arg is an integer expression over an integer > 1, else None."""
            num, den = sympy.fraction(sympy.together(arg))
            return (num, den) if den.is_Integer and den > 1 and num.is_integer else None

        def _print_floor(self, expr):
            ratio = self._ratio(expr.args[0])
            if ratio:
                return f"FloorDiv({self._print(ratio[0])}, {self._print(ratio[1])})"
            return f"FloorToInt({self._print(expr.args[0])})"

        def _print_ceiling(self, expr):
            ratio = self._ratio(expr.args[0])
            if ratio:       # the exact quotient of two ints, rounded up (read back as the same ceiling)
                return f"CeilToInt(IntTrueDiv({self._print(ratio[0])}, {self._print(ratio[1])}))"
            return f"CeilToInt({self._print(expr.args[0])})"

        def _print_Mod(self, expr):
            a, b = expr.args
            name = "Mod" if a.is_nonnegative and b.is_positive else "PythonMod"
            return f"{name}({self._print(a)}, {self._print(b)})"

    return _TorchRepr()


def dump_expr(expr):
    """The srepr text torch writes for a sympy size expression."""
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = _printer()
    return _PRINTER.doprint(expr)
