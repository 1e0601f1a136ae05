"""Rebuild a program's ShapeEnv from the symbolic expressions and range constraints of its archive.

Symbols are named as torch names them: `s<N>` (a dynamic size), `u<N>` (an
unbacked integer, e.g. from `.item()`), `zuf<N>` (an unbacked float).  Each
name makes one sympy symbol the first time it is seen; expressions are parsed
by sym_expr.py's whitelist parser, never evaluated.
"""
import math

from .errors import SerializationError
from .limits import DEFAULT_LIMITS
from .sym_expr import parse_expr

__all__ = ["Symbols", "is_symbol_name"]

_SYMBOL_KINDS = ("s", "u", "zuf")


def is_symbol_name(name):
    """True for `s17`, `u0`, `zuf0`; False for an expression key such as `2*s17` (torch writes range entries
    for derived input sizes too, and skips them on load: the symbols' own ranges carry the facts)."""
    kind = name.rstrip("0123456789") if isinstance(name, str) else None
    return kind in _SYMBOL_KINDS and kind != name


class Symbols:
    """The ShapeEnv under construction (made on first need) and the symbols named so far."""

    def __init__(self, limits=DEFAULT_LIMITS):
        self.env = None
        self.symbols = {}
        self.limits = limits

    def _env(self):
        if self.env is None:
            from ..symbolic import ShapeEnv
            self.env = ShapeEnv()
        return self.env

    def symbol(self, name):
        """The sympy symbol called `name`, made (with its kind's default range) the first time."""
        kind = name.rstrip("0123456789") if isinstance(name, str) else None
        if kind not in _SYMBOL_KINDS or kind == name:
            raise SerializationError(f"bad symbol name {name!r} (expected s<N>, u<N> or zuf<N>)")
        sym = self.symbols.get(name)
        if sym is None and kind == "zuf":
            sym = self.symbols[name] = self._env().create_unbacked_float(name, name=name).expr
        if sym is None:
            import sympy
            from ..symbolic import ValueRange, int_oo
            from ..symbolic.core import int_oo_value
            env = self._env()
            unbacked = kind == "u"
            sym = sympy.Symbol(name, integer=True) if unbacked else sympy.Symbol(name, integer=True, positive=True)
            env.var_to_range[sym] = ValueRange(int_oo_value() if unbacked else 0, int_oo)
            env.var_to_source[sym] = name
            if unbacked:
                env.unbacked.add(sym)
            self.symbols[name] = sym
        return sym

    def value(self, sym_expr, where=None):
        """A SymInt, SymFloat or SymBool (or a plain int) from a validated SymExpr record at JSON path `where`."""
        import sympy
        from ..symbolic import SymBool, SymFloat, SymInt
        try:
            expr = parse_expr(sym_expr["expr_str"], self.symbol, self.limits)
        except SerializationError as e:
            if where is None:
                raise
            raise (where / "expr_str").error(str(e)) from None
        if isinstance(expr, int):
            return expr
        hint = sym_expr["hint"]               # None, or (tag, example value)
        value = 0 if hint is None else hint[1]
        # a hint is an example value: it must be a finite number of bounded size
        if isinstance(value, float) and not math.isfinite(value) or \
                type(value) is int and value.bit_length() > self.limits.max_expr_int_bits:
            message = f"the hint {value!r} is not a finite number of at most {self.limits.max_expr_int_bits} bits"
            raise SerializationError(message if where is None else f"{where / 'hint'}: {message}")
        env = self._env()
        if hint is not None and isinstance(expr, sympy.Symbol) and expr not in env.unbacked:
            env.var_to_hint[expr] = int(value)
        if isinstance(expr, sympy.core.relational.Relational) or expr in (sympy.true, sympy.false):
            return SymBool(expr, env, bool(value))
        if expr.has(sympy.Float) or expr.free_symbols & env.float_symbols:
            return SymFloat(expr, env, None if hint is None else float(value))
        return SymInt(expr, env, int(value))

    def set_ranges(self, ranges):
        """Apply validated range constraints ({name: {min_val, max_val}}) to the symbols they name."""
        from ..symbolic import ValueRange, int_oo
        for name, r in ranges.items():
            sym = self.symbol(name)
            if sym in self.env.float_symbols:       # a data-dependent float: always unbounded
                continue
            lo, hi = r["min_val"], r["max_val"]
            current = self.env.var_to_range[sym]
            self.env.var_to_range[sym] = ValueRange(current.lower if lo is None else lo, int_oo if hi is None else hi)
            if lo is not None and lo >= 0 and sym in self.env.unbacked:
                self.env.size_like.add(sym)
