"""The ir/ and compat/ conformance vectors and the archive compatibility policy (spec/archive.md).

Each vector folder (spec/conformance/<group>/<case>/) is run on minexport: load model.pt2, rebuild the call
from the flat inputs, run `module()`, compare with the stored outputs (allclose with the case's rtol/atol,
exact dtype and shape); `expect: "error"` vectors must be refused.  Behind importorskip("torch"), torch
2.13 reproduces every stored output and loads minexport's archives.  The policy tests need no torch.
The vectors run through the conformance runner (minexport.conform) and its runtimes.
"""
import io
import json
import pathlib
import zipfile

import numpy as np
import pytest

import minexport as me
import minexport.library
from minexport.conform.cases import Case
from minexport.conform.runner import run_case
from minexport.conform.runtimes import user_inputs, interpreter
from minexport.export import SerializationError, load, save
from minexport.serde import schema as S
from minexport.utils import _pytree as pytree

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "spec" / "conformance"
IR = sorted(p for p in (CORPUS / "ir").glob("*/") if (p / "case.json").exists())
COMPAT = sorted(p for p in (CORPUS / "compat").glob("*/") if (p / "case.json").exists())


def _case(path):
    return json.loads((path / "case.json").read_text())


def _check_vector(path, runtime):
    """Run one vector with the conformance runner; it must pass (outputs equal, or refused as expected)."""
    result = run_case(Case(path), runtime)
    assert result.status == "passed", result.message


@pytest.mark.parametrize("path", IR, ids=[p.name for p in IR])
def test_ir_vector_on_minexport(path):
    _check_vector(path, interpreter)


def test_ir_vectors_cover_the_features():
    names = {p.name for p in IR}
    for feature in ["lifted_state", "buffer_mutation", "input_mutation", "pytree_dict_list", "pytree_dataclass",
                    "dynamic_batch", "derived_dim", "unbacked_item", "unbacked_nonzero", "cond", "map",
                    "while_loop", "scan", "custom_op"]:
        assert feature in names
    errors = [p for p in IR if _case(p)["expect"] == "error"]
    assert len(errors) >= 10 and not any(list(p.glob("output_*.npy")) for p in errors)
    assert {_case(p)["dialect"] for p in IR} == {"TRAINING", "ATEN"}


# ---------------------------------------------------------------- the compatibility corpus

@pytest.mark.parametrize("path", COMPAT, ids=[p.name for p in COMPAT])
def test_compat_archive_on_minexport(path):
    _check_vector(path, interpreter)


def _writers():
    return {_case(p)["writer"] for p in COMPAT}


STATELESS = {"cond", "reductions"}
PICKLED = sorted((CORPUS / "compat" / "pickled_state").glob("*.pt2"))


def test_compat_corpus_has_every_writer_of_every_program():
    """Writers of schema 8.14 and up (torch 2.9+, minexport) wrote all nine programs; older torch stores
    state as pickles, so only its stateless programs are vectors."""
    programs = {_case(p)["program"] for p in COMPAT}
    assert len(programs) >= 9
    assert {"torch-2.13.0", "torch-2.14.1", "torch-2.9.0", "minexport"} <= _writers()
    for writer in _writers():
        cases = [_case(p) for p in COMPAT if _case(p)["writer"] == writer]
        minor = int(cases[0]["schema_version"].split(".")[1])
        assert {c["program"] for c in cases} == (programs if minor >= 14 else STATELESS), writer


@pytest.mark.parametrize("path", PICKLED, ids=[p.name for p in PICKLED])
def test_pickled_state_of_old_torch_is_refused_by_name(path):
    """torch <= 2.8 stores weights as torch.save pickles; minexport never unpickles (spec/archive.md)."""
    with pytest.raises(SerializationError, match=r"stored as pickles \(data/weights/model.pt.*torch 2.8 and older"
                                                 r".*save the program again with torch 2.9 or newer"):
        load(path)


def test_pickled_state_archives_are_present():
    assert PICKLED, "spec/conformance/compat/pickled_state/ holds torch 2.8's mlp archives"


def test_compat_corpus_spans_the_schema_versions_read():
    """Every schema version in the corpus lies in the window spec/archive.md states (major 8, any minor);
    minexport's own archives carry the version it writes."""
    for p in COMPAT:
        case = _case(p)
        major, minor = (int(v) for v in case["schema_version"].split("."))
        assert major == S.SCHEMA_VERSION[0] and case["archive_version"] == S.ARCHIVE_VERSION, p.name
        if case["writer"] == "minexport":
            assert (major, minor) == S.SCHEMA_VERSION


