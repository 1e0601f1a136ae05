"""Archives of derived-dim programs both ways: torch 2.13 writes them and minexport loads and runs them at
new sizes; minexport writes them and torch loads and runs them.

The programs (tests/dynamic_archive_programs.py) cover every symbolic form torch writes into model.json:
derived range keys (`2*s77`, `s17 + 1`, `2*s77 + 1`), FloorDiv, Mod, PythonMod, IntTrueDiv, Pow,
Max/Min (avg_pool's ceil mode, sym_max/sym_min), CeilToInt, TruncToInt, ToFloat, Float and unbacked u0
with its runtime asserts.  torch's archives are written at test time (torch is needed to write them;
loading them in minexport never imports it).  The readers and the guards_code writer are also tested on
their own, without torch.
"""
import json
import pathlib
import zipfile

import numpy as np
import pytest
import sympy

import minexport as me
from dynamic_archive_programs import ARRAYS, programs
from minexport.export import Dim, load, save
from minexport.serde.errors import SerializationError
from minexport.serde.limits import DEFAULT_LIMITS
from minexport.serde.range_keys import parse_range_key
from minexport.serde.sym_expr import parse_expr

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch writes (and runs) the other side of each archive")

NAMES = list(ARRAYS)

# Programs minexport cannot yet load or export the same way, each with why (strict: a fix flips it).
# All are issue 15 part 1's (symbolic/core.py, export/_symbolic*.py, export/dynamic_shapes.py).
TORCH_TO_MINEXPORT_XFAIL = {}
MINEXPORT_TO_TORCH_XFAIL = {
    "arange_step": "torch narrows s77 to [3, oo] from the guard (s77 + 1)//2 != 1 (an arange of length 1 would "
                   "specialize); minexport keeps [2, oo] and checks the guard at call time (part 1: AUTO ranges)",
}


def _xfail(table, name):
    reason = table.get(name)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _params(table):
    return [pytest.param(n, id=n, marks=_xfail(table, n)) for n in NAMES]


@pytest.fixture(scope="module")
def torch_archives(tmp_path_factory):
    """{name: (path to torch's archive, torch's range_constraints as text, [torch's outputs per input set])}."""
    out, where = {}, tmp_path_factory.mktemp("torch_archives")
    for name, module, args, spec, others in programs(torch):
        try:
            ep = torch.export.export(module, args, dynamic_shapes=spec)
            torch.export.save(ep, where / f"{name}.pt2")
        except Exception as e:       # recorded: the test of this program reports it
            out[name] = e
            continue
        outputs = [_run_or_refuse(ep.module(), a) for a in (args, *others)]
        out[name] = (where / f"{name}.pt2", {str(k): str(v) for k, v in ep.range_constraints.items()}, outputs)
    return out


# how torch and minexport word a call-time refusal of input sizes
_REFUSALS = ("Guard failed", "Runtime assertion failed", "Expected input at")


def _run_or_refuse(module, args):
    """The outputs as arrays, or None when the program's guards refuse these sizes."""
    try:
        return _numpy(module(*args))
    except (AssertionError, RuntimeError, ValueError) as e:
        if any(text in str(e) for text in _REFUSALS):
            return None
        raise


def _same_outputs(name, got, want):
    """got and want (both lists of arrays, or both None: refused) agree."""
    assert (got is None) == (want is None), f"{name}: one side refused the inputs ({got is None}, {want is None})"
    if want is None:
        return
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape, (name, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def _numpy(out):
    leaves = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(v.detach().numpy() if hasattr(v, "detach") else v.numpy()) for v in leaves]


def _me_args(name):
    return [tuple(me.tensor(a) if a.ndim == 0 else me.from_numpy(a.copy()) for a in arrays)
            for arrays in ARRAYS[name]]


@needs_torch
@pytest.mark.parametrize("name", _params(TORCH_TO_MINEXPORT_XFAIL))
def test_torch_archive_loads_and_runs_at_new_sizes(name, torch_archives):
    entry = torch_archives[name]
    if isinstance(entry, Exception):
        raise AssertionError(f"torch could not export or save {name}: {entry}")
    path, ranges, expected = entry
    ep = load(path)
    assert {str(k): str(v) for k, v in ep.range_constraints.items()} == ranges
    assert expected[0] is not None
    for args, want in zip(_me_args(name), expected):
        _same_outputs(name, _run_or_refuse(ep.module(), args), want)


