"""save/load: torch's PT2 archive in both directions, round trips, versioning, hostile files, mmap."""
import io
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minexport as me
from minexport.export import SerializationError, export, load, save
from minexport.serde import schema as S
from minexport.serde.validate import Where, read
from minexport.utils import _pytree as pytree
from test_decompositions import PROGRAMS

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
STATIC_FIXTURES = ["static_training", "static_aten", "convnet_eval", "convnet_aten", "mutating_aten",
                   "attention_training", "attention_aten"]


def _flat_inputs(data):
    keys = sorted((k for k in data.files if k.startswith("in_")), key=lambda k: int(k[3:]))
    return [me.from_numpy(data[k].copy()) for k in keys]


@pytest.mark.parametrize("name", STATIC_FIXTURES)
def test_torch_archives_load_and_run_without_torch(name):
    ep = load(FIXTURES / f"{name}.pt2")
    ep.validate()
    with np.load(FIXTURES / f"{name}.npz") as data:
        args, kwargs = pytree.tree_unflatten(_flat_inputs(data), ep.call_spec.in_spec)
        out = pytree.tree_leaves(ep.module()(*args, **kwargs))
        for i, o in enumerate(out):
            np.testing.assert_allclose(o.numpy(), data[f"out_{i}"], rtol=1e-5, atol=1e-6)
    assert ep.dialect == ("ATEN" if name.endswith("aten") else "TRAINING")


def test_torch_archive_contents():
    ep = load(FIXTURES / "static_training.pt2")
    sig = ep.graph_signature
    assert sig.parameters == ["lin.weight", "lin.bias"] and sig.buffers == ["scale", "shift"]
    assert sig.non_persistent_buffers == ["shift"] and sig.lifted_tensor_constants == ["offset"]
    assert list(ep.constants) == ["offset", "shift"] or set(ep.constants) == {"offset", "shift"}
    assert ep.example_inputs is None
    assert "code: y = self.lin(x) * self.scale + self.shift + self.offset" in str(ep)


def test_dynamic_torch_archive_runs_at_other_sizes():
    ep = load(FIXTURES / "dynamic.pt2")
    assert [str(r) for r in ep.range_constraints.values()] == ["VR[0, int_oo]"]
    with np.load(FIXTURES / "dynamic.npz") as data:
        out = ep.module()(me.from_numpy(data["in_0"].copy()))
        np.testing.assert_allclose(out.numpy(), data["out_0"], rtol=1e-6)
    assert tuple(ep.module()(me.ones(9, 3)).shape) == (9, 3)
    with pytest.raises(AssertionError, match=r"x.size\(\)\[1\] == 3"):
        ep.module()(me.ones(9, 4))


def test_torch_archive_with_a_symfloat_runs_and_checks_it():
    ep = load(FIXTURES / "float_item.pt2")
    assert {str(k): str(v) for k, v in ep.range_constraints.items()} == {"zuf0": "VR[-oo, oo]", "s77": "VR[0, int_oo]"}
    assert 'item: "Sym(zuf0)" = torch.ops.aten.item.default(y)' in str(ep)
    with np.load(FIXTURES / "float_item.npz") as data:
        out = ep.module()(me.from_numpy(data["in_0"].copy()), me.from_numpy(data["in_1"].copy()))
        np.testing.assert_allclose(out.numpy(), data["out_0"], rtol=1e-6)
    assert ep.module()(me.ones(5, 3), me.tensor(2.0)).tolist() == [[7.0] * 3] * 5
    with pytest.raises(RuntimeError, match="zuf0"):
        ep.module()(me.ones(5, 3), me.tensor(-2.0))


class FloatMath(me.nn.Module):
    def forward(self, x, y):
        a = y.item()
        me._check(a > 0)
        return x * a, a * 2.0, a / x.shape[0]


def _dynamic_programs():
    from test_dynamic import CatHalf, CheckValue, MatMul
    from minexport.export import Dim
    b, k = Dim("b", max=9), Dim("k")
    return [
        ("dyn_cat", export(CatHalf(), (me.randn(5, 3), me.randn(10, 3)), dynamic_shapes={"x": {0: b}, "y": {0: 2 * b}}),
         (me.randn(4, 3), me.randn(8, 3)), {}),
        ("dyn_matmul", export(MatMul(), (me.randn(4, 8), me.randn(8, 2)),
                              dynamic_shapes={"x": {0: Dim("m"), 1: k}, "y": {0: k, 1: Dim("n")}}),
         (me.randn(3, 5), me.randn(5, 7)), {}),
        ("unbacked", export(CheckValue(), (me.randn(3, 3), me.tensor([4]))), (me.randn(3, 3), me.tensor([5])), {}),
        ("symfloat", export(FloatMath(), (me.randn(3), me.tensor(1.5)), dynamic_shapes=({0: Dim("n")}, None)),
         (me.randn(5), me.tensor(0.5)), {}),
    ]