# ---------------------------------------------------------------- the version policy (spec/archive.md)

def _rewrite(src, edit_model=None, edit_member=None):
    """A copy (bytes) of the archive `src` with model.json passed through `edit_model` and/or one other member
    replaced: `edit_member` = (suffix, new bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if edit_model and info.filename.endswith("models/model.json"):
                model = json.loads(data)
                edit_model(model)
                data = json.dumps(model).encode()
            if edit_member and info.filename.endswith(edit_member[0]):
                data = edit_member[1]
            zout.writestr(info.filename, data)
    out.seek(0)
    return out


SEED = CORPUS / "compat" / "mlp__torch-2.13.0" / "model.pt2"


def _set_version(major, minor):
    def edit(model):
        model["schema_version"] = {"major": major, "minor": minor}
    return edit


@pytest.mark.parametrize("major,minor,word", [(9, 0, "newer"), (12, 3, "newer"), (7, 9, "older")])
def test_other_major_schema_versions_are_refused_naming_both(major, minor, word):
    with pytest.raises(SerializationError) as e:
        load(_rewrite(SEED, _set_version(major, minor)))
    message = str(e.value)
    assert f"schema version {major}.{minor} is {word}" in message and "8.20" in message, message


@pytest.mark.parametrize("minor", [0, 2, 99, 1000])
def test_every_minor_of_the_major_read_loads(minor):
    """A newer minor adds fields that a reader ignores; an older one (down to 8.0) lacks nothing minexport
    requires of these programs."""
    ep = load(_rewrite(SEED, _set_version(8, minor)))
    x = me.from_numpy(Case(SEED.parent).inputs()[0])
    np.testing.assert_allclose(ep.module()(x).numpy(), Case(SEED.parent).outputs()[0], rtol=1e-5, atol=1e-5)


def test_unknown_fields_of_a_newer_minor_are_ignored():
    def edit(model):
        model["schema_version"] = {"major": 8, "minor": 99}
        model["a_field_from_the_future"] = {"x": 1}
        model["graph_module"]["graph"]["another_one"] = [1, 2]
    ep = load(_rewrite(SEED, edit))
    assert ep.dialect == "TRAINING"


@pytest.mark.parametrize("value", [b"1", b"2"])
def test_other_archive_versions_are_refused(value):
    with pytest.raises(SerializationError, match=r"archive_version is '\d'; minexport reads archive version 0"):
        load(_rewrite(SEED, edit_member=("/archive_version", value)))


def test_minexport_writes_the_version_it_states(tmp_path):
    ep = load(SEED)
    save(ep, tmp_path / "m.pt2")
    with zipfile.ZipFile(tmp_path / "m.pt2") as z:
        model = json.loads(z.read("m/models/model.json"))
        assert z.read("m/archive_version") == b"0" and z.read("m/archive_format") == b"pt2"
    assert model["schema_version"] == {"major": 8, "minor": 20}
    assert (model["schema_version"]["major"], model["schema_version"]["minor"]) == S.SCHEMA_VERSION


# ---------------------------------------------------------------- torch proves the vectors

@pytest.mark.parametrize("path", IR + COMPAT, ids=[f"{p.parent.name}/{p.name}" for p in IR + COMPAT])
def test_torch_reproduces_the_vector(path):
    """torch 2.13 reproduces every stored output (minexport's compat archives included: torch loads them)."""
    pytest.importorskip("torch")
    from tools.conformance.torch_runtime import run
    _check_vector(path, run)


def test_a_constant_input_of_another_value_is_refused():
    """R-IR-8: pytree_dict_list's int `n` was 3 at export; the vector does not store it (a constant input),
    so the refusal of another value is checked here."""
    path = CORPUS / "ir" / "pytree_dict_list"
    ep = load(path / "model.pt2")
    args, kwargs = pytree.tree_unflatten(user_inputs(ep, Case(path).inputs()), ep.call_spec.in_spec)
    assert args[2] == 3
    with pytest.raises(AssertionError, match="3"):
        ep.module()(args[0], args[1], 4, **kwargs)


LEGACY = sorted((CORPUS / "compat" / "legacy_layout").glob("*.pt2"))


@pytest.mark.parametrize("path", LEGACY, ids=[p.name for p in LEGACY])
def test_the_flat_layout_of_torch_2_7_and_older_is_refused_by_name(path):
    with pytest.raises(SerializationError, match=r"layout torch 2.7 and older wrote \(serialized_exported_program"
                                                 r"\.json, pickled state\), not the PT2 archive of torch 2.8"):
        load(path)
    assert LEGACY