@needs_torch
@pytest.mark.parametrize("name", _params(MINEXPORT_TO_TORCH_XFAIL))
def test_minexport_archive_loads_and_runs_in_torch(name, tmp_path, torch_archives):
    [(_, module, args, spec, others)] = [p for p in programs(me) if p[0] == name]
    ep = me.export.export(module, args, dynamic_shapes=spec)
    # as dynamic as torch's program: the same ranges (symbol names aside), nothing specialized instead
    assert sorted(str(v) for v in ep.range_constraints.values()) == sorted(torch_archives[name][1].values())
    save(ep, tmp_path / "p.pt2")
    tep = torch.export.load(tmp_path / "p.pt2")
    assert {str(k): str(v) for k, v in tep.range_constraints.items()} == \
        {str(k): str(v) for k, v in ep.range_constraints.items()}
    for i, args in enumerate((args, *others)):
        want = _run_or_refuse(ep.module(), args)
        assert i or want is not None
        t_args = [torch.from_numpy(a.numpy().copy()) for a in args]
        _same_outputs(name, _run_or_refuse(tep.module(), t_args), want)


# ------------------------------------------------------------------ committed fixtures, without torch --
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
DYN_FIXTURES = ["affine", "plus_one", "arange_step", "mod", "python_mod", "nonzero"]   # tests/make_dynamic_fixtures.py


@pytest.mark.parametrize("name", DYN_FIXTURES)
def test_committed_torch_archive_runs_at_new_sizes_without_torch(name):
    ep = load(FIXTURES / f"dyn_{name}.pt2")
    with np.load(FIXTURES / f"dyn_{name}.npz") as data:
        assert [f"{k}: {v}" for k, v in ep.range_constraints.items()] == list(data["ranges"])
        run = ep.module()
        for i in range(len(ARRAYS[name])):
            inputs = [data[k] for k in sorted((k for k in data.files if k.startswith(f"in_{i}_")),
                                              key=lambda k: int(k.rsplit("_", 1)[1]))]
            args = [me.tensor(a) if a.ndim == 0 else me.from_numpy(a.copy()) for a in inputs]
            want = None if f"refused_{i}" in data.files else \
                [data[f"out_{i}_{j}"] for j in range(sum(k.startswith(f"out_{i}_") for k in data.files))]
            _same_outputs(name, _run_or_refuse(run, args), want)


