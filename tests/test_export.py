"""export(): graphs, printouts, signatures, module(), refusals, compat."""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minexport as me
import minexport.nn as nn
from minexport.compat import as_torch
from minexport.export import DataDependentError, UserError, export
from minexport.fx import GraphRunError

HERE = pathlib.Path(__file__).resolve().parent
CASES_FILE = HERE / "export_cases.py"


def load_cases(tag):
    spec = importlib.util.spec_from_file_location(f"export_cases_{tag}", CASES_FILE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


with as_torch():
    ME_CASES = load_cases("minexport")
CASE_NAMES = [c[0] for c in ME_CASES.CASES]


def _case(cases, name):
    return next(c for c in cases.CASES if c[0] == name)


def export_case(cases, name, torch_mod=me):
    _, make_model, make_args, make_kwargs = _case(cases, name)
    torch_mod.manual_seed(0)
    model = make_model()
    args, kwargs = make_args(), make_kwargs()
    return model, args, kwargs


def _normalize(printout):
    """Library frames differ by path and line (torch.nn vs minexport.nn): keep user frames only."""
    out = []
    for line in printout.splitlines():
        m = re.match(r"(\s*)# File: (.*?):\d+ in ", line)
        if m and not m.group(2).startswith(str(HERE)):
            line = m.group(1) + "# File: <library>"
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_matches_torch(name):
    """Same printout (user frames), signature, outputs and side effects as torch.export."""
    torch = pytest.importorskip("torch")
    t_cases = load_cases("torch")
    t_model, t_args, t_kwargs = export_case(t_cases, name, torch)
    m_model, m_args, m_kwargs = export_case(ME_CASES, name)
    m_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    flat_t, spec = torch.utils._pytree.tree_flatten((t_args, t_kwargs))
    flat_m = [me.from_numpy(x.numpy().copy()) if isinstance(x, torch.Tensor) else x for x in flat_t]
    m_args, m_kwargs = me.utils._pytree.tree_unflatten(flat_m, me.utils._pytree.tree_structure((m_args, m_kwargs)))
    t_ep = torch.export.export(t_model, t_args, t_kwargs)
    m_ep = export(m_model, m_args, m_kwargs)
    assert _normalize(str(m_ep)) == _normalize(str(t_ep))
    # run both programs on fresh copies of the same inputs
    t_in = torch.utils._pytree.tree_map(lambda v: v.clone() if isinstance(v, torch.Tensor) else v, (t_args, t_kwargs))
    m_in = me.utils._pytree.tree_map(lambda v: v.clone() if isinstance(v, me.Tensor) else v, (m_args, m_kwargs))
    t_out = torch.utils._pytree.tree_leaves(t_ep.module()(*t_in[0], **t_in[1]))
    m_out = me.utils._pytree.tree_leaves(m_ep.module()(*m_in[0], **m_in[1]))
    assert len(t_out) == len(m_out)
    for a, b in zip(m_out, t_out):
        if isinstance(b, torch.Tensor):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
        else:
            assert a == b
    for a, b in zip(me.utils._pytree.tree_leaves(m_in), torch.utils._pytree.tree_leaves(t_in)):
        if isinstance(b, torch.Tensor):   # input mutations happened on both sides
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_module_equals_eager(name):
    model, args, kwargs = export_case(ME_CASES, name)
    def clone(tree):
        return me.utils._pytree.tree_map(lambda v: v.clone() if isinstance(v, me.Tensor) else v, tree)
    ep = export(model, *clone((args, kwargs)))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    eager_in = clone((args, kwargs))
    expected = me.utils._pytree.tree_leaves(model(*eager_in[0], **eager_in[1]))
    model.load_state_dict(state)           # undo the eager run's buffer updates
    got_in = clone((args, kwargs))
    got = me.utils._pytree.tree_leaves(ep.module()(*got_in[0], **got_in[1]))
    for a, b in zip(got, expected):
        if isinstance(b, me.Tensor):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
        else:
            assert a == b
    for a, b in zip(me.utils._pytree.tree_leaves(got_in), me.utils._pytree.tree_leaves(eager_in)):
        if isinstance(a, me.Tensor):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_printout_and_signature():
    model, args, kwargs = export_case(ME_CASES, "mutations")
    ep = export(model, args, kwargs)
    text = str(ep)
    assert 'def forward(self, p_lin_weight: "f32[3, 3]", p_lin_bias: "f32[3]", b_count: "f32[3]", ' \
           'b_scratch: "f32[3]", x: "f32[4, 3]"):' in text
    assert 'add_: "f32[3]" = torch.ops.aten.add_.Tensor(b_count, 1);  b_count = None' in text
    assert "b_scratch: BUFFER target='scratch' persistent=False" in text
    assert text.endswith("Range constraints: {}\n")
    sig = ep.graph_signature
    assert sig.parameters == ["lin.weight", "lin.bias"] and sig.buffers == ["count", "scratch"]
    assert sig.non_persistent_buffers == ["scratch"] and sig.user_inputs == ["x"]
    assert sig.inputs_to_buffers == {"b_count": "count", "b_scratch": "scratch"}
    assert list(ep.state_dict) == ["lin.weight", "lin.bias", "count"] and list(ep.constants) == ["scratch"]
    assert [n for n, _ in ep.named_parameters()] == ["lin.weight", "lin.bias"]
    assert ep.dialect == "TRAINING" and ep.verifier.__name__ == "TrainingIRVerifier"
    assert [e.fqn for e in ep.module_call_graph] == ["", "lin"]
    assert ep.call_spec.in_spec == me.utils._pytree.tree_structure((args, {}))


def test_node_meta():
    model, args, kwargs = export_case(ME_CASES, "convnet")
    ep = export(model, args, kwargs)
    conv = next(n for n in ep.graph.nodes if n.name == "conv2d")
    assert conv.target is me.ops.aten.conv2d.default
    assert conv.meta["nn_module_stack"] == {"L__self__": ("", "export_cases_minexport.ConvNet"),
                                            "L__self__conv": ("conv", "minexport.nn.modules.conv.Conv2d")}
    assert "export_cases.py" in conv.meta["stack_trace"] and "self.conv(x)" in conv.meta["stack_trace"]
    assert tuple(conv.meta["val"].shape) == (2, 4, 8, 8) and conv.meta["val"].dtype is me.float32


CNN_MODEL = """
import minexport as me
import minexport.nn as nn


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return helper(y)


def helper(y):
    if x_is_checked(y):
        return y.relu()
    return y


def x_is_checked(y):
    return y.shape[0] > 0 and bool(y.sum() > 0)
"""


def _load_module_from(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_user_frames_are_told_by_location_not_by_spelling(tmp_path):
    """A user file whose path spells "nn" (annotations/cnn_model.py) is user code: its frames are recorded
    and errors point at it; minexport's own files never are, except the nn layers' forwards."""
    from minexport.export import _stack_sites, _tracer, errors
    path = tmp_path / "annotations" / "cnn_model.py"
    path.parent.mkdir()
    path.write_text(CNN_MODEL.replace("and bool(y.sum() > 0)", ""))
    user = _load_module_from(path, "cnn_model_ok")
    ep = export(user.Cnn(), (me.randn(1, 3, 4, 4),))
    relu = next(n for n in ep.graph.nodes if n.name == "relu")
    trace = relu.meta["stack_trace"]
    assert f'File "{path}"' in trace and "return helper(y)" in trace and "return y.relu()" in trace
    conv = next(n for n in ep.graph.nodes if n.name == "conv2d")
    assert "minexport/nn/modules/conv.py" in conv.meta["stack_trace"]
    assert "minexport/export/" not in conv.meta["stack_trace"] and "nn/module.py" not in conv.meta["stack_trace"]

    path.write_text(CNN_MODEL)
    refused = _load_module_from(path, "cnn_model_refused")
    with pytest.raises(DataDependentError) as e:
        export(refused.Cnn(), (me.randn(1, 3, 4, 4),))
    assert f'File "{path}"' in str(e.value) and "in x_is_checked" in str(e.value)

    package_dir = pathlib.Path(errors.__file__).resolve().parents[1]
    assert errors.is_user_code(str(path)) and errors.is_user_code(f"{package_dir}_fork/model.py")
    assert not errors.is_user_code(_tracer.__file__) and not errors.is_user_code(_stack_sites.__file__)
    assert not errors.is_user_code(nn.Module.__call__.__code__.co_filename)
    assert errors.is_user_code(nn.Conv2d.forward.__code__.co_filename)


def test_export_package_imports_one_way():
    """No module of minexport.export imports another that imports it back (function-local imports count)."""
    import ast
    package = HERE.parent / "minexport" / "export"
    edges = {}
    for file in package.glob("*.py"):
        deps = edges.setdefault(file.stem, set())
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                deps.update(n.split(".")[0] for n in names if (package / f"{n.split('.')[0]}.py").exists())

    def reaches(start, goal, seen):
        return any(d == goal or (d not in seen and not seen.add(d) and reaches(d, goal, seen))
                   for d in edges.get(start, ()))

    cycles = sorted(m for m in edges if m != "__init__" and reaches(m, m, set()))
    assert cycles == []


def test_shape_env_is_a_field_of_the_program():
    class Dyn(nn.Module):
        def forward(self, x):
            return x.sin() + 1

    static = export(Dyn(), (me.randn(3, 2),))
    assert static.shape_env is None and static.run_decompositions().shape_env is None
    dynamic = export(Dyn(), (me.randn(3, 2),), dynamic_shapes={"x": {0: me.export.Dim("b")}})
    env = dynamic.shape_env
    # s77: torch's name for L['x'].size()[0]
    assert env is not None and [str(s) for s in dynamic.range_constraints] == ["s77"]
    assert dynamic.run_decompositions().shape_env is env
    assert dynamic.module()(me.randn(5, 2)).shape == (5, 2)


def test_lifted_constants_and_fresh_tensors():
    model, args, kwargs = export_case(ME_CASES, "constants")
    ep = export(model, args, kwargs)
    sig = ep.graph_signature
    assert [s.arg.name for s in sig.input_specs] == ["c_scale", "c_lifted_tensor_0", "x"]
    assert sig.lifted_tensor_constants == ["scale", "lifted_tensor_0"]
    ops = [str(n.target) for n in ep.graph.nodes if n.op == "call_function"]
    assert ops == ["aten.mul.Tensor", "aten.lift_fresh_copy.default", "aten.detach_.default", "aten.add.Tensor",
                   "aten.zeros.default", "aten.add.Tensor"]


def _masked_write_program(lib):
    """A submodule writing a Python scalar through a bool mask (`x[~m] = 0`, wav2vec2's padding zeroing) and the
    root writing one through integer indices: the export of each library."""
    class Zero(lib.nn.Module):
        def forward(self, x, keep):
            x = x * 1
            x[~keep] = 0
            return x

    class Root(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Zero()

        def forward(self, x, keep):
            y = self.inner(x, keep)
            y[lib.arange(2), lib.tensor([1, 0])] = 5
            return y
    args = (lib.ones(2, 3), lib.tensor([[True, False, True], [False, True, True]]))
    return lib.export.export(Root(), args)


def test_a_scalar_written_through_a_mask_is_a_constant_of_the_module_writing_it():
    """torch: the value is a lifted constant named in the module that first uses it (`inner.lifted_tensor_0`),
    copied fresh with no detach_ (a torch.tensor() call records one), and a bool mask makes no data-dependent
    size (index_put_'s output is self's shape whatever the count)."""
    torch = pytest.importorskip("torch")
    theirs, ours = _masked_write_program(torch), _masked_write_program(me)
    assert [(s.kind.name, s.arg.name, s.target) for s in ours.graph_signature.input_specs] == \
        [(s.kind.name, s.arg.name, s.target) for s in theirs.graph_signature.input_specs]
    assert [str(n.target) for n in ours.graph.nodes if n.op == "call_function"] == \
        [str(n.target) for n in theirs.graph.nodes if n.op == "call_function"]
    assert not ours.range_constraints
    x, keep = np.ones((2, 3), np.float32), np.array([[True, False, True], [False, True, True]])
    np.testing.assert_array_equal(ours.module()(me.from_numpy(x), me.from_numpy(keep)).numpy(),
                                  theirs.module()(torch.from_numpy(x), torch.from_numpy(keep)).numpy())


def test_pytree_input_names_and_constant_inputs():
    model, args, kwargs = export_case(ME_CASES, "pytrees")
    ep = export(model, args, kwargs)
    names = [n.name for n in ep.graph.nodes if n.op == "placeholder"]
    assert names == ["x", "d_a", "d_b_0", "n", "args_0", "z"]
    assert ep.module_call_graph[0].signature.forward_arg_names == ["x", "d", "n", "args_0", "z"]
    out = ep.module()(*args, **kwargs)
    assert set(out[0]) == {"sum", "pair"} and out[1] == 2


def test_module_checks_inputs():
    model, args, kwargs = export_case(ME_CASES, "pytrees")
    m = export(model, args, kwargs).module()
    good = list(args)
    with pytest.raises(AssertionError, match=r"Guard failed: x.size\(\)\[0\] == 3 .*\*args\[0\].shape\[0\]"):
        m(me.randn(4), *good[1:], **kwargs)
    with pytest.raises(AssertionError, match="Guard failed: n == 2"):
        m(*good[:2], 5, *good[3:], **kwargs)
    with pytest.raises(AssertionError, match="dtype"):
        m(me.ones(3, dtype=me.float64), *good[1:], **kwargs)
    with pytest.raises(ValueError, match="tree spec"):
        m(*good)
    with pytest.raises(NotImplementedError, match="train"):
        m.train()


def test_exported_program_is_not_callable():
    ep = export(ME_CASES.MLP(), (me.randn(2, 8),))
    with pytest.raises(RuntimeError, match="module\\(\\)"):
        ep(me.randn(2, 8))


def test_module_holds_state_by_fqn():
    model = ME_CASES.ConvNet().eval()
    m = export(model, (me.randn(1, 3, 8, 8),)).module()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in model.named_buffers()]


def test_refuses_data_dependent_branch():
    class Bad(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x.sin()
            return x.cos()

    with pytest.raises(DataDependentError) as e:
        export(Bad(), (me.randn(3),))
    msg = str(e.value)
    assert "if x.sum() > 0:" in msg and "test_export.py" in msg and "minexport.where" in msg and "_check" in msg


@pytest.mark.parametrize("body", [lambda x: int(x.sum()), lambda x: float(x[0]), lambda x: x.tolist(),
                                  lambda x: x.numpy()], ids=["int", "float", "tolist", "numpy"])
def test_refuses_reading_values(body):
    class Reads(nn.Module):
        def forward(self, x):
            return body(x)

    with pytest.raises(DataDependentError, match="value of a traced tensor"):
        export(Reads(), (me.randn(3),))


def test_refuses_bad_inputs_and_outputs():
    class Opaque:
        pass

    class Takes(nn.Module):
        def forward(self, x, o):
            return x

    with pytest.raises(UserError, match=r"input at \*args\[1\] is a .*Opaque.*register_pytree_node"):
        export(Takes(), (me.randn(2), Opaque()))

    class Returns(nn.Module):
        def forward(self, x):
            return x, Opaque()

    with pytest.raises(UserError, match=r"returned a Opaque at output\[1\]"):
        export(Returns(), (me.randn(2),))
    with pytest.raises(ValueError, match="Expected `mod` to be an instance of `torch.nn.Module`"):
        export(lambda x: x, (me.randn(2),))
    with pytest.raises(UserError, match="Expecting `args` to be a tuple"):
        export(Takes(), [me.randn(2)])


def test_dataclass_inputs():
    import dataclasses

    @dataclasses.dataclass
    class Batch:
        feature: me.Tensor
        bias: int
        mask: object = None

    me.export.register_dataclass(Batch, serialized_type_name="tests.Batch")

    class Uses(nn.Module):
        def forward(self, b):
            return b.feature + b.bias

    ep = export(Uses(), (Batch(me.ones(2, 2), 1),))
    assert [n.name for n in ep.graph.nodes if n.op == "placeholder"] == ["b_feature", "b_bias"]
    assert ep.module()(Batch(me.ones(2, 2), 1)).tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_kernel_error_names_node_and_line():
    class Gather(nn.Module):
        def forward(self, x, i):
            return x.index_select(0, i)

    m = export(Gather(), (me.randn(3), me.tensor([0, 1]))).module()
    with pytest.raises(GraphRunError, match=r"(?s)node 'index_select'.*return x.index_select\(0, i\)"):
        m(me.randn(3), me.tensor([0, 7]))


def test_builtin_names_get_suffixes():
    class Names(nn.Module):
        def forward(self, input):
            return input.sum(), input.abs().max(), input[1:]

    ep = export(Names(), (me.randn(3),))
    assert [n.name for n in ep.graph.nodes if n.op == "call_function"] == ["sum_1", "abs_1", "max_1", "slice_1"]
    assert "input_1 = input" in ep.graph_module.print_readable(print_output=False)


def test_nothing_leaks_after_export():
    model = ME_CASES.Mutations()
    before = {k: v for k, v in model.state_dict().items()}
    export(model, (me.randn(4, 3),))
    assert all(np.shares_memory(v.numpy(), before[k].numpy()) for k, v in model.state_dict().items())
    assert me._trace_state.trace_state.tracer is None
    assert model.count.tolist() == [0.0, 0.0, 0.0]   # export does not run kernels
    assert not model.lin.weight.is_meta


def test_compat_restores_sys_modules():
    before = set(sys.modules)
    with as_torch() as torch:
        import torch.nn.functional
        assert torch.export.export is export and torch.nn is nn
        with pytest.raises(AttributeError, match="torch.frobnicate is not provided by minexport"):
            torch.frobnicate
        with pytest.raises(ModuleNotFoundError, match="torch._inductor is not provided"):
            import torch._inductor
        import torch._dynamo as dynamo
        def fn(x):
            return x
        assert dynamo.assume_constant_result(fn) is fn
        with pytest.raises(AttributeError, match="torch._dynamo.optimize is not provided by minexport"):
            dynamo.optimize
        from functorch.experimental.control_flow import cond, map
        assert torch.cond is cond and map is not None
    assert set(sys.modules) == before


def test_compat_runs_a_script(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import torch\nx = torch.ones(2)\nprint(type(x).__module__, (x + 1).tolist())\n")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    out = subprocess.run([sys.executable, "-m", "minexport.compat", str(script)], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "minexport._tensor [2.0, 2.0]"


def test_interpreter_reuses_only_dead_intermediates():
    """relu may write into its input when nothing else reads it; never into inputs, weights or live values."""
    class Reuse(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            a = self.lin(x).relu()            # the linear output dies here: reused
            b = x.relu()                      # x is an input: never reused
            c = me.nn.functional.dropout(x, 0.5, False).exp()   # dropout returns x itself: never reused
            d = self.lin(x)
            return a, b, c, d.relu(), d       # d is still read: not reused

    model = Reuse()
    x = me.randn(3, 4)
    keep = x.clone()
    ep = export(model, (x,))
    got = ep.module()(x)
    expected = model(keep.clone())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(x.numpy(), keep.numpy())


def test_one_walk_lifts_shared_state_as_the_named_walks_do():
    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.register_buffer("scale", me.ones(3), persistent=False)

        def forward(self, x):
            return self.lin(x) * self.scale

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Inner()
            self.b = self.a                       # the same submodule under a second name
            self.head = nn.Linear(3, 3)
            self.head.weight = self.a.lin.weight  # a parameter tied across modules
            self.register_buffer("count", me.zeros(1))

        def forward(self, x):
            return self.head(self.b(self.a(x))) + self.count

    model = Outer().eval()
    ep = export(model, (me.randn(2, 3),))
    sig = ep.graph_signature
    # torch 2.13 lifts shared state under every name (named_*(remove_duplicate=False))
    assert sig.parameters == [fqn for fqn, _ in model.named_parameters(remove_duplicate=False)]
    assert sig.buffers == [fqn for fqn, _ in model.named_buffers(remove_duplicate=False)]
    assert list(ep.state_dict) == ["a.lin.weight", "a.lin.bias", "b.lin.weight", "b.lin.bias", "head.weight",
                                   "head.bias", "count"]
    assert list(ep.constants) == ["a.scale", "b.scale"]
    assert all(ep.state_dict[fqn] is p for fqn, p in model.named_parameters(remove_duplicate=False))
    assert [e.fqn for e in ep.module_call_graph] == [""] + [fqn for fqn, _ in
                                                             model.named_modules(remove_duplicate=False) if fqn]
    assert model.module_tree() == list(model.named_modules())
    np.testing.assert_allclose(ep.module()(me.ones(2, 3)).numpy(), model(me.ones(2, 3)).numpy(), rtol=1e-6)
    assert model.a.lin.weight._data is not None     # the real state is back after the trace


def test_stack_traces_are_shared_per_chain_of_call_sites():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU())
    ep = export(model, (me.randn(2, 4),))
    traces = {n.name: n.meta["stack_trace"] for n in ep.graph.nodes if n.op == "call_function"}
    assert traces["linear"] == traces["linear_1"] and traces["relu"] == traces["relu_1"]
    assert traces["linear"] != traces["relu"]
    assert "in forward" in traces["linear"] and "input = m(input)" in traces["linear"]


class _TraceInner(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return self.lin(x).relu()


class _TraceOuter(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _TraceInner()

    def forward(self, x):
        a = self.inner(x)
        b = a * 2
        return self.inner(b)


def _code_lines(trace):
    """The source lines of a recorded stack trace, outermost first."""
    lines = trace.split("\n")
    return [lines[i + 1].strip() for i, line in enumerate(lines) if line.strip().startswith("File ")]


def test_stack_traces_follow_each_call_of_a_module():
    # The walk reuses the call sites above a module call for the ops inside it: a module called from two
    # lines must record each call's own line, and an op between the calls only its own frame.
    ep = export(_TraceOuter(), (me.randn(2, 4),))
    lines = {n.name: _code_lines(n.meta["stack_trace"]) for n in ep.graph.nodes if n.op == "call_function"}
    assert lines["mul"] == ["b = a * 2"]
    assert lines["linear"][:2] == ["a = self.inner(x)", "return self.lin(x).relu()"]
    assert lines["linear_1"] == ["return self.inner(b)"] + lines["linear"][1:]
    assert lines["relu"] == ["a = self.inner(x)", "return self.lin(x).relu()"]
    assert lines["relu_1"] == ["return self.inner(b)", "return self.lin(x).relu()"]


def test_linear_meta_static_and_general_paths_agree():
    from minexport._tensor import make_fake
    from minexport.ops import aten
    x, w = make_fake((2, 3, 4), me.float32), make_fake((5, 4), me.float32)
    assert aten.linear.default.meta(x, w, make_fake((5,), me.float32)).shape == (2, 3, 5)
    assert aten.linear.default.meta(x, w, make_fake((1,), me.float32)).shape == (2, 3, 5)
    assert aten.linear.default.meta(x, w).shape == (2, 3, 5)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 3x5\)"):
        aten.linear.default.meta(x, make_fake((5, 3), me.float32))
    with pytest.raises(RuntimeError, match="linear: expected m1 and m2 to have the same dtype"):
        aten.linear.default.meta(x, make_fake((5, 4), me.float64))


def test_verifier_compares_symbolic_shapes_by_expression():
    from minexport._tensor import make_fake
    from minexport.export import Dim, SpecViolationError
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    ep = export(model, (me.randn(3, 4),), dynamic_shapes={"input": {0: Dim("b", max=64)}})
    ep.validate()
    relu = next(n for n in ep.graph.nodes if n.name == "relu")
    b = relu.meta["val"].shape[0]
    relu.meta["val"] = make_fake((b + 1, 4), me.float32)
    with pytest.raises(SpecViolationError, match=r"gives float32\[(s\d+), 4\] but the node records "
                                                  r"float32\[\1 \+ 1, 4\]"):
        ep.validate()
