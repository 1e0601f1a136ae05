"""Random shape programs with random Dim specs, exported by torch 2.13 and by minexport, compared.

Each case is a small program from a menu (broadcast add/mul, matmul, reshape/view with -1, cat, slicing
with a derived dim, narrow, expand, flatten), random example sizes and a random spec for every input dim
(static, Dim.AUTO, Dim.DYNAMIC, a Dim of its own with random bounds, or one Dim shared by every dim of
the same size, derived `d + 1` / `2*d` where the program relates them).  The program is written once
against either library.  For each case both libraries must:

- agree on the outcome: both export, or both refuse (a constraint violation or another error);
- give the same range constraints, as sorted (lower, upper) pairs (symbol names differ);
- at call time, for a few other sizes (some keeping the program's relations, one breaking them), both
  accept or both refuse, and give equal outputs when they accept.

Configurations where minexport is known to differ are kept out of the generated space and pinned as
named strict xfails below (a fix flips its xfail; widen `_SPECS` or the menu then).
"""
import dataclasses

import numpy as np
import pytest

import minexport as me

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@dataclasses.dataclass(frozen=True)
class Program:
    """A shape program: its inputs' dims as (base size name, coeff, offset) and its body over a library."""

    name: str
    dims: tuple          # per input: tuple of (base, coeff, offset); the size is coeff * base + offset
    body: object         # body(lib, *inputs) -> tensor


def _dims(*inputs):
    """Input dims from `"n"` (a base size), `2` (a fixed size) or `("n", 2, 1)` (2*n + 1)."""
    def dim(d):
        return (d, 1, 0) if isinstance(d, str) else (None, 0, d) if isinstance(d, int) else d
    return tuple(tuple(map(dim, shape)) for shape in inputs)


