"""Standalone code generation (minexport.codegen, aot_compile/aot_load, `python -m minexport codegen`).

The generated module is checked against `ep.module()` on every example
program, the model corpus and the conformance cases (static, dynamic at the
cases' extra sizes, cond/map/while_loop/scan, buffer and input mutation);
refused inputs are refused by both; the module imports in a process where
minexport cannot be imported; the CuPy form runs against a stand-in `cupy`
package; torch-written archives go through the CLI.
"""
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport._export import aot_compile, aot_load
from minexport.codegen import CodegenError, emit, generate, write_module
from minexport.export import Dim, export

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _codegen_cases import compare, generate_case, import_path

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "model_corpus").glob("[a-z]*.py")) + \
    sorted((ROOT / "tests" / "conformance_cases").glob("*.py")) + \
    sorted((ROOT.parent / "shared" / "conformance" / "cases").glob("*.py"))
# cases minexport itself does not export (their own tests say why), and cases holding custom ops, which
# generated code cannot run (it has no minexport to call their kernels): refused, naming the op
NOT_EXPORTED = {"loops_associative_scan.py": "associative_scan's pointwise mode needs CUDA in torch and here",
                "seed_data_dependent_branch.py": "the case shows export refusing a data-dependent branch"}
CUSTOM_OPS = {"custom_op_dynamic_size.py": "conformance_dyn.positive_values",
              "custom_op_dynamic_size_bounds.py": "conformance_dynbounds.positive_values",
              "custom_op_in_cond.py": "conformance_cond.soft_clip",
              "custom_op_mutating.py": "auto_functionalized_v2",
              "custom_op_mutating_views.py": "auto_functionalized_v2",
              "custom_op_tuple_dynamic.py": "conformance_tuple.mix",
              "seed_custom_op.py": "my_custom_library.custom_op"}


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT))


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_case_matches_module(case, tmp_path):
    if case.name in NOT_EXPORTED:
        pytest.skip(NOT_EXPORTED[case.name])
    if case.name in CUSTOM_OPS:
        with pytest.raises(CodegenError, match=CUSTOM_OPS[case.name]):
            generate_case(case, tmp_path)
        return
    ep, inputs, gen = generate_case(case, tmp_path)
    for args in inputs:          # the example, then the case's extra (dynamic) sizes
        compare(ep, gen, args)


def test_examples_match_module(tmp_path):
    out = tmp_path / "report.json"
    scripts = sorted(str(p) for p in (ROOT / "examples").glob("*.py"))
    subprocess.run([sys.executable, str(ROOT / "tests" / "_codegen_examples.py"), str(out), *scripts],
                   env=_env(), capture_output=True, text=True, timeout=900, check=True, cwd=tmp_path)
    report = json.loads(out.read_text())
    bad = {k: [r["why"] for r in rows if not r["ok"]] for k, rows in report.items()}
    assert not any(bad.values()), bad
    written = sum(1 for rows in report.values() for r in rows if not r["refused"])
    refused = [r["why"] for rows in report.values() for r in rows if r["refused"]]
    assert written >= 20, report
    assert all("no emit rule for" in why for why in refused), refused


# -- every emit rule, on the op sample table ------------------------------------------------------
OP_RULES = sorted(n for n in emit.RULES if n.startswith("aten."))


@pytest.mark.parametrize("name", OP_RULES)
def test_emit_rule_on_op_samples(name, tmp_path):
    """Each sample of tests/op_samples*.py as a one-op program: generated code vs ep.module()
    (values too, except for ops whose values are unspecified: empty, random)."""
    import op_samples
    from _codegen_ops import op_programs
    from minexport.ops import aten
    _, op, overload = name.split(".")
    programs = op_programs(name, getattr(getattr(aten, op), overload))
    if not programs:
        pytest.skip("none of the op's samples exports as a one-op program")
    for i, (sample, ep, tensors) in enumerate(programs):
        gen = import_path(write_module(ep, str(tmp_path / f"op{i}.py")))
        with np.errstate(all="ignore"):
            try:
                compare(ep, gen, (tensors, {}), values=name not in op_samples.RANDOM)
            except AssertionError as e:
                raise AssertionError(f"{name}{sample}: {e}") from None


