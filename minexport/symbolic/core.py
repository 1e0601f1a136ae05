"""SymInt, SymBool, ValueRange and ShapeEnv.

A SymInt is a sympy expression over size symbols (s0, s1, ...) plus its value
on the example inputs (the hint).  Arithmetic builds new expressions;
comparisons build SymBools.  `bool(symbool)` is where tracing decides a
Python branch: the ShapeEnv first tries to decide it from the symbols' value
ranges (no guard needed); otherwise it evaluates it on the hints and records
the outcome as a guard the program relies on.  Sizes equal to 0 or 1 are
never symbolic (torch specializes them), so `size == 1`-style checks on a
symbol are decided False without a guard, as torch's size-oblivious
reasoning does.
"""
import functools
import hashlib
import math
import sys
from fractions import Fraction

import sympy

from .._symbolic_marker import is_symbolic
from .._user_errors import DataDependentError, format_user_frame, user_frame

__all__ = ["SymInt", "SymFloat", "SymBool", "ShapeEnv", "ValueRange", "int_oo", "is_symbolic", "FloorDiv"]


class FloorDiv(sympy.floor):
    """floor(a / b) from `a // b` on sizes: sympy's floor (so ranges, solving and simplification treat it as
    one), printed as torch prints its FloorDiv -- `(s77//2)`, `((s0 + 1)//2)`, `2*((s77//2))` -- and
    written to archives as torch writes it, `FloorDiv(base, divisor)`."""

    precedence = 35     # below Add, as torch's: a product parenthesizes it

    def _parts(self):
        return sympy.together(self.args[0]).as_numer_denom()

    def _sympystr(self, printer):
        base, divisor = (printer.parenthesize(e, 999.5) for e in self._parts())
        return f"({base}//{divisor})"

    def _sympyrepr(self, printer):
        base, divisor = self._parts()
        return f"FloorDiv({printer._print(base)}, {printer._print(divisor)})"

    def _pythoncode(self, printer):
        # Python code (sympy's pycode, as generated modules and guards use it): `//` is floor division on ints
        base, divisor = self._parts()
        return f"(({printer._print(base)}) // ({printer._print(divisor)}))"


class _IntInfinity:
    """torch's int_oo: an unbounded upper end of an integer range."""

    def __repr__(self):
        return "int_oo"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, _IntInfinity) or other == math.inf

    def __hash__(self):
        return hash(math.inf)

    def __gt__(self, other):
        return not isinstance(other, _IntInfinity)

    def __ge__(self, other):
        return True

    def __lt__(self, other):
        return False

    def __le__(self, other):
        return isinstance(other, _IntInfinity)


int_oo = _IntInfinity()


class _NegInf:
    """-int_oo: the unbounded lower end of a data-dependent value's range."""

    def __repr__(self):
        return "-int_oo"

    __str__ = __repr__

    def __lt__(self, other):
        return not isinstance(other, _NegInf)

    def __le__(self, other):
        return True

    def __gt__(self, other):
        return False

    def __ge__(self, other):
        return isinstance(other, _NegInf)


_NEG_INF = _NegInf()


def int_oo_value():
    """The -int_oo marker (negated for the lower end)."""
    return _NEG_INF


def _below(current, new):
    """True when `new` is a tighter (higher) lower bound than `current`."""
    return isinstance(current, _NegInf) or new > current


class ValueRange:
    """An integer interval [lower, upper]; upper may be int_oo.  Prints as torch's VR[lo, hi]."""

    __slots__ = ("lower", "upper")

    def __init__(self, lower, upper):
        self.lower, self.upper = lower, upper

    def __contains__(self, value):
        return self.lower <= value and (self.upper is int_oo or value <= self.upper)

    def __eq__(self, other):
        return isinstance(other, ValueRange) and (self.lower, self.upper) == (other.lower, other.upper)

    def __repr__(self):
        return f"VR[{self.lower}, {self.upper}]"


def _times(x, y):
    """x * y for interval ends, where 0 times an infinite end is 0."""
    return 0 if x == 0 or y == 0 else x * y