DYNAMIC = _dynamic_programs()


@pytest.mark.parametrize("index", range(len(DYNAMIC)), ids=[p[0] for p in DYNAMIC])
def test_symbolic_round_trip_both_ways(index, tmp_path):
    name, ep, args, kwargs = DYNAMIC[index]
    for program in (ep, ep.run_decompositions()):
        save(program, tmp_path / "d.pt2")
        back = load(tmp_path / "d.pt2")
        # derived sizes' entries (`2*s77`) are written and read back, as torch's archive keeps them
        assert str(back) == str(program)
        assert {str(k): str(v) for k, v in back.range_constraints.items()} == \
            {str(k): str(v) for k, v in program.range_constraints.items()}
        got, expected = back.module()(*_clone(args)), program.module()(*_clone(args))
        for x, y in zip(pytree.tree_leaves(got), pytree.tree_leaves(expected)):
            assert (x.numpy().tobytes() == y.numpy().tobytes()) if isinstance(y, me.Tensor) else x == y
    torch = pytest.importorskip("torch")
    save(ep, tmp_path / "t.pt2")
    t_out = torch.export.load(tmp_path / "t.pt2").module()(*[torch.from_numpy(a.numpy().copy()) for a in args])
    for x, y in zip(torch.utils._pytree.tree_leaves(t_out), pytree.tree_leaves(ep.module()(*_clone(args)))):
        if isinstance(y, me.Tensor):
            np.testing.assert_allclose(x.detach().numpy(), y.numpy(), rtol=1e-5)
        else:
            assert x == y


def _clone(tree):
    return pytree.tree_map(lambda v: v.clone() if isinstance(v, me.Tensor) else v, tree)


def _programs():
    out = []
    for name, model, args, kwargs in PROGRAMS:
        ep = export(model, *_clone((args, kwargs)))
        out += [(name, ep, args, kwargs), (name + "_core", ep.run_decompositions(), args, kwargs)]
    return out


ROUND_TRIP = _programs()


@pytest.mark.parametrize("index", range(len(ROUND_TRIP)), ids=[p[0] for p in ROUND_TRIP])
def test_round_trip(index, tmp_path):
    name, ep, args, kwargs = ROUND_TRIP[index]
    path = tmp_path / "p.pt2"
    save(ep, path)
    back = load(path)
    assert str(back) == str(ep)
    assert back.graph_signature == ep.graph_signature and back.dialect == ep.dialect
    assert back.range_constraints == ep.range_constraints
    assert [(e.fqn, e.signature) for e in back.module_call_graph] == [(e.fqn, e.signature)
                                                                     for e in ep.module_call_graph]
    for a, b in ((back.state_dict, ep.state_dict), (back.constants, ep.constants)):
        assert list(a) == list(b)
        for k in a:
            assert a[k].dtype is b[k].dtype and a[k].numpy().tobytes() == b[k].numpy().tobytes(), k
    got = back.module()(*_clone(args), **_clone(kwargs))
    expected = ep.module()(*_clone(args), **_clone(kwargs))
    for x, y in zip(pytree.tree_leaves(got), pytree.tree_leaves(expected)):
        if isinstance(y, me.Tensor):
            assert x.numpy().tobytes() == y.numpy().tobytes()


@pytest.mark.parametrize("index", range(len(ROUND_TRIP)), ids=[p[0] for p in ROUND_TRIP])
def test_torch_loads_and_runs_our_archives(index, tmp_path):
    torch = pytest.importorskip("torch")
    name, ep, args, kwargs = ROUND_TRIP[index]
    path = tmp_path / "p.pt2"
    save(ep, path)
    tep = torch.export.load(path)
    def to_torch(v):
        return torch.from_numpy(v.numpy().copy()) if isinstance(v, me.Tensor) else v
    t_out = tep.module()(*pytree.tree_map(to_torch, _clone(args)), **pytree.tree_map(to_torch, _clone(kwargs)))
    m_out = ep.module()(*_clone(args), **_clone(kwargs))
    t_leaves = torch.utils._pytree.tree_leaves(t_out)
    for x, y in zip(pytree.tree_leaves(m_out), t_leaves):
        if isinstance(x, me.Tensor):
            np.testing.assert_allclose(y.detach().numpy(), x.numpy(), rtol=1e-4, atol=1e-5)