# -- dynamic shapes, guards, refusals ---------------------------------------------------------
class _Pair(nn.Module):
    def forward(self, x, y):
        return x[: y.shape[0]] * 2 + y, x.sum(0)


def _pair_program():
    b = Dim("b", min=2, max=32)
    return export(_Pair(), (me.randn(8, 3), me.randn(4, 3)), dynamic_shapes=({0: 2 * b}, {0: b}))


def test_dynamic_sizes_and_relation(tmp_path):
    ep = _pair_program()
    gen = import_path(write_module(ep, str(tmp_path / "pair.py")))
    src = (tmp_path / "pair.py").read_text()
    # the root symbol is read from the input that is exactly it, and the derived size checked against it
    (sym,) = [str(s) for s in ep.range_constraints if s.is_Symbol]
    assert f"_{sym} = y.shape[0]" in src and f"if x.shape[0] != 2*_{sym}:" in src
    for n in (2, 5, 32):
        compare(ep, gen, ((me.randn(2 * n, 3), me.randn(n, 3)), {}))


@pytest.mark.parametrize("bad, error", [
    (lambda: (np.zeros((8, 3), np.float64), np.zeros((4, 3), np.float32)), "dtype float32"),
    (lambda: (np.zeros((8, 3, 1), np.float32), np.zeros((4, 3), np.float32)), "2 dims"),
    (lambda: (np.zeros((8, 5), np.float32), np.zeros((4, 3), np.float32)), r"x.shape\[1\] must be 3"),
    (lambda: (np.zeros((9, 3), np.float32), np.zeros((4, 3), np.float32)), "x.shape"),
    (lambda: (np.zeros((80, 3), np.float32), np.zeros((40, 3), np.float32)), "outside the exported range"),
    (lambda: (np.zeros((8, 3), np.float32),), "takes 2 inputs"),
    (lambda: ([[1.0] * 3] * 8, np.zeros((4, 3), np.float32)), "must be a numpy.ndarray"),
])
def test_refused_inputs(tmp_path, bad, error):
    ep = _pair_program()
    gen = import_path(write_module(ep, str(tmp_path / "pair.py")))
    arrays = bad()
    with pytest.raises((TypeError, ValueError), match=error):
        gen.forward(*arrays)
    if all(isinstance(a, np.ndarray) for a in arrays) and len(arrays) == 2:
        with pytest.raises(Exception):        # ep.module() refuses the same inputs
            ep.module()(*[me.from_numpy(a) for a in arrays])


def test_buffer_state_carries_over_calls(tmp_path):
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("n", me.zeros(2))

        def forward(self, x):
            self.n.add_(x.sum())
            x.mul_(2)
            return self.n * 1
    ep = export(Counter(), (me.ones(3),))
    gen = import_path(write_module(ep, str(tmp_path / "c.py")))
    ref = ep.module()
    for _ in range(3):
        a = np.arange(3, dtype=np.float32)
        t = me.from_numpy(a.copy())
        got, want = gen.forward(a)[0], ref(t).numpy()
        np.testing.assert_allclose(got, want)
        np.testing.assert_allclose(a, t.numpy())      # the input mutated in place, as ep.module() does


# -- code shape -----------------------------------------------------------------------------
class _MLP(nn.Module):
    def __init__(self, width=64, depth=3):
        super().__init__()
        self.net = nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.ReLU())])

    def forward(self, x):
        return self.net(x)


def test_readable_one_line_per_node_with_source_and_inplace(tmp_path):
    ep = export(_MLP(), (me.randn(4, 64),))
    src, blob = generate(ep, inline_weights_max_bytes=0)
    assert blob is not None and "np.memmap" in src and "_INLINE" not in src
    assert "# File: " in src and "in forward, code: return F.linear(" in src     # each node's source line
    assert "relu = xp.clip(addmm, 0, xp.inf, out=addmm)" in src     # a dead intermediate reused in place
    assert "import minexport" not in src and "from minexport" not in src