@functools.lru_cache(maxsize=1024)
def _factored(expr):
    """sympy's factor() of a size expression (pure and slow, and the same few expressions recur per layer)."""
    return sympy.factor(expr)


def _decide(op, lo, hi):
    """Truth of `d <op> 0` for every d in [lo, hi]: True, False, or None when it depends."""
    if op == "==":
        return False if (lo > 0 or hi < 0) else (True if lo == hi == 0 else None)
    if op == "!=":
        return True if (lo > 0 or hi < 0) else (False if lo == hi == 0 else None)
    if op in (">=", ">"):
        strict = op == ">"
        if lo > 0 or (lo >= 0 and not strict):
            return True
        if hi < 0 or (hi <= 0 and strict):
            return False
        return None
    if op in ("<=", "<"):
        strict = op == "<"
        if hi < 0 or (hi <= 0 and not strict):
            return True
        if lo > 0 or (lo >= 0 and strict):
            return False
    return None


def _expr(x):
    if isinstance(x, (SymInt, SymFloat)):
        return x.expr
    if isinstance(x, bool):
        return sympy.Integer(int(x))
    if isinstance(x, int):
        return sympy.Integer(x)
    if isinstance(x, float):
        return sympy.Float(x)
    raise TypeError(f"unsupported operand for a symbolic size: {type(x).__name__}")


def _hint(x):
    return x.hint if isinstance(x, (SymInt, SymFloat)) else x


def _float_hint(fn):
    """fn over example values, None when one is missing (a data-dependent float has none)."""
    return lambda a, b: None if a is None or b is None else fn(a, b)


def _recorded(out, name, *operands):
    """out, after telling its env's recorder (when one listens) that it is operator `name` of operands."""
    if name is not None and isinstance(out, (SymInt, SymFloat)):
        recorder = out.env.recorder
        if recorder is not None:
            recorder(out, name, operands)
    return out


class _SymNumber:
    """Operators shared by SymInt and SymFloat; subclasses define `_binary`, `_compare` and `__neg__`."""

    __slots__ = ("expr", "env", "hint")
    _is_symbolic = True

    def __add__(self, o):
        return self._binary(o, lambda a, b: a + b, lambda a, b: a + b, name="add")

    def __radd__(self, o):
        return self._binary(o, lambda a, b: a + b, lambda a, b: a + b, True, "add")

    def __sub__(self, o):
        return self._binary(o, lambda a, b: a - b, lambda a, b: a - b, name="sub")

    def __rsub__(self, o):
        return self._binary(o, lambda a, b: a - b, lambda a, b: a - b, True, "sub")

    def __mul__(self, o):
        return self._binary(o, lambda a, b: a * b, lambda a, b: a * b, name="mul")

    def __rmul__(self, o):
        return self._binary(o, lambda a, b: a * b, lambda a, b: a * b, True, "mul")

    def __pos__(self):
        return self

    def __eq__(self, o):
        return self._compare(o, sympy.Eq, lambda a, b: a == b, "==")

    def __ne__(self, o):
        return self._compare(o, sympy.Ne, lambda a, b: a != b, "!=")

    def __lt__(self, o):
        return self._compare(o, sympy.Lt, lambda a, b: a < b, "<")

    def __le__(self, o):
        return self._compare(o, sympy.Le, lambda a, b: a <= b, "<=")

    def __gt__(self, o):
        return self._compare(o, sympy.Gt, lambda a, b: a > b, ">")

    def __ge__(self, o):
        return self._compare(o, sympy.Ge, lambda a, b: a >= b, ">=")

    def __bool__(self):
        return bool(self != 0)

    def sym_max(self, o):
        """torch.sym_max: Max(a, b) as an expression, no guard."""
        return self._extremum(o, sympy.Max, max, "sym_max")

    def sym_min(self, o):
        """torch.sym_min: Min(a, b) as an expression, no guard."""
        return self._extremum(o, sympy.Min, min, "sym_min")

    def _extremum(self, o, fn, hint_fn, name):
        out = self._binary(o, fn, hint_fn, name=name)
        if is_symbolic(out):
            # the graph calls torch.sym_max(a, b) with the user's argument order (sympy sorts its args)
            self.env.call_args[out.expr] = (self.expr, _expr(o))
        return out

    def __hash__(self):
        return hash(self.expr)

    def __repr__(self):
        return str(self.expr)

    __str__ = __repr__

    def __format__(self, spec):
        return format(str(self), spec)