def _rewritten(src, dst, old, new):
    """A copy of archive src with `old` replaced by `new` in its model.json."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("models/model.json"):
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            zout.writestr(info, data)
    return dst


def test_a_size_recorded_differently_but_equal_loads_and_a_wrong_one_is_refused(tmp_path):
    """torch records arange(0, s, 2)'s length as FloorDiv(s + 1, 2), minexport's meta as -floor(-s/2): equal
    at every size, so the archive loads; FloorDiv(s, 2) differs at odd sizes, so it is refused."""
    right = "FloorDiv(Add(Symbol('s77', positive=True, integer=True), Integer(1)), Integer(2))"
    wrong = "FloorDiv(Symbol('s77', positive=True, integer=True), Integer(2))"
    load(FIXTURES / "dyn_arange_step.pt2")
    path = _rewritten(FIXTURES / "dyn_arange_step.pt2", tmp_path / "wrong.pt2", right, wrong)
    with pytest.raises(SerializationError, match="meta functions reproduce node values"):
        load(path)


# ------------------------------------------------------------------ the readers, without torch --
_SYMS = {}


def _symbol(name):
    """Symbols as symbols.py makes them: sizes positive integers, unbacked integers."""
    if name not in _SYMS:
        _SYMS[name] = sympy.Symbol(name, integer=True, positive=True) if name[0] == "s" else \
            sympy.Symbol(name, integer=True)
    return _SYMS[name]


def _s(name):
    return f"Symbol('{name}', positive=True, integer=True)"


# (srepr as torch writes it, what it means for an int s0 / u0)
_FUNCTIONS = [
    (f"FloorDiv({_s('s0')}, Integer(3))", lambda s, u: s // 3),
    (f"CeilToInt(IntTrueDiv({_s('s0')}, Integer(3)))", lambda s, u: -(-s // 3)),
    (f"FloorToInt(IntTrueDiv({_s('s0')}, Integer(4)))", lambda s, u: s // 4),
    (f"TruncToInt(Mul(Float('1.5', precision=53), ToFloat({_s('s0')})))", lambda s, u: int(1.5 * s)),
    ("TruncToInt(IntTrueDiv(Symbol('u0', integer=True), Integer(3)))", lambda s, u: int(u / 3)),
    (f"PythonMod(Add({_s('s0')}, Integer(-7)), Integer(4))", lambda s, u: (s - 7) % 4),
    (f"Mod({_s('s0')}, Integer(3))", lambda s, u: s % 3),
    (f"PowByNatural({_s('s0')}, Integer(2))", lambda s, u: s ** 2),
    (f"CleanDiv(Mul(Integer(4), {_s('s0')}), Integer(2))", lambda s, u: 2 * s),
    (f"CeilDiv({_s('s0')}, Integer(5))", lambda s, u: -(-s // 5)),
    (f"Max(Integer(1), FloorDiv({_s('s0')}, Integer(2)))", lambda s, u: max(1, s // 2)),
    (f"Min({_s('s0')}, Mul(Integer(2), Symbol('u0', integer=True)))", lambda s, u: min(s, 2 * u)),
    (f"Identity({_s('s0')})", lambda s, u: s),
]


@pytest.mark.parametrize("text, meaning", _FUNCTIONS, ids=[t.split("(")[0] for t, _ in _FUNCTIONS])
def test_torch_size_functions_read_as_what_they_compute(text, meaning):
    expr = parse_expr(text, _symbol)
    for s in (2, 3, 7, 8, 30):
        for u in (-7, -1, 0, 5):
            got = expr.xreplace({_symbol("s0"): s, _symbol("u0"): u})
            assert got == meaning(s, u), (text, s, u, got)


@pytest.mark.parametrize("text, rule", [
    ("PowByNatural(Integer(10), Integer(100000))", "exponent"),
    (f"PythonMod({_s('s0')}, Integer(0))", "division by zero"),
    (f"CeilDiv({_s('s0')}, Integer(0))", "division by zero"),
    (f"TruncToInt({_s('s0')}, Integer(1))", "takes 1 arguments"),
    ("CeilToInt(GreaterThan(Integer(1), Integer(0)))", "of a truth value"),
    ("RoundDecimal(Integer(1), Integer(2))", "does not read"),
])
def test_torch_size_functions_stay_bounded(text, rule):
    with pytest.raises(SerializationError, match=rule):
        parse_expr(text, _symbol)


@pytest.mark.parametrize("text, expected", [
    ("s77", "s77"), ("2*s77", "2*s77"), ("s17 + 1", "s17 + 1"), ("2*s77 + 1", "2*s77 + 1"),
    ("s3 - 1", "s3 - 1"), ("-s3 + 10", "10 - s3"), ("u0 + 2", "u0 + 2"),
])
def test_range_keys_read_as_torch_prints_them(text, expected):
    assert str(parse_range_key(text, _symbol, DEFAULT_LIMITS)) == expected


@pytest.mark.parametrize("text", ["", "s0 +", "s0*s1", "2**s0", "__import__('os')", "s0 // 2", "(s0 + 1)",
                                  "3*", "9" * 100 + "*s0", "x0 + 1", "s0 + + 1"])
def test_range_keys_outside_the_grammar_are_refused(text):
    with pytest.raises(SerializationError, match="range_constraints key"):
        parse_range_key(text, _symbol, DEFAULT_LIMITS)


class _ModSize(me.nn.Module):
    def forward(self, x):
        return me.zeros(x.shape[0] % 3 + 1) + 1


def _model_json(path):
    with zipfile.ZipFile(path) as z:
        [name] = [n for n in z.namelist() if n.endswith("models/model.json")]
        return json.loads(z.read(name))


def test_guards_code_is_python_over_torch_sources(tmp_path):
    """The relation a Mod-sized program holds is written as torch writes guards: Python over L['x'], and
    it computes what minexport's own call-time check does at every size."""
    ep = me.export.export(_ModSize(), (me.randn(4),), dynamic_shapes=({0: Dim.AUTO},))
    save(ep, tmp_path / "m.pt2")
    [code] = _model_json(tmp_path / "m.pt2")["guards_code"]
    assert code == "(L['x'].size()[0] % 3 + 1 != 1)"
    run = ep.module()
    for n in range(2, 12):
        holds = eval(code, {"L": {"x": me.randn(n)}})       # the text this test just wrote
        try:
            run(me.randn(n))
            accepted = True
        except AssertionError:
            accepted = False
        assert holds == accepted, n
    back = load(tmp_path / "m.pt2")                         # and minexport reads its own archive back
    with pytest.raises(AssertionError, match="Guard failed"):
        back.module()(me.randn(9))


def test_guards_code_divides_exactly():
    """floor and ceiling of a ratio of integers become // (exact for any size), not float division."""
    from minexport.serde.guards_code import _printer
    s = sympy.Symbol("L['x'].size()[0]", integer=True, positive=True)
    printer = _printer()
    floor_text = printer.doprint(sympy.floor((s + 1) / 2))
    ceil_text = printer.doprint(sympy.ceiling(s / 3))
    for n in (2, 3, 10**18 + 1, 2**62 + 3):
        env = {"L": {"x": type("T", (), {"size": lambda self, n=n: [n]})()}}
        assert eval(floor_text, env) == (n + 1) // 2
        assert eval(ceil_text, env) == -(-n // 3)
