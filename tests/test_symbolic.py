"""minexport.symbolic: ShapeEnv symbols and ranges, int_oo, deciding comparisons from ranges, Sym values."""
import operator
import re
import subprocess
import sys

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minexport as me
from minexport._symbolic_marker import is_symbolic
from minexport.export.errors import DataDependentError
from minexport.symbolic import ShapeEnv, SymBool, SymFloat, SymInt, ValueRange, int_oo
from minexport.symbolic.core import _decide, int_oo_value

_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}


def _env(*hints_and_ranges):
    """A ShapeEnv and one symbol per (hint, lower, upper)."""
    env = ShapeEnv()
    return env, [env.create_symbol(h, lo, hi, f"x.size()[{i}]") for i, (h, lo, hi) in enumerate(hints_and_ranges)]


# ----------------------------------------------------------------- int_oo --
def test_int_oo_compares_above_every_int():
    for big in (0, -5, 10**30, sys.maxsize):
        assert int_oo > big and int_oo >= big and not int_oo < big and not int_oo <= big
        assert big < int_oo and big <= int_oo and not big > int_oo          # reflected through int_oo
    assert int_oo == int_oo and int_oo >= int_oo and int_oo <= int_oo and not int_oo > int_oo
    assert not int_oo < int_oo
    assert repr(int_oo) == str(int_oo) == "int_oo"
    assert sorted([3, int_oo, -2]) == [-2, 3, int_oo]
    assert max(7, int_oo) is int_oo and min(7, int_oo) == 7


def test_minus_int_oo_compares_below_every_int():
    neg = int_oo_value()
    assert repr(neg) == "-int_oo"
    for v in (0, -(10**30), 5):
        assert neg < v and neg <= v and not neg > v and not neg >= v
        assert v > neg and v >= neg
    assert neg <= neg and neg >= neg and not neg < neg
    assert sorted([3, neg, int_oo, -2]) == [neg, -2, 3, int_oo]


def test_int_oo_has_no_arithmetic():
    """int_oo is a range end marker, not a number: arithmetic on it is refused, not silently wrong."""
    with pytest.raises(TypeError):
        int_oo + 1
    with pytest.raises(TypeError):
        2 * int_oo


# ------------------------------------------------------------- ValueRange --
def test_value_range_contains_and_prints_like_torch():
    r = ValueRange(2, int_oo)
    assert 2 in r and 10**20 in r and 1 not in r
    assert 5 in ValueRange(5, 5) and 6 not in ValueRange(5, 5)
    assert ValueRange(2, int_oo) == ValueRange(2, int_oo) and ValueRange(2, 3) != ValueRange(2, 4)
    assert ValueRange(2, 3) != (2, 3)
    assert repr(ValueRange(2, int_oo)) == "VR[2, int_oo]"
    assert repr(ValueRange(int_oo_value(), int_oo)) == "VR[-int_oo, int_oo]"
    pytest.importorskip("torch")
    from torch.utils._sympy.numbers import int_oo as torch_int_oo
    from torch.utils._sympy.value_ranges import ValueRanges
    assert repr(ValueRange(0, int_oo)) == repr(ValueRanges(0, torch_int_oo))
    assert repr(ValueRange(3, 100)) == repr(ValueRanges(3, 100))


_end = st.one_of(st.integers(0, 40), st.just(int_oo))


@given(st.integers(0, 20), _end, st.one_of(st.none(), st.integers(0, 40)), st.one_of(st.none(), _end))
def test_narrow_is_intersection(lo, hi, new_lo, new_hi):
    assume(hi is int_oo or lo <= hi)
    env = ShapeEnv()
    s = env.create_symbol(max(lo, 2), lo, hi, "x").expr
    env.narrow(s, new_lo, new_hi)
    r = env.var_to_range[s]
    want_lo = lo if new_lo is None else max(lo, new_lo)
    uppers = [u for u in (hi, new_hi) if u is not None and u is not int_oo]
    want_hi = min(uppers) if uppers else int_oo
    assert (r.lower, r.upper) == (want_lo, want_hi)
    for v in range(0, 45):      # membership is exactly "in both"
        in_new = (new_lo is None or v >= new_lo) and (new_hi is None or new_hi is int_oo or v <= new_hi)
        assert (v in r) == (v in ValueRange(lo, hi) and in_new)