def test_weights_inline_or_beside(tmp_path):
    ep = export(_MLP(), (me.randn(4, 64),))
    x = me.randn(4, 64)
    want = ep.module()(x).numpy()
    small = import_path(write_module(ep, str(tmp_path / "a" / "m.py"), inline_weights_max_bytes=1 << 20))
    big = import_path(write_module(ep, str(tmp_path / "b" / "m.py"), inline_weights_max_bytes=0))
    assert not (tmp_path / "a" / "m.bin").exists() and (tmp_path / "b" / "m.bin").exists()
    for gen in (small, big):
        np.testing.assert_allclose(gen.forward(x.numpy())[0], want, rtol=1e-5, atol=1e-6)


def test_missing_rule_is_refused_at_generation():
    class Top(nn.Module):
        def forward(self, x):
            return me.topk(x, 2).values
    ep = export(Top(), (me.randn(5),))
    with pytest.raises(CodegenError, match=r"no emit rule for aten\.topk"):
        generate(ep)


# -- aot_compile / aot_load -------------------------------------------------------------------
class _Dict(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x, extra):
        return {"out": self.lin(x) + extra["bias"], "pair": (x.sum(), [x.max()])}


def test_aot_compile_and_load_keep_calling_convention(tmp_path):
    model = _Dict()
    x, extra = me.randn(4, 3), {"bias": me.randn(2)}
    path = aot_compile(model, (x, extra), options={"output_path": str(tmp_path / "dict.py")})
    assert path == str(tmp_path / "dict.py")
    run = aot_load(path)
    got, want = run(x, extra), model(x, extra)
    assert set(got) == {"out", "pair"} and isinstance(got["pair"][1], list)
    for g, w in zip(me.utils._pytree.tree_leaves(got), me.utils._pytree.tree_leaves(want)):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="generated for device 'cpu'"):
        aot_load(path, device="cuda")
    with pytest.raises(ValueError, match="unknown option"):
        aot_compile(model, (x, extra), options={"outptu_path": "x.py"})


def test_default_path_is_a_temporary_directory():
    path = aot_compile(_MLP(8, 1), (me.randn(2, 8),))
    assert os.path.basename(path) == "model.py" and os.path.dirname(path) != os.getcwd()


def test_torch_private_export_under_as_torch(tmp_path):
    from minexport.compat import as_torch
    with as_torch() as torch:
        import torch._export
        model = torch.nn.Linear(3, 2)
        x = torch.randn(2, 3)
        path = torch._export.aot_compile(model, (x,), options={"output_path": str(tmp_path / "lin.py")})
        np.testing.assert_allclose(torch._export.aot_load(path, "cpu")(x).numpy(), model(x).numpy(), rtol=1e-6)


# -- standalone: no minexport, and the CuPy form ------------------------------------------------
_NO_MINEXPORT = textwrap.dedent('''
    import importlib.util, json, os, sys

    class NoMinexport:
        """A finder ahead of all others that refuses minexport, however it is installed (editable or in
        the same site-packages as NumPy)."""
        def find_spec(self, name, path=None, target=None):
            if name == "minexport" or name.startswith("minexport."):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, NoMinexport())
    try:
        import minexport
        raise SystemExit("minexport is importable")
    except ModuleNotFoundError:
        pass
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import gen
    x = np.load(sys.argv[2])
    out = gen.forward(x)
    np.save(sys.argv[3], out[0])
    print("ok", "minexport" in sys.modules, sorted(m for m in sys.modules if m.startswith(("torch", "minexport"))))
''')


