"""Rebuild a program's ShapeEnv from the symbolic expressions and range constraints of its archive.

Symbols are named as torch names them: `s<N>` (a dynamic size), `u<N>` (an
unbacked integer, e.g. from `.item()`), `zuf<N>` (an unbacked float).  Each
name makes one sympy symbol the first time it is seen; expressions are parsed
by sym_expr.py's whitelist parser, never evaluated.
"""
import math
import re

from .errors import SerializationError
from .limits import DEFAULT_LIMITS
from .range_keys import parse_range_key
from .sym_expr import parse_expr

__all__ = ["Symbols"]

_SYMBOL_KINDS = ("s", "u", "zuf")
_SYMBOL_NAME = re.compile(r"(?:s|u|zuf)[0-9]+")


class Symbols:
    """The ShapeEnv under construction (made on first need) and the symbols named so far."""

    def __init__(self, limits=DEFAULT_LIMITS):
        self.env = None
        self.symbols = {}
        self.limits = limits
        self.used = False       # whether a size or value of the graph is symbolic

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
        self.used = True
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

    def range_key(self, name):
        """The symbol, or derived size expression (torch's `2*s77 + 1`), a range_constraints key names."""
        if _SYMBOL_NAME.fullmatch(name):
            return self.symbol(name)
        return parse_range_key(name, self.symbol, self.limits)

    def set_ranges(self, ranges):
        """Apply validated range constraints ({key: {min_val, max_val}}) to the symbols they name; return
        {symbol or derived expression: ValueRange}, as the program's range_constraints."""
        from ..symbolic import ValueRange, int_oo
        out = {}
        for name, r in ranges.items():
            key = self.range_key(name)
            if not key.is_Symbol:
                # a derived dim's entry (torch writes one per `2*d`, `d + 1` in dynamic_shapes): its range
                # follows from its symbol's, so it is kept as written and narrows nothing
                lo, hi = r["min_val"], r["max_val"]
                out[key] = ValueRange(0 if lo is None else lo, int_oo if hi is None else hi)
                continue
            sym = key
            if sym in self.env.float_symbols:       # a data-dependent float: always unbounded
                continue
            lo, hi = r["min_val"], r["max_val"]
            current = self.env.var_to_range[sym]
            self.env.var_to_range[sym] = ValueRange(current.lower if lo is None else lo, int_oo if hi is None else hi)
            if lo is not None and lo >= 0 and sym in self.env.unbacked:
                self.env.size_like.add(sym)
        # in the archive's order, each symbol with the range it has now
        return {key: out.get(key) or self.env.var_to_range[key] for key in map(self.range_key, ranges)}