def test_narrow_unbacked_from_minus_int_oo():
    env = ShapeEnv()
    u = env.create_unbacked("x.item()").expr
    assert env.var_to_range[u] == ValueRange(int_oo_value(), int_oo)
    env.narrow(u, lower=0)
    assert env.var_to_range[u] == ValueRange(0, int_oo)
    env.narrow(u, upper=9)
    env.narrow(u, lower=-3, upper=20)           # looser bounds change nothing
    assert env.var_to_range[u] == ValueRange(0, 9)


# --------------------------------------------------------------- symbols --
def test_create_symbol():
    env, (s0, s1) = _env((5, 2, int_oo), (7, 3, 100))
    assert isinstance(s0, SymInt) and (str(s0), str(s1)) == ("s0", "s1")
    assert (s0.hint, s1.hint) == (5, 7) and s0.env is env
    assert s0.expr.is_integer and s0.expr.is_positive
    assert env.var_to_range[s1.expr] == ValueRange(3, 100)
    assert env.var_to_hint == {s0.expr: 5, s1.expr: 7}
    assert env.var_to_source[s1.expr] == "x.size()[1]"
    assert env.guards == [] and env.replacements == {}


def test_unbacked_and_float_symbols():
    env = ShapeEnv()
    u0, u1 = env.create_unbacked("a.item()"), env.create_unbacked("b.item()")
    assert (str(u0), str(u1)) == ("u0", "u1") and u0.expr.is_integer and u0.expr.is_positive is None
    f = env.create_unbacked_float("c.item()")
    assert isinstance(f, SymFloat) and str(f) == "zuf0" and f.hint is None
    assert repr(env.var_to_range[f.expr]) == "VR[-oo, oo]"
    assert env.unbacked == {u0.expr, u1.expr, f.expr} and env.float_symbols == {f.expr}


def test_unbacked_ints_are_numbered_apart_from_floats():
    env = ShapeEnv()
    env.create_unbacked_float("x.sum().item()")
    assert str(env.create_unbacked("i.item()")) == "u0"


def test_is_symbolic():
    env, (s0,) = _env((5, 2, int_oo))
    f = env.create_unbacked_float("x.item()")
    assert is_symbolic(s0) and is_symbolic(s0 + 1) and is_symbolic(s0 > 3) and is_symbolic(f) and is_symbolic(f * 2)
    for plain in (3, 3.0, True, None, "s0", sympy.Symbol("s0"), me.zeros(2), [s0], s0 - s0):
        assert not is_symbolic(plain)


def test_is_symbolic_does_not_load_sympy():
    code = "import sys, minexport._symbolic_marker as m; assert not m.is_symbolic(1); print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -------------------------------------------------------- SymInt values --
def _torch_strings(exprs):
    """str() of the same expressions built from torch's SymInts, with torch's symbol names mapped to s0, s1."""
    pytest.importorskip("torch")
    from torch._dynamo.source import ConstantSource
    from torch.fx.experimental.symbolic_shapes import ShapeEnv as TorchShapeEnv
    env = TorchShapeEnv()
    syms = [env.create_symintnode(env.create_symbol(h, ConstantSource(f"x{i}")), hint=h) for i, h in enumerate((5, 7))]
    rename = {str(s): f"s{i}" for i, s in enumerate(syms)}
    pattern = re.compile("|".join(sorted(map(re.escape, rename), key=len, reverse=True)))
    return [pattern.sub(lambda m: rename[m.group(0)], str(e(*syms))) for e in exprs]


_PRINTED = [lambda a, b: a + 1, lambda a, b: 1 + a, lambda a, b: 2 * a, lambda a, b: a * 2, lambda a, b: a - 1,
            lambda a, b: 1 - a, lambda a, b: -a, lambda a, b: a * b, lambda a, b: a + b, lambda a, b: a % 3,
            lambda a, b: a + a, lambda a, b: a * a, lambda a, b: (a + 1) * 2, lambda a, b: a % b,
            lambda a, b: a - b, lambda a, b: 3 * a + 2 * b - 1, lambda a, b: a == 3, lambda a, b: a < b,
            lambda a, b: a != b, lambda a, b: 2 * a >= b + 1]