def test_generated_module_runs_without_minexport(tmp_path):
    ep = export(_MLP(), (me.randn(4, 64),))
    gen_dir = tmp_path / "gen"
    write_module(ep, str(gen_dir / "gen.py"), inline_weights_max_bytes=0)
    x = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = subprocess.run([sys.executable, "-I", "-c", _NO_MINEXPORT, str(gen_dir), str(tmp_path / "x.npy"),
                          str(tmp_path / "y.npy")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr + out.stdout
    assert out.stdout.split() == ["ok", "False", "[]"]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), ep.module()(me.from_numpy(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


_FAKE_CUPY = '''"""A stand-in for CuPy in tests: NumPy's namespace under CuPy's name (the generated code's view)."""
import numpy as _np
globals().update({k: getattr(_np, k) for k in dir(_np) if not k.startswith("__")})
__name__ = "cupy"
'''
_FAKE_CUPYX = '''import math
import numpy as _np
_erf = _np.vectorize(math.erf, otypes=[_np.float64])
def erf(x):
    return _erf(x).astype(x.dtype)
'''


def test_cuda_form_runs_on_a_cupy_stand_in(tmp_path):
    class Gelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return nn.functional.gelu(self.lin(x)).softmax(-1)
    ep = export(Gelu(), (me.randn(3, 4),))
    src, _ = generate(ep, device="cuda")
    assert "import cupy as xp" in src and "import numpy as xp" not in src
    assert "from cupyx.scipy.special import erf as _erf" in src
    fake = tmp_path / "fake"
    (fake / "cupyx" / "scipy").mkdir(parents=True)
    (fake / "cupy").mkdir()
    (fake / "cupy" / "__init__.py").write_text(_FAKE_CUPY)
    (fake / "cupyx" / "__init__.py").write_text("")
    (fake / "cupyx" / "scipy" / "__init__.py").write_text("")
    (fake / "cupyx" / "scipy" / "special.py").write_text(_FAKE_CUPYX)
    write_module(ep, str(tmp_path / "gen" / "gen.py"), device="cuda")
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    script = f"import sys; sys.path.insert(0, {str(fake)!r}); exec(open({str(tmp_path / 'run.py')!r}).read())"
    (tmp_path / "run.py").write_text(_NO_MINEXPORT)
    out = subprocess.run([sys.executable, "-I", "-c", script, str(tmp_path / "gen"), str(tmp_path / "x.npy"),
                          str(tmp_path / "y.npy")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr + out.stdout
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), ep.module()(me.from_numpy(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


# -- the CLI, on torch-written archives ------------------------------------------------------------
FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("*.pt2"))


@pytest.mark.parametrize("archive", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_cli_codegen_torch_archives(archive, tmp_path):
    out = tmp_path / f"{archive.stem}.py"
    r = subprocess.run([sys.executable, "-m", "minexport", "codegen", str(archive), "-o", str(out)],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    gen = import_path(str(out))
    for ins, want in _input_sets(archive.with_suffix(".npz")):
        if want is None:            # sizes torch's program refuses: the generated guards refuse them too
            with pytest.raises(ValueError):
                gen.forward(*ins)
            continue
        got = gen.forward(*ins)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def _input_sets(npz):
    """[(inputs, torch's outputs or None when torch refuses them)] of a fixture: one set (in_<j>, out_<j>) or
    several (in_<i>_<j>, out_<i>_<j>, refused_<i>; see tests/make_dynamic_fixtures.py)."""
    with np.load(npz) as data:
        files = set(data.files)

        def arrays(prefix):
            return [data[f"{prefix}{j}"].copy() for j in range(sum(1 for j in range(len(files))
                                                                   if f"{prefix}{j}" in files))]
        if "in_0" in files:
            return [(arrays("in_"), arrays("out_"))]
        sets = sum(1 for i in range(len(files)) if f"in_{i}_0" in files)
        return [(arrays(f"in_{i}_"), None if f"refused_{i}" in files else arrays(f"out_{i}_")) for i in range(sets)]


def test_cli_codegen_error_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "minexport", "codegen", str(tmp_path / "missing.pt2"), "-o",
                        str(tmp_path / "x.py")], capture_output=True, text=True, env=_env(), timeout=60)
    assert r.returncode == 1 and r.stderr.startswith("error: ") and "Traceback" not in r.stderr


def test_input_names_that_shadow_the_module(tmp_path):
    class Shadow(nn.Module):
        def forward(self, xp, math):
            return xp + math
    ep = export(Shadow(), (me.randn(3), me.randn(3)))
    gen = import_path(write_module(ep, str(tmp_path / "s.py")))
    np.testing.assert_allclose(gen.forward(np.ones(3, np.float32), np.ones(3, np.float32))[0], 2.0)
    with pytest.raises(ValueError, match=r"input0.shape\[0\] must be 3, got 4"):
        gen.forward(np.ones(4, np.float32), np.ones(3, np.float32))