def test_file_objects_and_extra_files():
    name, ep, args, kwargs = ROUND_TRIP[0]
    buf = io.BytesIO()
    save(ep, buf, extra_files={"notes.txt": "hello"})
    extra = {"notes.txt": "", "missing.txt": ""}
    back = load(io.BytesIO(buf.getvalue()), extra_files=extra)
    assert extra == {"notes.txt": "hello", "missing.txt": ""} and str(back) == str(ep)
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0].startswith("archive/")


def test_dataclass_specs_round_trip(tmp_path):
    import dataclasses

    @dataclasses.dataclass
    class Pair:
        a: me.Tensor
        b: me.Tensor

    me.export.register_dataclass(Pair, serialized_type_name="tests.serde.Pair")

    class Uses(me.nn.Module):
        def forward(self, p):
            return Pair(p.a + p.b, p.a * p.b)

    ep = export(Uses(), (Pair(me.ones(2), me.ones(2)),))
    save(ep, tmp_path / "d.pt2")
    back = load(tmp_path / "d.pt2")
    assert back.call_spec.out_spec == ep.call_spec.out_spec
    out = back.module()(Pair(me.ones(2), me.full((2,), 3.0)))
    assert isinstance(out, Pair) and out.b.tolist() == [3.0, 3.0]