def test_printing_matches_torch():
    _, (s0, s1) = _env((5, 2, int_oo), (7, 2, int_oo))
    ours = [str(e(s0, s1)) for e in _PRINTED]
    theirs = _torch_strings(_PRINTED)
    assert ours == theirs
    assert ours[:4] == ["s0 + 1", "s0 + 1", "2*s0", "2*s0"] and ours[9] == "Mod(s0, 3)"


def test_floor_division_prints_like_torch():
    exprs = [lambda a, b: a // 2, lambda a, b: a // b, lambda a, b: 10 // a, lambda a, b: (a + 1) // 2,
             lambda a, b: 2 * (a // 2), lambda a, b: a // (a // 2) + 1]
    _, (s0, s1) = _env((5, 2, int_oo), (7, 2, int_oo))
    assert [str(e(s0, s1)) for e in exprs] == _torch_strings(exprs)


def test_constant_results_are_plain_ints():
    _, (s0,) = _env((5, 2, int_oo))
    for value, want in ((s0 - s0, 0), (s0 * 0, 0), ((s0 + 3) - s0, 3), (2 * s0 - s0 - s0, 0)):
        assert type(value) is int and value == want
    assert SymInt(sympy.Integer(4), None, 4) == 4 and type(SymInt(sympy.Integer(4), None, 4)) is int
    assert SymBool(sympy.true, None, True) is True and SymBool(sympy.false, None, False) is False


_INT_OPS = [operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod]


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 50), st.integers(2, 50), st.sampled_from(_INT_OPS), st.integers(-20, 20),
       st.sampled_from(["sym-sym", "sym-int", "int-sym"]))
def test_hints_follow_python_arithmetic(h0, h1, op, c, form):
    """Every arithmetic result carries the value Python gives on the example values, and its expression
    evaluates to that value too."""
    _, (s0, s1) = _env((h0, 2, int_oo), (h1, 2, int_oo))
    if op in (operator.floordiv, operator.mod) and form == "sym-int" and c == 0:
        c = 3
    a, b, ha, hb = {"sym-sym": (s0, s1, h0, h1), "sym-int": (s0, c, h0, c), "int-sym": (c, s0, c, h0)}[form]
    out, want = op(a, b), op(ha, hb)
    if isinstance(out, int):
        assert out == want
    else:
        assert isinstance(out, SymInt) and out.hint == want
        assert out.expr.subs({s0.expr: h0, s1.expr: h1}) == want


def test_true_division_and_floats():
    env, (s0,) = _env((5, 2, int_oo))
    half = s0 + 0.5
    assert isinstance(half, SymFloat) and half.hint == 5.5 and str(half) == "s0 + 0.5"
    assert isinstance(s0 * 1.5, SymFloat) and (s0 * 1.5).hint == 7.5
    assert env.guards == []
    third = s0 / 2                          # int / int is a SymFloat, no guard (torch's IntTrueDiv)
    assert isinstance(third, SymFloat) and third.hint == 2.5 and str(third) == "s0/2"
    import math
    up, down = math.ceil(third), math.floor(third)
    assert isinstance(up, SymInt) and up.hint == 3 and isinstance(down, SymInt) and down.hint == 2
    assert math.trunc(s0 * 1.5).hint == 7 and env.guards == []
    assert int(third) == 2 and [str(g) for g, _ in env.guards] == ["Eq(s0/2, 2.5)"]     # int() specializes


# ------------------------------------------------------------ deciding --
@given(st.integers(-6, 6), st.integers(0, 8), st.sampled_from(sorted(_OPS)))
def test_decide_agrees_with_brute_force(lo, width, op):
    """_decide(op, lo, hi) is the truth of `d op 0` for all d in [lo, hi] when they agree, else None."""
    hi = lo + width
    truths = {_OPS[op](d, 0) for d in range(lo, hi + 1)}
    assert _decide(op, lo, hi) == (truths.pop() if len(truths) == 1 else None)