class SymInt(_SymNumber):
    """A symbolic integer size (see the module docstring)."""

    __slots__ = ()

    def __new__(cls, expr, env, hint):
        expr = sympy.sympify(expr) if not isinstance(expr, sympy.Basic) else expr
        if expr.is_Integer:
            return int(expr)
        obj = object.__new__(cls)
        obj.expr, obj.env, obj.hint = expr, env, int(hint)
        return obj

    def _binary(self, other, fn, hint_fn, reflected=False, name=None):
        if isinstance(other, (float, SymFloat)):       # int (op) float is a float, as in Python (torch.sym_float)
            return self.sym_float()._binary(other, fn, hint_fn, reflected, name)
        if not isinstance(other, (int, SymInt)):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return _recorded(SymInt(fn(_expr(a), _expr(b)), self.env, hint_fn(_hint(a), _hint(b))), name, a, b)

    def as_float(self):
        """This size as a SymFloat (same expression)."""
        return SymFloat(self.expr, self.env, float(self.hint))

    def sym_float(self):
        """torch.sym_float: as_float, which the graph records as a call (Python promotes int (op) float so)."""
        return _recorded(self.as_float(), "sym_float", self)

    def __floordiv__(self, o):
        return self._binary(o, lambda a, b: FloorDiv(a / b), lambda a, b: a // b, name="floordiv")

    def __rfloordiv__(self, o):
        return self._binary(o, lambda a, b: FloorDiv(a / b), lambda a, b: a // b, True, "floordiv")

    def __mod__(self, o):
        return self._binary(o, lambda a, b: sympy.Mod(a, b), lambda a, b: a % b, name="mod")

    def __rmod__(self, o):
        return self._binary(o, lambda a, b: sympy.Mod(a, b), lambda a, b: a % b, True, "mod")

    def __neg__(self):
        return _recorded(SymInt(-self.expr, self.env, -self.hint), "neg", self)

    def __truediv__(self, o):
        if isinstance(o, (float, SymFloat)):
            return self.as_float() / o
        if not isinstance(o, (int, SymInt)):
            return NotImplemented
        if type(o) is int and o == 0:
            raise ZeroDivisionError("division by zero")
        return self._quotient(self, o)

    def __rtruediv__(self, o):
        if isinstance(o, (float, SymFloat)):
            return o / self.as_float()
        if not isinstance(o, int):
            return NotImplemented
        return self._quotient(o, self)

    def _quotient(self, a, b):
        """a / b of two ints, one of them symbolic: a SymFloat (torch's IntTrueDiv), no guard."""
        hint_b = _hint(b)
        hint = None if hint_b == 0 else _hint(a) / hint_b
        return _recorded(SymFloat(_expr(a) / _expr(b), self.env, hint), "truediv", a, b)

    def __floor__(self):
        return self

    __ceil__ = __trunc__ = __floor__

    def _compare(self, other, rel, hint_rel, op):
        if isinstance(other, (float, SymFloat)):
            return self.as_float()._compare(other, rel, hint_rel, op)
        if not isinstance(other, (int, SymInt)):
            return NotImplemented
        # A size symbol against a constant (`s0 == 1` in every broadcast) is
        # usually decided by the symbol's range alone; skip building sympy.
        # The result is the same bool that bool(SymBool) would give, with no guard.
        if type(other) is int and self.expr.is_Symbol:
            decided = self.env.decide_symbol_against(self.expr, op, other)
            if decided is not None:
                return decided
        return SymBool(rel(_expr(self), _expr(other)), self.env, hint_rel(self.hint, _hint(other)))

    def __int__(self):
        return self.env.specialize(self)

    __index__ = __int__

    def sym_int(self):
        """torch.sym_int of a SymInt: itself."""
        return self

    def __float__(self):
        return float(int(self))



class SymFloat(_SymNumber):
    """A symbolic float: `.item()` of a floating-point tensor (zuf0, zuf1, ...) and arithmetic on it.

    Like a SymInt it keeps a sympy expression and, when it has one, an example
    value.  A data-dependent float has none, so any Python decision on it that
    a `_check` has not established is refused."""

    __slots__ = ()

    def __new__(cls, expr, env, hint):
        if expr.is_Number:
            return float(expr)
        obj = object.__new__(cls)
        obj.expr, obj.env, obj.hint = expr, env, hint
        return obj

    def _binary(self, other, fn, hint_fn, reflected=False, name=None):
        if not isinstance(other, (int, float, SymInt, SymFloat)):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        out = SymFloat(fn(_expr(a), _expr(b)), self.env, _float_hint(hint_fn)(_hint(a), _hint(b)))
        return _recorded(out, name, a, b)

    def __truediv__(self, o):
        return self._binary(o, lambda a, b: a / b, lambda a, b: a / b, name="truediv")

    def __rtruediv__(self, o):
        return self._binary(o, lambda a, b: a / b, lambda a, b: a / b, True, "truediv")

    def __neg__(self):
        return _recorded(SymFloat(-self.expr, self.env, None if self.hint is None else -self.hint), "neg", self)

    def _compare(self, other, rel, hint_rel, op):
        if not isinstance(other, (int, float, SymInt, SymFloat)):
            return NotImplemented
        hint = _float_hint(hint_rel)(self.hint, _hint(other))
        return SymBool(rel(self.expr, _expr(other)), self.env, bool(hint))

    def __float__(self):
        return self.env.specialize(self)

    def __int__(self):
        return int(self.env.specialize(self, int))

    def sym_int(self):
        """torch.sym_int of a SymFloat (math.trunc): the value rounded toward zero as a SymInt expression, no
        guard (`1.5*s0` gives `floor(1.5*s0)`, `2.0*s0` gives `2*s0`).  A data-dependent float has no example
        value to carry, so it is converted as int() converts it."""
        return self._rounded(_truncated, math.trunc, "trunc")

    def __floor__(self):
        """math.floor: a SymInt, no guard."""
        return self._rounded(sympy.floor, math.floor, "floor")

    def __ceil__(self):
        """math.ceil: a SymInt, no guard (`math.ceil(h / 4)` pads a size up to a multiple of 4)."""
        return self._rounded(sympy.ceiling, math.ceil, "ceil")

    __trunc__ = sym_int

    def _rounded(self, fn, hint_fn, name):
        if self.hint is None:
            return int(self)
        out = SymInt(fn(_whole_floats_as_integers(self.expr)), self.env, hint_fn(self.hint))
        return _recorded(out, name, self)



class SymBool:
    """A symbolic condition; bool() decides it (see the module docstring)."""

    __slots__ = ("expr", "env", "hint")
    _is_symbolic = True

    def __new__(cls, expr, env, hint):
        if expr is sympy.true or expr is sympy.false:
            return bool(expr)
        obj = object.__new__(cls)
        obj.expr, obj.env, obj.hint = expr, env, bool(hint)
        return obj

    def __bool__(self):
        return self.env.evaluate(self)

    def sym_not(self):
        """torch.sym_not: the negated condition, no guard."""
        return SymBool(sympy.Not(self.expr), self.env, not self.hint)

    def __repr__(self):
        return str(self.expr)


def _whole_floats_as_integers(expr):
    """expr with every float constant that is a whole number (2.0, 1.0*s0) written as an integer."""
    whole = {f: sympy.Integer(int(f)) for f in expr.atoms(sympy.Float) if float(f).is_integer()}
    return expr.xreplace(whole) if whole else expr


def _truncated(expr):
    """expr rounded toward zero: floor where it is known non-negative, ceiling where non-positive."""
    if expr.is_nonnegative:
        return sympy.floor(expr)
    if expr.is_nonpositive:
        return sympy.ceiling(expr)
    return sympy.Piecewise((sympy.floor(expr), expr >= 0), (sympy.ceiling(expr), True))


def _canonical(rel):
    """One form for equivalent relations: `0 < a`, `a > 0` and `a > 0.0` all become `a > 0`."""
    return _whole_floats_as_integers(rel).canonical


class ShapeEnv:
    """Owns size symbols, their ranges and hints, and the guards a trace relies on."""

    def __init__(self):
        self.var_to_range = {}      # Symbol -> ValueRange (what the user declared)
        self.var_to_hint = {}
        self.var_to_source = {}     # Symbol -> "x.size()[0]"
        self.guards = []            # (sympy relation, source line)
        self.replacements = {}      # Symbol -> expression it was found equal to
        self.replacement_where = {}  # Symbol -> the user's source line that found it equal
        self.unbacked = set()       # symbols with no example value (from .item())
        self.size_like = set()      # unbacked symbols known to be sizes: reasoned about like backed sizes
        self.float_symbols = set()  # unbacked floats (zuf0, ...): unbounded, never narrowed
        self.axioms = set()         # conditions a _check established (canonical form)
        self.provenance = None      # export's record of what made each guard (export/explain.py)
        self.unique_ids = set()     # the N of every s<N> handed out
        self.call_args = {}         # Max/Min expression -> its (a, b) in the order torch.sym_max got them
        # recorder(value, operator name, operands): told of each SymInt/SymFloat that arithmetic on symbolic
        # values makes, while the tracer wants to record it (user code, not an op's meta function)
        self.recorder = None

    def symbol_id(self, key=None):
        """A fresh N for a size symbol s<N>.  With a key (torch's source name, `L['x'].size()[0]`) it is
        torch 2.13's: sha256 of the key mod 100, moved up past ids already taken, so printouts line up
        with torch's; without one, the next number in creation order."""
        attempt = len(self.var_to_range) if key is None else int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100
        while attempt in self.unique_ids:
            attempt += 1
        self.unique_ids.add(attempt)
        return attempt

    # -- symbols ---------------------------------------------------------------
    def create_symbol(self, hint, lower, upper, source, symbol_id=None):
        """A fresh backed symbol s<i> with an example value and a declared range (i: `symbol_id`, or the
        next free number)."""
        symbol_id = self.symbol_id() if symbol_id is None else symbol_id
        sym = sympy.Symbol(f"s{symbol_id}", integer=True, positive=True)
        self.var_to_range[sym] = ValueRange(lower, upper)
        self.var_to_hint[sym] = hint
        self.var_to_source[sym] = source
        return SymInt(sym, self, hint)

    def create_unbacked(self, source):
        """A fresh data-dependent symbol u<i> (no example value; range unknown until _check narrows it)."""
        # ints are numbered apart from the unbacked floats (zuf<i>), as torch numbers them
        sym = sympy.Symbol(f"u{len(self.unbacked) - len(self.float_symbols)}", integer=True)
        self.unbacked.add(sym)
        self.var_to_range[sym] = ValueRange(int_oo_value(), int_oo)
        self.var_to_source[sym] = source
        return SymInt(sym, self, 0)

    def create_unbacked_float(self, source, name=None):
        """A fresh data-dependent float symbol zuf<i> (torch's name); its range is all floats."""
        sym = sympy.Symbol(name or f"zuf{len(self.float_symbols)}", real=True)
        self.unbacked.add(sym)
        self.float_symbols.add(sym)
        self.var_to_range[sym] = ValueRange(-sympy.oo, sympy.oo)
        self.var_to_source[sym] = source
        return SymFloat(sym, self, None)

    def assume(self, rel):
        """Remember that rel holds (a _check established it): later decisions on rel need no guard."""
        rel = self.simplify(rel)
        if isinstance(rel, sympy.core.relational.Relational):
            self.axioms.add(_canonical(rel))

    def narrow(self, sym, lower=None, upper=None):
        """Intersect a symbol's range with [lower, upper]."""
        r = self.var_to_range[sym]
        lo = r.lower if lower is None else (lower if r.lower is None or _below(r.lower, lower) else r.lower)
        hi = r.upper if upper is None else (upper if r.upper is int_oo or upper < r.upper else r.upper)
        self.var_to_range[sym] = ValueRange(lo, hi)

    def simplify(self, expr):
        """expr with known equalities substituted."""
        if self.replacements:
            expr = expr.xreplace(self.replacements)
        return expr

    # -- deciding -------------------------------------------------------------------
    def _symbol_bounds(self, sym):
        """(lo, hi) a symbol is reasoned over: sizes count as >= 2 (0 and 1 are
        always static), as torch's size-oblivious checks; None if unknown."""
        r = self.var_to_range.get(sym)
        if r is None:
            return None
        if sym in self.float_symbols:
            return -math.inf, math.inf
        hi = math.inf if r.upper is int_oo else r.upper
        if sym in self.unbacked and sym not in self.size_like:
            lo = -math.inf if isinstance(r.lower, _NegInf) else r.lower
        else:
            lo = max(r.lower, 2)
        return lo, hi

    def _bounds(self, expr):
        """(lo, hi) of expr over the symbols' ranges, or None."""
        bounds = self._interval(expr)
        if bounds is not None:
            return bounds
        subs = {}
        for s in expr.free_symbols:
            bounds = self._symbol_bounds(s)
            if bounds is None:
                return None
            lo, hi = (sympy.oo if b == math.inf else -sympy.oo if b == -math.inf else sympy.Integer(b)
                      for b in bounds)
            subs[s] = lo if lo == hi else sympy.AccumBounds(lo, hi)
        try:
            val = expr.subs(subs)
        except (TypeError, ValueError):
            return None
        if isinstance(val, sympy.AccumBounds):
            return val.min, val.max
        if val.is_number:
            return val, val
        return None

    def _interval(self, expr):
        """Interval arithmetic over +, *, floor, ceiling and Mod by a positive constant — the shapes size
        formulas take (conv/pool: floor((s + p - k)/st) + 1), which sympy's AccumBounds leaves unevaluated.
        (lo, hi) as Fractions or +-inf; None for anything else."""
        if expr.is_Number:
            if expr.is_Float:
                value = Fraction(float(expr))
            elif expr.is_Rational:
                value = Fraction(int(expr.p), int(expr.q))
            else:
                return None
            return value, value
        if expr.is_Symbol:
            return self._symbol_bounds(expr)
        if expr.is_Add or expr.is_Mul:
            parts = [self._interval(a) for a in expr.args]
            if any(p is None for p in parts):
                return None
            lo, hi = parts[0]
            for a, b in parts[1:]:
                if expr.is_Add:
                    lo, hi = lo + a, hi + b
                else:
                    products = [_times(x, y) for x in (lo, hi) for y in (a, b)]
                    lo, hi = min(products), max(products)
            return lo, hi
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            inner = self._interval(expr.args[0])
            if inner is None:
                return None
            rnd = math.floor if isinstance(expr, sympy.floor) else math.ceil
            return tuple(b if math.isinf(b) else Fraction(rnd(b)) for b in inner)
        if isinstance(expr, sympy.Mod) and expr.args[1].is_Integer and expr.args[1] > 0:
            return Fraction(0), Fraction(int(expr.args[1]) - 1)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            parts = [self._interval(a) for a in expr.args]
            if any(p is None for p in parts):
                return None
            pick = max if isinstance(expr, sympy.Max) else min
            return pick(p[0] for p in parts), pick(p[1] for p in parts)
        return None

    def decide_symbol_against(self, sym, op, value):
        """`sym <op> value` for an int value, decided from sym's range alone; None if it is not."""
        if sym in self.replacements or sym in self.unbacked:   # data-dependent checks stay graph nodes
            return None
        bounds = self._symbol_bounds(sym)
        return None if bounds is None else _decide(op, bounds[0] - value, bounds[1] - value)

    def static_value(self, rel):
        """True/False when the ranges decide rel, else None."""
        rel = self.simplify(rel)
        if rel is sympy.true or rel is sympy.false:
            return bool(rel)
        if not isinstance(rel, sympy.core.relational.Relational):
            return None
        if self.axioms:
            if _canonical(rel) in self.axioms:
                return True
            if _canonical(rel.negated) in self.axioms:
                return False
        diff = rel.lhs - rel.rhs
        decided = self._decide_over_bounds(rel.rel_op, diff)
        if decided is None and diff.is_Add:
            # interval arithmetic forgets that a symbol is the same in two terms (s0 - s0*s1 looks like it
            # could be positive); factored, each symbol appears once per factor: -s0*(s1 - 1)
            decided = self._decide_over_bounds(rel.rel_op, _factored(diff))
        return decided

    def _decide_over_bounds(self, rel_op, expr):
        bounds = self._bounds(expr)
        return None if bounds is None else _decide(rel_op, *bounds)

    def evaluate(self, symbool):
        """Decide a condition: from ranges if possible, else from hints, recording the guard."""
        decided = self.static_value(symbool.expr)
        if decided is not None:
            return decided
        if self.simplify(symbool.expr).free_symbols & (self.unbacked - self.size_like):
            raise DataDependentError(
                f"Could not guard on data-dependent expression {symbool.expr} (a value read with .item() has no "
                f"example value, and its known range does not decide this). At:\n{format_user_frame(user_frame(2))}\n"
                "Fix it by bounding the value first, e.g. minexport._check(value >= 0) / "
                "minexport._check_is_size(value), or compute both results and select with minexport.where.")
        value = symbool.hint
        guard = self.simplify(symbool.expr if value else sympy.Not(symbool.expr))
        self.record(guard)
        return value

    def record(self, guard):
        """Keep a guard; an equality between symbols becomes a replacement."""
        if isinstance(guard, sympy.Not):
            guard = guard.args[0].negated if hasattr(guard.args[0], "negated") else guard
        where = format_user_frame(user_frame(3))
        if isinstance(guard, sympy.Eq):
            diff = guard.lhs - guard.rhs
            # torch's choice of the symbol to solve for: the largest example value, then the largest name
            # (compared as strings: s4 goes before s31); a symbol with no example value first of all
            syms = sorted(diff.free_symbols, key=lambda s: (self.var_to_hint.get(s, sys.maxsize), s.name))
            if syms:
                target = syms[-1]
                try:
                    solved = sympy.solve(diff, target)
                except NotImplementedError:     # e.g. Mod(2*s1, s0) == 0: kept as a guard, not a substitution
                    solved = []
                if len(solved) == 1:
                    solved = [_whole_floats_as_integers(solved[0])]    # int(s0 / 4.0) == 2 gives s0 = 8, not 8.0
                    if solved[0].is_Symbol and target in self.var_to_range and solved[0] in self.var_to_range:
                        # two sizes found equal: the one kept has both ranges (as torch merges them)
                        r = self.var_to_range[target]
                        self.narrow(solved[0], r.lower, None if r.upper is int_oo else r.upper)
                    self.replacements[target] = solved[0]
                    self.replacement_where.setdefault(target, where)
                    self.replacements = {k: v.xreplace(self.replacements) for k, v in self.replacements.items()}
        self.guards.append((guard, where))

    def specialize(self, sym, convert=None):
        """int(sym) / float(sym): the program now depends on this exact value."""
        convert = convert or (float if isinstance(sym, SymFloat) else int)
        expr = self.simplify(sym.expr)
        if expr.is_Number:
            return convert(expr)
        if expr.free_symbols & self.unbacked or sym.hint is None:
            raise DataDependentError(
                f"Could not extract a specialized {convert.__name__} from the data-dependent expression {expr} "
                f"(a value read with .item() has no example value). At:\n{format_user_frame(user_frame(3))}\n"
                "Fix it by keeping the value symbolic: pass it to tensor operations instead of converting it "
                "with int()/float().")
        self.record(sympy.Eq(expr, sym.hint))
        return sym.hint