def test_save_is_atomic(tmp_path, monkeypatch):
    name, ep, args, kwargs = ROUND_TRIP[0]
    path = tmp_path / "p.pt2"
    save(ep, path)
    before = path.read_bytes()
    import minexport.serde.archive as archive
    monkeypatch.setattr(archive, "sample_inputs_zip", lambda *_: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError, match="crash"):
        save(ep, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.pt2"]


def test_mmap_load(tmp_path):
    big = me.nn.Linear(512, 512)
    ep = export(big, (me.randn(2, 512),))
    save(ep, tmp_path / "big.pt2")
    back = load(tmp_path / "big.pt2", mmap=True)
    w = back.state_dict["weight"]
    assert isinstance(w.numpy().base, np.memmap) and not w.numpy().flags.owndata
    assert w.numpy().tobytes() == big.weight.numpy().tobytes()
    x = me.randn(2, 512)
    np.testing.assert_allclose(back.module()(x).numpy(), big(x).numpy(), rtol=1e-6)


# ----------------------------------------------------------- versioning --
def _members(ep):
    buf = io.BytesIO()
    save(ep, buf)
    z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    return {n: z.read(n) for n in z.namelist()}


def _pack(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return buf.getvalue()


def _edit_model(members, fn):
    key = "archive/models/model.json"
    model = json.loads(members[key])
    fn(model)
    members[key] = json.dumps(model).encode()
    return members


BASE = next(ep for name, ep, _, _ in ROUND_TRIP if name == "mlp")   # has weights


def test_newer_schema_is_refused_naming_both_versions():
    data = _pack(_edit_model(_members(BASE), lambda m: m["schema_version"].update(major=99)))
    with pytest.raises(SerializationError, match=r"99\.20 is newer than the 8\.20"):
        load(io.BytesIO(data))


def test_opset_versions():
    buf = io.BytesIO()
    save(BASE, buf, opset_version={"aten": 10})
    load(io.BytesIO(buf.getvalue()), expected_opset_version={"aten": 10})
    with pytest.raises(SerializationError, match="opset version mismatch for 'aten'"):
        load(io.BytesIO(buf.getvalue()), expected_opset_version={"aten": 11})


def test_unknown_op_names_it():
    def edit(m):
        m["graph_module"]["graph"]["nodes"][0]["target"] = "torch.ops.mylib.frobnicate.default"
    with pytest.raises(SerializationError, match="mylib.frobnicate.*custom op"):
        load(io.BytesIO(_pack(_edit_model(_members(BASE), edit))))


# ------------------------------------------------------------ the schema --
def _schema_departures(obj, spec, where="model"):
    """Where a written JSON value departs from schema.py: record fields missing, extra or out of torch's order."""
    kind = type(spec)
    if kind is S.Ref:
        return _schema_departures(obj, spec.target, where)
    if kind is S.Nullable:
        return [] if obj is None else _schema_departures(obj, spec.inner, where)
    if kind is S.ListOf:
        return [d for i, v in enumerate(obj) for d in _schema_departures(v, spec.item, f"{where}[{i}]")]
    if kind is S.DictOf:
        return [d for k, v in obj.items() for d in _schema_departures(v, spec.value, f"{where}[{k!r}]")]
    if kind is S.Union:
        (tag, value), = obj.items()
        return _schema_departures(value, spec.tags[tag], f"{where}.{tag}")
    if kind is S.Record:
        if list(obj) != list(spec.fields):
            return [f"{where}: fields {list(obj)}, schema {spec.name} has {list(spec.fields)}"]
        return [d for name, f in spec.fields.items() for d in _schema_departures(obj[name], f.spec, f"{where}.{name}")]
    return []


def _written(ep):
    members = _members(ep)
    return {name.rsplit("/", 1)[-1]: json.loads(data) for name, data in members.items() if name.endswith(".json")}


def _schema_cases():
    from test_control_flow import TensorPred
    cond = export(TensorPred(), (me.randn(3, 2),))
    return ([(name, ep) for name, ep, *_ in ROUND_TRIP + DYNAMIC]
            + [("cond", cond), ("cond_core", cond.run_decompositions())])


SCHEMA_CASES = _schema_cases()


@pytest.mark.parametrize("index", range(len(SCHEMA_CASES)), ids=[c[0] for c in SCHEMA_CASES])
def test_writer_emits_exactly_the_schema(index):
    files = _written(SCHEMA_CASES[index][1])
    assert _schema_departures(files["model.json"], S.EXPORTED_PROGRAM) == []
    for config in ("model_weights_config.json", "model_constants_config.json"):
        assert _schema_departures(files[config], S.PAYLOAD_CONFIG) == []
    read(files["model.json"], S.EXPORTED_PROGRAM, Where("model"))


def test_json_paths():
    where = Where("model") / "graph_module" / "graph" / "nodes" / 3
    assert str(where / "inputs" / 0) == "model.graph_module.graph.nodes[3].inputs[0]"
    assert str((Where("graph") / "tensor_values")["x"]) == "graph.tensor_values['x']"


def _load_edited_node(edit):
    return load(io.BytesIO(_pack(_first_node(edit)(_members(BASE)))))


@pytest.mark.parametrize("edit, message", [
    (lambda n: n["inputs"][0]["arg"].update(as_int=3),
     r"model\.graph_module\.graph\.nodes\[0\]\.inputs\[0\]\.arg: expected exactly one field of a union, got "
     r"\['as_int', 'as_tensor'\]"),
    (lambda n: n["inputs"][0].update(arg={"as_frob": 1}), r"inputs\[0\]\.arg: 'as_frob' is not a kind of Argument"),
    (lambda n: n["inputs"][0].update(arg={"as_graph": 1}), r"arg\.as_graph: expected GraphArgument \(an object\)"),
    (lambda n: n.pop("target"), r"nodes\[0\]: missing field 'target'"),
    (lambda n: n["inputs"][0].update(kind=7), r"inputs\[0\]\.kind: unsupported argument kind code 7"),
    (lambda n: n["outputs"][0].update(as_tensor={"name": 5}), r"outputs\[0\]\.as_tensor\.name: expected str, got int"),
    (lambda n: n["inputs"][0].update(arg={"as_custom_obj": {"name": "obj", "class_fqn": "x.Y"}}),
     r"inputs\[0\]: argument kind 'as_custom_obj' is not supported by minexport"),
])
def test_malformed_fields_are_named_by_their_json_path(edit, message):
    with pytest.raises(SerializationError, match=message):
        _load_edited_node(edit)


def test_fields_the_schema_does_not_declare_are_ignored():
    """As torch does, for forward compatibility: a newer minor version may add fields."""
    def edit(model):
        model["a_future_field"] = 1
        model["graph_module"]["graph"]["nodes"][0]["a_future_field"] = {"x": [1]}
    back = load(io.BytesIO(_pack(_edit_model(_members(BASE), edit))))
    assert str(back) == str(BASE)


def test_unknown_op_message_names_a_real_api():
    """The load error says how to register the custom op, with functions minexport.library really has."""
    import minexport.library
    def edit(m):
        m["graph_module"]["graph"]["nodes"][0]["target"] = "torch.ops.mylib.frobnicate.default"
    with pytest.raises(SerializationError, match="mylib.frobnicate.default'.* is not registered in minexport") as e:
        load(io.BytesIO(_pack(_edit_model(_members(BASE), edit))))
    assert '@minexport.library.custom_op("mylib::frobnicate"' in str(e.value)
    assert 'minexport.library.register_fake("mylib::frobnicate")' in str(e.value)
    assert callable(minexport.library.custom_op) and callable(minexport.library.register_fake)


def test_every_unknown_op_is_named_at_once():
    """A program from a newer torch may use several ops minexport lacks: one error lists them all."""
    def edit(m):
        nodes = m["graph_module"]["graph"]["nodes"]
        nodes[0]["target"] = "torch.ops.aten.not_an_op_yet.default"
        nodes[-1]["target"] = "torch.ops.mylib.frobnicate.default"
    with pytest.raises(SerializationError, match=r"ATen operator that minexport does not implement yet: "
                       r"'torch.ops.aten.not_an_op_yet.default' \(at model.graph_module.graph.nodes\[0\]\); and "
                       r"'torch.ops.mylib.frobnicate.default' \(at model.graph_module.graph.nodes\[\d+\]\) is "
                       r"not registered in minexport \(it is a custom op: register it before loading"):
        load(io.BytesIO(_pack(_edit_model(_members(BASE), edit))))


def test_unknown_higher_order_op_is_not_called_a_custom_op():
    """A torch higher-order op minexport lacks (invoke_subgraph) is named as such, not as a custom op to register."""
    def edit(m):
        m["graph_module"]["graph"]["nodes"][0]["target"] = "torch.ops.higher_order.invoke_subgraph"
    with pytest.raises(SerializationError, match=r"higher-order operator that minexport does not implement yet: "
                       r"'torch.ops.higher_order.invoke_subgraph' \(at model.graph_module.graph.nodes\[0\]\)") as e:
        load(io.BytesIO(_pack(_edit_model(_members(BASE), edit))))
    assert "custom op" not in str(e.value)


# ------------------------------------------------------- hostile archives --
def _weights(members):
    key = "archive/data/weights/model_weights_config.json"
    return key, json.loads(members[key])


def _corrupt_weight_shape(members, shape):
    key, cfg = _weights(members)
    first = next(iter(cfg["config"].values()))
    first["tensor_meta"]["sizes"] = [{"as_int": s} for s in shape]
    members[key] = json.dumps(cfg).encode()
    return members


def _set_weight_field(members, field, value):
    key, cfg = _weights(members)
    next(iter(cfg["config"].values()))[field] = value
    members[key] = json.dumps(cfg).encode()
    return members


def _store_weight_0(members, storage, strides, offset):
    """Replace weight_0's bytes by `storage` (float32) and its layout by strides/offset, as torch writes views."""
    key, cfg = _weights(members)
    meta = cfg["config"]["fc1.weight"]["tensor_meta"]
    meta["strides"] = [{"as_int": s} for s in strides]
    meta["storage_offset"] = {"as_int": offset}
    members[key] = json.dumps(cfg).encode()
    members["archive/data/weights/weight_0"] = np.asarray(storage, "<f4").tobytes()
    return members


@pytest.mark.parametrize("layout", ["transposed", "offset_view"])
@pytest.mark.parametrize("mmap", [False, True])
def test_a_weight_stored_as_its_whole_storage_is_read_through_its_strides(layout, mmap, tmp_path):
    """torch 2.14 writes a tensor's whole storage with its strides and offset (channels-last or transposed
    weights, views into bigger buffers); the loaded weight has the same values, in its own C-order array."""
    w = BASE.state_dict["fc1.weight"].numpy()          # (16, 8)
    if layout == "transposed":
        storage, strides, offset = w.T.ravel(), [1, 16], 0
    else:
        storage, strides, offset = np.concatenate([np.full(5, 7.0), w.ravel(), np.full(3, 9.0)]), [8, 1], 5
    path = tmp_path / "a.pt2"
    path.write_bytes(_pack(_store_weight_0(_members(BASE), storage, strides, offset)))
    back = load(path, mmap=mmap)
    got = back.state_dict["fc1.weight"].numpy()
    assert got.tobytes() == w.tobytes() and got.flags.c_contiguous and got.flags.writeable
    x = me.randn(5, 8)
    assert back.module()(x).numpy().tobytes() == BASE.module()(x).numpy().tobytes()


@pytest.mark.parametrize("strides, offset, message", [
    ([8, 1], 1, r"reach element 128, but 'data/weights/weight_0' stores 128"),
    ([1, 16], -1, "negative strides"),
    ([8], 0, "1 strides for 2 dimensions"),
])
def test_a_weight_layout_outside_its_storage_is_refused(strides, offset, message):
    w = BASE.state_dict["fc1.weight"].numpy()
    data = _pack(_store_weight_0(_members(BASE), w.ravel(), strides, offset))
    with pytest.raises(SerializationError, match=message):
        load(io.BytesIO(data))


def _graph_edit(fn):
    return lambda m: _edit_model(m, lambda model: fn(model["graph_module"]["graph"]))


def _first_node(fn):
    return _graph_edit(lambda g: fn(g["nodes"][0]))


CORRUPTIONS = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "not_a_zip": lambda raw: b"hello, this is not an archive" * 10,
    "empty": lambda raw: b"",
    "flipped_header": lambda raw: b"XX" + raw[2:],
}
MEMBER_CORRUPTIONS = {
    "no_model_json": lambda m: {k: v for k, v in m.items() if not k.endswith("model.json")},
    "model_not_json": lambda m: {**m, "archive/models/model.json": b"{not json"},
    "model_is_list": lambda m: {**m, "archive/models/model.json": b"[1, 2, 3]"},
    "model_wrong_types": _graph_edit(lambda g: g.update(nodes="oops")),
    "unknown_dtype_code": _graph_edit(lambda g: next(iter(g["tensor_values"].values())).update(dtype=99)),
    "sizes_wrong_type": _graph_edit(lambda g: next(iter(g["tensor_values"].values())).update(sizes="3")),
    "negative_size": _graph_edit(lambda g: next(iter(g["tensor_values"].values())).update(
        sizes=[{"as_int": -4}])),
    "bad_layout": _graph_edit(lambda g: next(iter(g["tensor_values"].values())).update(layout=3)),
    "undefined_reference": _first_node(lambda n: n["inputs"][0]["arg"].update(as_tensor={"name": "ghost"})),
    "bad_node_name": _first_node(lambda n: n["outputs"][0].update(as_tensor={"name": "1 bad"})),
    "unknown_argument": _first_node(lambda n: n["inputs"][0].update(name="nonexistent")),
    "unknown_op": _first_node(lambda n: n.update(target="torch.ops.evil.op.default")),
    "os_system_target": _first_node(lambda n: n.update(target="os.system")),
    "signature_mismatch": lambda m: _edit_model(m, lambda model: model["graph_module"]["signature"][
        "input_specs"].pop()),
    "bad_treespec": lambda m: _edit_model(m, lambda model: model["graph_module"]["module_call_graph"][0][
        "signature"].update(in_spec="[1, {\"type\": \"evil.Type\", \"context\": \"null\", \"children_spec\": []}]")),
    "meta_mismatch": _graph_edit(lambda g: g["tensor_values"][list(g["tensor_values"])[-1]].update(
        sizes=[{"as_int": 7}, {"as_int": 7}])),
    "weight_size_mismatch": lambda m: _corrupt_weight_shape(m, [99, 99]),
    "absurd_weight": lambda m: _corrupt_weight_shape(m, [10 ** 15]),
    "pickled_weight": lambda m: _set_weight_field(m, "use_pickle", True),
    "weight_path_slash": lambda m: _set_weight_field(m, "path_name", "../../etc/passwd"),
    "missing_weight_file": lambda m: {k: v for k, v in m.items() if not k.endswith("weight_0")},
    "dotdot_member": lambda m: {**m, "archive/../evil": b"x"},
    "absolute_member": lambda m: {**m, "/etc/evil": b"x"},
    "two_top_folders": lambda m: {**m, "other/thing": b"x"},
    "wrong_format": lambda m: {**m, "archive/archive_format": b"zip"},
    "newer_schema": lambda m: _edit_model(m, lambda model: model["schema_version"].update(major=9)),
    "unknown_dialect": lambda m: _edit_model(m, lambda model: model.update(verifiers=["EVIL"])),
}


def test_corpus_is_large_enough():
    assert len(CORRUPTIONS) + len(MEMBER_CORRUPTIONS) >= 20


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corrupt_bytes_raise_serialization_error(name):
    raw = _pack(_members(BASE))
    with pytest.raises(SerializationError):
        load(io.BytesIO(CORRUPTIONS[name](raw)))


@pytest.mark.parametrize("name", sorted(MEMBER_CORRUPTIONS))
def test_malformed_archives_raise_serialization_error(name):
    data = _pack(MEMBER_CORRUPTIONS[name](_members(BASE)))
    with pytest.raises(SerializationError) as e:
        load(io.BytesIO(data))
    assert str(e.value)


VALID = _pack(_members(BASE))


_MODEL = json.loads(_members(BASE)["archive/models/model.json"])
_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 10 ** 6) | st.text(max_size=5),
                            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                            max_leaves=6)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