def test_decide_with_infinite_ends():
    import math
    assert _decide(">", 1, math.inf) is True and _decide("<=", -math.inf, -1) is True
    assert _decide("==", 2, math.inf) is False and _decide("!=", -math.inf, -3) is True
    assert _decide(">=", -math.inf, math.inf) is None


# (lower, upper) of a size's declared range; the upper end is at least 2 (a symbol's example value is >= 2)
_sizes = st.tuples(st.integers(0, 12), st.integers(0, 14)).map(lambda t: (t[0], max(t[0], 2) + t[1]))


def _linear(a, b):
    return lambda s: a * s + b


@settings(max_examples=100, deadline=None)
@given(_sizes, st.integers(-3, 3).filter(bool), st.integers(-10, 10), st.integers(-10, 30),
       st.sampled_from(sorted(_OPS)))
def test_linear_decisions_agree_with_brute_force(bounds, a, b, c, op):
    """`a*s + b <op> c` is decided from s's range when every size in it agrees (sizes count as >= 2), never wrongly.
    Interval bounds do not see divisibility, so `3*s != 7` may stay undecided: completeness is claimed for
    orderings, and for (in)equalities with a unit coefficient."""
    lo, hi = bounds
    env, (s,) = _env((max(lo, 2), lo, hi))
    form = _linear(a, b)
    truths = {_OPS[op](form(v), c) for v in range(max(lo, 2), hi + 1)}
    result = _OPS[op](form(s), c)
    decided = result if isinstance(result, bool) else env.static_value(result.expr)
    agreed = truths.pop() if len(truths) == 1 else None
    if op in ("==", "!=") and abs(a) > 1 and decided is None:
        return
    assert decided == agreed


