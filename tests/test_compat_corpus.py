"""The ir/ and compat/ conformance vectors and the archive compatibility policy (spec/archive.md).

Each vector folder (spec/conformance/<group>/<case>/) is run on minexport: load model.pt2, rebuild the call
from the flat inputs, run `module()`, compare with the stored outputs (allclose with the case's rtol/atol,
exact dtype and shape); `expect: "error"` vectors must be refused.  Behind importorskip("torch"), torch
2.13 reproduces every stored output and loads minexport's archives.  The policy tests need no torch.
Until confops' runner (minexport/conform) is merged this file carries its own small runtime, `run_vector`.
"""
import dataclasses
import importlib.util
import json
import pathlib

import numpy as np
import pytest

import minexport as me
import minexport.library
from minexport.export import load, register_dataclass
from minexport.export.graph_signature import InputKind, TensorArgument
from minexport.utils import _pytree as pytree

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "spec" / "conformance"
IR = sorted(p for p in (CORPUS / "ir").glob("*/") if (p / "case.json").exists())
COMPAT = sorted(p for p in (CORPUS / "compat").glob("*/") if (p / "case.json").exists())


def _case(path):
    return json.loads((path / "case.json").read_text())


def _inputs(path):
    files = sorted(path.glob("input_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
    return [np.load(p) for p in files]


def _outputs(path):
    files = sorted(path.glob("output_*.npy"), key=lambda p: int(p.stem.split("_")[1]))
    return [np.load(p) for p in files]


def _fixture(path, name):
    """Import a vector's fixture module (a file in the vector's group folder) by path."""
    spec = importlib.util.spec_from_file_location(f"_conformance_{pathlib.Path(name).stem}", path.parent / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_PYTREE_TYPES = {}


def _prepare(path, case):
    """Register what the case needs before its archive loads: a custom-op fixture, pytree dataclass types."""
    if "fixture" in case:
        _fixture(path, case["fixture"]).register(minexport.library)
    for type_name, fields in case.get("pytree_types", {}).items():
        if type_name not in _PYTREE_TYPES:
            cls = dataclasses.make_dataclass(type_name.replace(".", "_"), fields)
            register_dataclass(cls, serialized_type_name=type_name)
            _PYTREE_TYPES[type_name] = cls


def _leaf(array, spec):
    """A flat input array as the program takes it: a tensor, or the Python value of a baked constant."""
    if isinstance(spec.arg, TensorArgument):
        return me.from_numpy(np.array(array))
    return array.item()


def run_vector(path, inputs):
    """The conformance runtime interface on minexport: load, call module() with the unflattened inputs,
    return the flat outputs as arrays (Python scalars as 0-d arrays)."""
    path = pathlib.Path(path)
    _prepare(path.parent, _case(path.parent)) if path.name == "model.pt2" else None
    ep = load(path)
    user = [s for s in ep.graph_signature.input_specs if s.kind == InputKind.USER_INPUT]
    if len(user) != len(inputs):
        raise ValueError(f"the program takes {len(user)} flat inputs, the vector has {len(inputs)}")
    leaves = [_leaf(a, s) for a, s in zip(inputs, user)]
    args, kwargs = pytree.tree_unflatten(leaves, ep.call_spec.in_spec)
    out = ep.module()(*args, **kwargs)
    return [np.asarray(o.numpy() if isinstance(o, me.Tensor) else o) for o in pytree.tree_leaves(out)]


def _check_vector(path, runtime):
    case = _case(path)
    if case["expect"] == "error":
        with pytest.raises(Exception):
            runtime(path / "model.pt2", _inputs(path))
        return
    got = runtime(path / "model.pt2", _inputs(path))
    want = _outputs(path)
    assert len(got) == len(want), f"{len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == w.dtype and g.shape == w.shape, f"output {i}: {g.dtype}{g.shape}, expected {w.dtype}{w.shape}"
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g, w, err_msg=f"output {i}")
        else:
            assert np.allclose(g, w, rtol=case["rtol"], atol=case["atol"], equal_nan=True), f"output {i}"


@pytest.mark.parametrize("path", IR, ids=[p.name for p in IR])
def test_ir_vector_on_minexport(path):
    _check_vector(path, run_vector)


def test_ir_vectors_cover_the_features():
    names = {p.name for p in IR}
    for feature in ["lifted_state", "buffer_mutation", "input_mutation", "pytree_dict_list", "pytree_dataclass",
                    "dynamic_batch", "derived_dim", "unbacked_item", "unbacked_nonzero", "cond", "map",
                    "while_loop", "scan", "custom_op"]:
        assert feature in names
    errors = [p for p in IR if _case(p)["expect"] == "error"]
    assert len(errors) >= 10 and not any(list(p.glob("output_*.npy")) for p in errors)
    assert {_case(p)["dialect"] for p in IR} == {"TRAINING", "ATEN"}