_ALL_PATHS = [p for p in _paths(_MODEL) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_ALL_PATHS), _JSON_VALUES)
def test_fuzz_json_mutations(path, value):
    model = json.loads(json.dumps(_MODEL))
    obj = model
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value
    members = _members(BASE)
    members["archive/models/model.json"] = json.dumps(model).encode()
    try:
        load(io.BytesIO(_pack(members)))
    except SerializationError:
        pass


# ------------------------------------------------------ one-pass weight reads --
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc32_join_matches_zlib(a, b):
    import zlib
    from minexport.serde.archive import crc32_join
    assert crc32_join(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_crc32_join_long_pieces():
    import zlib
    from minexport.serde.archive import crc32_join
    a, b = np.random.default_rng(0).integers(0, 256, (2, 5_000_003), dtype=np.uint8)
    assert crc32_join(zlib.crc32(a), zlib.crc32(b), b.size) == zlib.crc32(np.concatenate([a, b]))


# a program whose weight (4.4 MiB) spans more than one of the loader's read pieces
BIG = export(me.nn.Linear(1100, 1050), (me.randn(2, 1100),))


def _recompress(data, method):
    """The same archive with every member written with `method` (zipfile's default layout)."""
    src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info))
    return buf.getvalue()


def _saved(ep):
    buf = io.BytesIO()
    save(ep, buf)
    return buf.getvalue()