_SHAPES = [("floor((s + p - k)/st) + 1", lambda s, p, k, st_: sympy.floor((s + p - k) / st_) + 1,
            lambda v, p, k, st_: (v + p - k) // st_ + 1),
           ("ceiling((s - k)/st)", lambda s, p, k, st_: sympy.ceiling((s - k) / st_),
            lambda v, p, k, st_: -((k - v) // st_)),
           ("Mod(s + p, st)", lambda s, p, k, st_: sympy.Mod(s + p, st_), lambda v, p, k, st_: (v + p) % st_),
           ("s*s - k", lambda s, p, k, st_: s * s - k, lambda v, p, k, st_: v * v - k)]


@settings(max_examples=100, deadline=None)
@given(_sizes, st.sampled_from(_SHAPES), st.integers(0, 3), st.integers(1, 5), st.integers(1, 4),
       st.integers(-4, 12), st.sampled_from(sorted(_OPS)))
def test_size_formula_decisions_are_sound(bounds, shape, p, k, stride, c, op):
    """A decision taken from ranges (conv/pool-style floor, ceiling, Mod) holds for every size in the range."""
    lo, hi = bounds
    env, (s,) = _env((max(lo, 2), lo, hi))
    _, build, value = shape
    rel = {"==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}[op]
    decided = env.static_value(rel(build(s.expr, p, k, stride), c))
    if decided is not None:
        assert all(_OPS[op](value(v, p, k, stride), c) == decided for v in range(max(lo, 2), hi + 1))


def test_size_formula_decided_without_guard():
    env, (s,) = _env((9, 4, 64))
    width = (s + 2 - 3) // 2 + 1                 # a conv output width: >= 2 for every s in [4, 64]
    assert bool(width >= 2) is True and bool(width == 0) is False and bool(width > 40) is False
    assert bool(s % 4 < 4) is True and bool(s % 4 >= 0) is True
    assert env.guards == []


def test_sizes_are_reasoned_about_as_at_least_two():
    """0 and 1 are never symbolic sizes, so comparisons with them are decided, with no guard, even when the
    declared range starts at 0 (torch's size-oblivious reasoning)."""
    env, (s,) = _env((5, 0, int_oo))
    assert (s == 1) is False and (s == 0) is False and (s != 1) is True and (s >= 2) is True and (s < 2) is False
    assert bool(s + 1 > 2) is True and bool(s * 3 == 3) is False
    assert env.guards == []


def test_undecided_comparison_records_guard_on_the_hint():
    env, (s0, s1) = _env((5, 2, 100), (9, 2, int_oo))
    cond = s0 > 4
    assert isinstance(cond, SymBool) and repr(cond) == "s0 > 4" and cond.hint is True
    assert env.guards == []                          # building a condition decides nothing
    assert bool(cond) is True
    assert bool(s0 > 10) is False
    assert bool(s0 * 2 < s1) is False
    assert [str(g) for g, _ in env.guards] == ["s0 > 4", "s0 <= 10", "2*s0 >= s1"]
    source = env.guards[0][1]
    assert __file__ in source and "bool(cond)" in source          # the guard remembers the user's line


def test_equality_guard_becomes_a_replacement():
    env, (s0, s1, s2) = _env((5, 2, int_oo), (5, 2, int_oo), (10, 2, int_oo))
    assert bool(s0 == s1) is True
    assert env.replacements == {s1.expr: s0.expr}
    assert bool(s2 == 2 * s1) is True
    assert env.replacements == {s1.expr: s0.expr, s2.expr: 2 * s0.expr}
    assert env.static_value(sympy.Eq(s2.expr, 2 * s0.expr)) is True         # now known, no new guard
    assert env.simplify((s1 + s2).expr) == 3 * s0.expr
    assert len(env.guards) == 2


def test_int_specializes_and_records():
    env, (s0,) = _env((6, 2, int_oo))
    assert int(s0) == 6 and [str(g) for g, _ in env.guards] == ["Eq(s0, 6)"]
    assert env.simplify((s0 + 1).expr) == 7
    assert [0, 1, 2, 3, 4, 5, 6][s0] == 6                                    # __index__
    assert float(s0 * 2) == 12.0


def test_data_dependent_decisions():
    env = ShapeEnv()
    u = env.create_unbacked("x.item()")
    with pytest.raises(DataDependentError, match=r"Could not guard on data-dependent expression u0 > 0"):
        bool(u > 0)
    with pytest.raises(DataDependentError, match=r"Could not extract a specialized int from the data-dependent "
                                                 r"expression u0"):
        int(u)
    env.narrow(u.expr, lower=1)
    assert bool(u > 0) is True and bool(u == 0) is False
    assert (u == 1) is not False                        # an unbacked value may be 1: not size-oblivious
    with pytest.raises(DataDependentError):
        bool(u == 1)
    assert env.guards == []


def test_assumed_condition_is_decided_in_any_form():
    env = ShapeEnv()
    u = env.create_unbacked("x.item()")
    env.assume((u > 5).expr)
    assert bool(u > 5) is True and bool(5 < u) is True and bool(u <= 5) is False
    f = env.create_unbacked_float("y.item()")
    env.assume((f > 0).expr)
    assert bool(f > 0.0) is True and bool(0 < f) is True and bool(f <= 0) is False
    assert env.guards == []


def test_symfloat_basics():
    env, (s0,) = _env((4, 2, int_oo))
    f = env.create_unbacked_float("x.item()")
    for value, text in ((2.0 * f, "2.0*zuf0"), (s0 + f, "s0 + zuf0"), (-f, "-zuf0"), (f / 2, "zuf0/2"),
                        (f - 1.5, "zuf0 - 1.5")):
        assert isinstance(value, SymFloat) and str(value) == text and value.hint is None
    cond = f > 1
    assert isinstance(cond, SymBool) and str(cond) == "zuf0 > 1"
    with pytest.raises(DataDependentError):
        bool(cond)
    with pytest.raises(DataDependentError, match="Could not extract a specialized float"):
        float(f)
    backed = s0 * 0.5
    assert backed.hint == 2.0 and float(backed) == 2.0
    assert (f * 0) == 0.0 and type(f * 0) is float
    assert hash(f) == hash(f.expr) and f"{f:>6}" == "  zuf0"