PROGRAMS = [
    Program("add_row", _dims(("n", "m"), ("m",)), lambda lib, x, y: x + y),
    Program("mul_col", _dims(("n", "m"), ("n", 1)), lambda lib, x, y: x * y),
    Program("add_same", _dims(("n", "m"), ("n", "m")), lambda lib, x, y: x + y * 2),
    Program("matmul", _dims(("n", "k"), ("k", "m")), lambda lib, x, y: x @ y),
    Program("reshape_flat", _dims(("n", "m"),), lambda lib, x: x.reshape(-1) * 2),
    Program("view_rows", _dims(("n", "m"),), lambda lib, x: x.view(-1, x.shape[1]).sum(0)),
    Program("cat_rows", _dims(("n", "m"), ("k", "m")), lambda lib, x, y: lib.cat([x, y]) + 1),
    Program("cat_double", _dims(("n", "m"), (("n", 2, 0), "m")), lambda lib, x, y: lib.cat([x, y]).sum(1)),
    Program("slice_plus_one", _dims((("n", 1, 1), "m"), ("n", "m")), lambda lib, x, y: x[1:] + y),
    Program("slice_half", _dims(("n", "m"),), lambda lib, x: x[: x.shape[0] // 2] * 3),
    Program("narrow", _dims(("n", "m"),), lambda lib, x: x.narrow(0, 1, x.shape[0] - 1) + 1),
    Program("expand", _dims((1, "m"), ("n", "m")), lambda lib, x, y: x.expand(y.shape[0], -1) + y),
    Program("flatten", _dims(("n", "m", 2),), lambda lib, x: x.flatten(1) + 1),
]

# Programs whose output length is a size expression (x.shape[0] // 2, x.shape[0] - 1) over rows of x
_ROW_SLICES = ("slice_half", "narrow")

# Which spec kinds a dim may get ("shared": one Dim per base size; `d + 1` / `2*d` on derived dims).
_SPECS = ("auto", "dynamic", "own", "shared")


@dataclasses.dataclass(frozen=True)
class Case:
    program: Program
    sizes: dict          # base -> example value
    specs: tuple         # per input, per dim: (kind, min, max)
    others: tuple        # other base-size assignments to call with


def _value(dim, sizes):
    base, coeff, offset = dim
    return offset if base is None else coeff * sizes[base] + offset


def _generated_kind(kind, dim):
    """The spec kind a generated dim gets: derived dims (`2*d`, `d + 1`) share their base's Dim like the rest."""
    return kind


@st.composite
def cases(draw, programs=PROGRAMS, kinds=_SPECS):
    program = draw(st.sampled_from(programs))
    bases = sorted({d[0] for shape in program.dims for d in shape if d[0] is not None})
    size = st.sampled_from((1, 2, 2, 3, 3, 4, 5, 6, 7))     # a size 1 now and then: it specializes
    sizes = {b: draw(size) for b in bases}
    # a row slice of a one-column x: torch's layout rules guard its length, minexport's do not (pinned below)
    hypothesis.assume(not (program.name in _ROW_SLICES and sizes.get("m") == 1))
    bound = st.tuples(st.sampled_from([None, 2, 3]), st.sampled_from([None, 6, 64]))
    # one kind of dynamic dim per case, beside static ones: an AUTO dim tied to a named Dim is pinned below
    kind = st.sampled_from(("static", draw(st.sampled_from(kinds))))
    specs = tuple(tuple((_generated_kind(draw(kind), dim),) + draw(bound) for dim in shape)
                  for shape in program.dims)
    # call-time sizes are >= 2: torch lets 0 and 1 through a [2, oo] range, minexport does not (pinned below)
    others = tuple({b: draw(st.integers(2, 9)) for b in bases} for _ in range(2))
    return Case(program, sizes, specs, others)


def _dynamic_shapes(lib, case):
    """dynamic_shapes for lib: one dict per input, or None when every dim of it is static."""
    Dim = lib.export.Dim
    shared, out = {}, []
    for i, (shape, specs) in enumerate(zip(case.program.dims, case.specs)):
        spec = {}
        for d, ((base, coeff, offset), (kind, lo, hi)) in enumerate(zip(shape, specs)):
            if base is None or kind == "static":
                continue
            if kind == "auto":
                spec[d] = Dim.AUTO
            elif kind == "dynamic":
                spec[d] = Dim.DYNAMIC
            elif kind == "own":
                spec[d] = Dim(f"d{i}_{d}", min=lo if lo is not None else 0, max=hi)
            else:
                if base not in shared:
                    shared[base] = Dim(f"{base}_dim", min=lo if lo is not None else 0, max=hi)
                root = shared[base]
                spec[d] = root if (coeff, offset) == (1, 0) else coeff * root + offset
        out.append(spec or None)
    return tuple(out)


def _arrays(case, sizes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(tuple(_value(d, sizes) for d in shape)).astype(np.float32)
            for shape in case.program.dims]


def _module(lib, program):
    """The program as a module whose forward names its inputs (x, or x and y), as a user writes it."""
    class One(lib.nn.Module):
        def forward(self, x):
            return program.body(lib, x)

    class Two(lib.nn.Module):
        def forward(self, x, y):
            return program.body(lib, x, y)
    return (One, Two)[len(program.dims) - 1]()


def _export(lib, case, arrays):
    args = tuple(lib.from_numpy(a.copy()) for a in arrays)
    try:
        return lib.export.export(_module(lib, case.program), args, dynamic_shapes=_dynamic_shapes(lib, case)), None
    except Exception as e:         # the outcome compared: both refuse
        return None, e


def _ranges(ep):
    """Sorted (lower, upper) pairs of a program's range constraints, as text ('int_oo' when unbounded)."""
    return sorted((str(v.lower), str(v.upper)) for v in ep.range_constraints.values())


def _call(lib, module, arrays):
    """The output as an array, or None when the program (its ep.module()) refuses these inputs."""
    try:
        out = module(*(lib.from_numpy(a.copy()) for a in arrays))
    except Exception:              # a refusal of the sizes (a guard, a range, a shape check)
        return None
    return out.detach().numpy() if hasattr(out, "detach") else out.numpy()


def _broken(case, sizes):
    """Inputs that break the program's relations: the last input's first dim one longer."""
    arrays = _arrays(case, sizes, 1)
    return arrays[:-1] + [np.concatenate([arrays[-1], arrays[-1][:1]])]


def _event(text):
    """Count an outcome in hypothesis' statistics (--hypothesis-show-statistics), inside a generated case."""
    if hypothesis.currently_in_test_context():
        hypothesis.event(text)


def compare(case):
    """Differences between torch's and minexport's handling of case (an empty list when they agree)."""
    arrays = _arrays(case, case.sizes, 0)
    tep, terr = _export(torch, case, arrays)
    mep, merr = _export(me, case, arrays)
    if (tep is None) != (mep is None):
        return [f"outcome: torch {'refused: ' + str(terr)[:300] if terr else 'exported'}, minexport "
                f"{'refused: ' + str(merr)[:300] if merr else 'exported'}"]
    if tep is None:
        _event("both refused to export")
        return []
    _event("both exported")
    problems = []
    if _ranges(tep) != _ranges(mep):
        problems.append(f"ranges: torch {tep.range_constraints}, minexport {mep.range_constraints}")
    inputs = [arrays] + [_arrays(case, s, 2 + i) for i, s in enumerate(case.others)] + [_broken(case, case.sizes)]
    t_module, m_module = tep.module(), mep.module()
    for xs in inputs:
        t, m = _call(torch, t_module, xs), _call(me, m_module, xs)
        shapes = [a.shape for a in xs]
        _event(f"a call both {'refused' if t is None and m is None else 'ran'}")
        if (t is None) != (m is None):
            problems.append(f"call {shapes}: torch {'refused' if t is None else 'accepted'}, minexport "
                            f"{'refused' if m is None else 'accepted'}")
        elif t is not None and (t.shape != m.shape or not np.allclose(t, m, rtol=1e-4, atol=1e-5)):
            problems.append(f"call {shapes}: outputs differ ({t.shape} vs {m.shape})")
    return problems


# bounded: no shrinking (a failure prints the case as generated), about 1 s a case on a loaded machine
@hypothesis.settings(max_examples=60, deadline=None, derandomize=True, database=None,
                     phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(cases())
def test_random_shape_programs_match_torch(case):
    assert compare(case) == []


# ------------------------------------------------------------------ known divergences, pinned --
# Programs kept out of the generated menu because minexport differs on them (pinned below).
RESHAPE_PAIR = Program("reshape_pair", _dims(("n", "m"), ("n", "m")),
                       lambda lib, x, y: x.reshape(-1) + y.reshape(-1))


def _case(program, sizes, specs, others=()):
    [p] = [q for q in PROGRAMS + [RESHAPE_PAIR] if q.name == program]
    return Case(p, sizes, specs, tuple(others))


def test_a_pinned_case_agrees():
    """The comparison itself: a case both libraries handle alike gives no differences."""
    case = _case("matmul", {"n": 3, "k": 4, "m": 5}, ((("shared", None, None), ("shared", 2, 64)),
                                                     (("shared", 2, 64), ("auto", None, None))),
                 [{"n": 6, "k": 2, "m": 3}])
    assert compare(case) == []


@pytest.mark.xfail(strict=True, reason="torch's ep.module() checks a lower bound only above 2 (sizes 0 and 1 pass a "
                                      "[2, oo] range: 0/1 specialization is not a user constraint); minexport's "
                                      "call-time check refuses them (export/_symbolic.py RuntimeShapeChecks, part 1)")
def test_call_with_size_one_on_an_auto_dim():
    case = _case("reshape_flat", {"n": 2, "m": 1}, ((("auto", None, None), ("static", None, None)),),
                 [{"n": 1, "m": 1}])
    assert compare(case) == []


def test_auto_dim_tied_to_a_named_dim():
    case = _case("add_row", {"n": 3, "m": 2}, ((("static", None, None), ("auto", None, None)),
                                              (("own", None, None),)), [{"n": 2, "m": 4}])
    assert compare(case) == []


@pytest.mark.xfail(strict=True, reason="x static (2, 2), y AUTO: the guard s0*s1 == 4 keeps both of torch's symbols "
                                      "(two range entries); minexport solves it for one symbol (s1 = 4/s0) and keeps "
                                      "one entry (part 1: symbolic/core.py ShapeEnv.record)")
def test_a_product_of_two_auto_dims_equal_to_a_static_size():
    case = _case("reshape_pair", {"n": 2, "m": 2}, ((("static", None, None), ("static", None, None)),
                                                   (("auto", None, None), ("auto", None, None))), [{"n": 2, "m": 2}])
    assert compare(case) == []


def test_dynamic_dims_tied_by_the_program():
    case = _case("cat_double", {"n": 3, "m": 3}, ((("static", None, None), ("dynamic", None, None)),
                                                 (("dynamic", None, None), ("dynamic", None, None))),
                 [{"n": 4, "m": 5}])
    assert compare(case) == []


@pytest.mark.parametrize("program", ["cat_double", "slice_plus_one"])
def test_derived_dims_have_range_entries(program):
    shared, static = ("shared", None, None), ("static", None, None)
    case = _case(program, {"n": 3, "m": 2}, ((shared, static), (shared, static)), [{"n": 4, "m": 2}])
    assert compare(case) == []


@pytest.mark.parametrize("program, n", [("slice_half", 7), ("narrow", 4)])
@pytest.mark.xfail(strict=True, reason="x[: n // 2] of a (n, 1) x: torch's contiguity check of the (n//2, 1) result "
                                      "guards (s77//2) >= 2 and narrows s77 to [4, int_oo] (x.narrow: s77 - 1 >= 2, "
                                      "[3, int_oo]); minexport's layout rules add no guards, so only broadcasting's "
                                      "(s77//2) != 1 is made and the range stays [2, int_oo] (symbolic layout guards)")
def test_row_slice_of_one_column_narrows_like_torch(program, n):
    case = _case(program, {"n": n, "m": 1}, ((("auto", None, None), ("static", None, None)),), [{"n": 9, "m": 1}])
    assert compare(case) == []