def _same_weights(back, ep):
    assert list(back.state_dict) == list(ep.state_dict)
    for k, v in ep.state_dict.items():
        assert back.state_dict[k].numpy().tobytes() == v.numpy().tobytes(), k
        assert back.state_dict[k].numpy().flags.writeable


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
@pytest.mark.parametrize("from_path", [False, True])
def test_large_weights_load_from_every_member_kind(method, from_path, tmp_path):
    data = _recompress(_saved(BIG), method)
    if from_path:
        (tmp_path / "a.pt2").write_bytes(data)
        back = load(tmp_path / "a.pt2")
    else:
        back = load(io.BytesIO(data))
    _same_weights(back, BIG)
    x = me.randn(2, 1100)
    assert back.module()(x).numpy().tobytes() == BIG.module()(x).numpy().tobytes()


def _weight_member(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return next(i for i in z.infolist() if i.filename.endswith("weights/weight_0"))


def _data_start(data, info):
    name_len, extra_len = np.frombuffer(data[info.header_offset + 26: info.header_offset + 30], "<u2")
    return info.header_offset + 30 + int(name_len) + int(extra_len)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("from_path", [False, True])
@pytest.mark.parametrize("where", [0.0, 0.6, 0.99])     # (a deflate stream's last byte may be padding)
def test_a_damaged_weight_is_refused(method, from_path, where, tmp_path):
    data = bytearray(_recompress(_saved(BIG), method))
    info = _weight_member(bytes(data))
    data[_data_start(bytes(data), info) + int(where * info.compress_size)] ^= 0x10
    if from_path:
        (tmp_path / "a.pt2").write_bytes(data)
        source = tmp_path / "a.pt2"
    else:
        source = io.BytesIO(bytes(data))
    with pytest.raises(SerializationError, match="weight_0"):
        load(source)


def _patch_central_sizes(data, info, file_size=None, compress_size=None):
    """Rewrite one member's sizes in the central directory (what zipfile trusts)."""
    record = zipfile.ZipFile(io.BytesIO(data)).start_dir
    data = bytearray(data)
    name = info.filename.encode()
    while data[record + 46: record + 46 + len(name)] != name:
        record = data.index(b"PK\x01\x02", record + 4)
    if compress_size is not None:
        data[record + 20: record + 24] = int(compress_size).to_bytes(4, "little")
    if file_size is not None:
        data[record + 24: record + 28] = int(file_size).to_bytes(4, "little")
    return bytes(data)


def _bias_resized(data, size, method):
    """The archive (members written with `method`) with the bias's config claiming `size` elements.

    Returns it with the bias's member (whose sizes in the zip are still the true ones).
    """
    z = zipfile.ZipFile(io.BytesIO(data))
    members = {i.filename: z.read(i) for i in z.infolist()}
    key = "archive/data/weights/model_weights_config.json"
    cfg = json.loads(members[key])
    entry = cfg["config"]["bias"]
    entry["tensor_meta"]["sizes"] = [{"as_int": size}]
    members[key] = json.dumps(cfg).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as out:
        for n, v in members.items():
            out.writestr(n, v)
    data = buf.getvalue()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    return data, next(i for i in infos if i.filename.endswith(entry["path_name"]))


def test_a_deflate_stream_longer_than_declared_is_refused():
    data, info = _bias_resized(_saved(BIG), 1047, zipfile.ZIP_DEFLATED)
    data = _patch_central_sizes(data, info, file_size=1047 * 4)
    with pytest.raises(SerializationError, match="more than its declared"):
        load(io.BytesIO(data))


def test_member_data_past_the_end_is_refused():
    data, info = _bias_resized(_saved(BIG), 10 ** 6, zipfile.ZIP_STORED)
    data = _patch_central_sizes(data, info, file_size=4 * 10 ** 6, compress_size=4 * 10 ** 6)
    with pytest.raises(SerializationError, match="past the end of the archive"):
        load(io.BytesIO(data))


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_member_data_cut_short_is_refused(method):
    data = _recompress(_saved(BIG), method)
    info = _weight_member(data)
    with pytest.raises(SerializationError, match="weight_0"):
        load(io.BytesIO(_patch_central_sizes(data, info, compress_size=info.compress_size // 2)))


def test_local_header_naming_another_file_is_refused():
    data = bytearray(_saved(BIG))
    info = _weight_member(bytes(data))
    at = info.header_offset + 30 + len(info.filename.encode()) - 1     # last character of the local name
    data[at] = ord("9")
    with pytest.raises(SerializationError, match="local header names another file"):
        load(io.BytesIO(bytes(data)))


VALID_DEFLATED = _recompress(_saved(BASE), zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize("archive", [VALID, VALID_DEFLATED], ids=["stored", "deflated"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draw=st.data())
def test_fuzz_byte_mutations(archive, draw):
    """Any bytes changed anywhere in a stored or a deflated archive: a SerializationError or a program."""
    edits = draw.draw(st.lists(st.tuples(st.integers(0, len(archive) - 1), st.integers(0, 255)),
                               min_size=1, max_size=8))
    data = bytearray(archive)
    for pos, value in edits:
        data[pos] = value
    try:
        load(io.BytesIO(bytes(data)))
    except SerializationError:
        pass


class NonFinite(me.nn.Module):
    def forward(self, x):
        return x.masked_fill(x > 1, float("-inf")).clamp(max=float("inf")) + x.new_full((3,), float("nan")).sum()


def test_non_finite_floats_are_written_as_torch_writes_them(tmp_path):
    ep = export(NonFinite(), (me.randn(2, 3),))
    path = tmp_path / "nonfinite.pt2"
    save(ep, path)
    with zipfile.ZipFile(path) as z:
        text = z.read(next(n for n in z.namelist() if n.endswith("models/model.json"))).decode()
    assert '"as_float": "-Infinity"' in text and '"as_float": "Infinity"' in text and "NaN" in text
    x = me.tensor([[0.5, 2.0, -1.0], [3.0, 0.0, 1.0]])
    np.testing.assert_array_equal(load(path).module()(x).numpy(), ep.module()(x).numpy())
    torch = pytest.importorskip("torch")
    t_out = torch.export.load(path).module()(torch.from_numpy(x.numpy().copy()))
    np.testing.assert_array_equal(t_out.numpy(), ep.module()(x).numpy())


class Difference(me.nn.Module):
    def forward(self, x, y):
        return x - y


def test_op_inputs_are_matched_to_the_schema_by_name():
    """torch reads a node's inputs by name: listing `other` before `self` does not swap them."""
    from minexport.serde.deserialize import deserialize_program
    from minexport.serde.serialize import serialize_program
    model, weights, constants = serialize_program(export(Difference(), (me.ones(3), me.zeros(3))))
    node = model["graph_module"]["graph"]["nodes"][0]
    node["inputs"].reverse()
    ep = deserialize_program(json.loads(json.dumps(model)), {}, {})
    assert ep.module()(me.ones(3), me.zeros(3)).tolist() == [1.0, 1.0, 1.0]
    node["inputs"].append(dict(node["inputs"][0]))
    with pytest.raises(SerializationError, match="argument 'other' is given twice"):
        deserialize_program(json.loads(json.dumps(model)), {}, {})
