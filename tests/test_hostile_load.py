"""Hostile archives: one test per rule of load()'s resource model, each ending in SerializationError in bounded time.

Rules about memory run the load in a subprocess whose address space is
capped (RLIMIT_AS) well below what the archive asks for, so a check that
came after the allocation would fail the test instead of passing by luck.
"""
import io
import json
import os
import pathlib
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import minexport as me
import minexport.nn as mnn
from minexport.export import Dim, SerializationError, export, load, save
from minexport.serde import LoadLimits

ROOT = pathlib.Path(__file__).resolve().parent.parent
_MODEL = "archive/models/model.json"
_WEIGHTS = "archive/data/weights/model_weights_config.json"
_CAP = 2 << 30          # address-space cap of the subprocess: the hostile archives ask for more


class _Mlp(mnn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = mnn.Linear(4, 8), mnn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(me.relu(self.fc1(x)))


class _Dyn(mnn.Module):
    def __init__(self):
        super().__init__()
        self.fc = mnn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x) * 2


class _Many(mnn.Module):
    """n parameters of `shape`, all used."""

    def __init__(self, n, shape):
        super().__init__()
        for i in range(n):
            setattr(self, f"p{i}", mnn.Parameter(me.full(shape, float(i))))
        self.n = n

    def forward(self, x):
        out = x
        for i in range(self.n):
            out = out + getattr(self, f"p{i}")
        return out


def _members(ep):
    buf = io.BytesIO()
    save(ep, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {n: z.read(n) for n in z.namelist()}


def _pack(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for n, data in members.items():
            z.writestr(n, data)
    return buf.getvalue()


def _edit_json(members, key, fn):
    obj = json.loads(members[key])
    fn(obj)
    members[key] = json.dumps(obj).encode()
    return members


MLP = _members(export(_Mlp(), (me.randn(2, 4),)))
DYN = _members(export(_Dyn(), (me.randn(3, 4),), dynamic_shapes={"x": {0: Dim("b", min=2, max=64)}}))


def _refused(data, match=None, seconds=5.0, **kwargs):
    """Load `data` expecting SerializationError within `seconds`; the message."""
    start = time.perf_counter()
    with pytest.raises(SerializationError) as e:
        load(io.BytesIO(data), **kwargs)
    assert time.perf_counter() - start < seconds
    if match is not None:
        assert match in str(e.value), str(e.value)
    return str(e.value)


_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
{setup}
from minexport.export import SerializationError, load
from minexport.serde import LoadLimits
start = time.perf_counter()
try:
    ep = load(sys.argv[1], {kwargs})
    {on_success}
    print("LOADED")
except SerializationError as e:
    print("SerializationError:", e)
except BaseException as e:
    print("OTHER", type(e).__name__, e)
print("SECONDS", time.perf_counter() - start)
"""


def _load_in_child(path, kwargs="", cap=_CAP, setup="", on_success="pass", seconds=60):
    """Load `path` in a subprocess with its address space capped; its (first line, seconds)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    code = _CHILD.format(cap=cap, setup=setup, kwargs=kwargs, on_success=on_success)
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env,
                       timeout=seconds)
    lines = r.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("SECONDS"), r.stdout + r.stderr
    return "\n".join(lines[:-1]), float(lines[-1].split()[1])


def _assert_refused_in_child(path, match, **kwargs):
    out, seconds = _load_in_child(path, **kwargs)
    assert out.startswith("SerializationError:") and match in out, out
    assert seconds < 10
    return out


# ------------------------------------------------------------- weights --
def _first_weight(cfg):
    return next(iter(cfg["config"].values()))


def test_declared_size_is_checked_against_the_member_before_allocation(tmp_path):
    def huge(cfg):      # 4 GiB declared, 128 bytes stored
        _first_weight(cfg)["tensor_meta"]["sizes"] = [{"as_int": 1 << 30}, {"as_int": 1}]
        _first_weight(cfg)["tensor_meta"]["strides"] = [{"as_int": 1}, {"as_int": 1}]
    path = tmp_path / "a.pt2"
    path.write_bytes(_pack(_edit_json(dict(MLP), _WEIGHTS, huge)))
    _assert_refused_in_child(path, "stores 32")


def _set_central_size(data, name, size):
    """The archive with `name`'s uncompressed size in the central directory set to `size`."""
    raw = bytearray(data)
    at = raw.find(name.encode())
    while raw[at - 46:at - 42] != b"PK\x01\x02":
        at = raw.find(name.encode(), at + 1)
    struct.pack_into("<L", raw, at - 46 + 24, size)
    return bytes(raw)


def test_a_deflated_member_may_not_declare_more_than_it_can_inflate_to(tmp_path):
    def huge(cfg):
        _first_weight(cfg)["tensor_meta"]["sizes"] = [{"as_int": (1 << 30) - 4}]     # 4 GiB - 16 bytes
        _first_weight(cfg)["tensor_meta"]["strides"] = [{"as_int": 1}]
    members = _edit_json(dict(MLP), _WEIGHTS, huge)
    data = _pack(members, zipfile.ZIP_DEFLATED)
    path = tmp_path / "a.pt2"
    path.write_bytes(_set_central_size(data, "archive/data/weights/weight_0", (1 << 32) - 16))
    _assert_refused_in_child(path, "max_deflate_ratio")


def test_the_total_weight_budget_is_enforced():
    msg = _refused(_pack(MLP), "max_weight_bytes", limits=LoadLimits(max_weight_bytes=64))
    assert "<file object>" in msg


def test_a_stride_zero_view_cannot_amplify_memory(tmp_path):
    def broadcast(members):
        _edit_json(members, _WEIGHTS, lambda cfg: _first_weight(cfg)["tensor_meta"].update(
            sizes=[{"as_int": 1 << 15}, {"as_int": 1 << 15}], strides=[{"as_int": 0}, {"as_int": 0}]))
        members["archive/data/weights/weight_0"] = np.float32(1).tobytes()
        return members
    path = tmp_path / "a.pt2"
    path.write_bytes(_pack(broadcast(dict(MLP))))          # a 4 GiB copy of one stored element
    _assert_refused_in_child(path, "max_weight_bytes", kwargs="limits=LoadLimits(max_weight_bytes=1 << 30)")
    _assert_refused_in_child(path, "MemoryError")           # the default budget is larger: the cap stops it


def test_aliased_members_are_read_once():
    n = 64
    members = _members(export(_Many(n, (256, 256)), (me.randn(256, 256),)))

    def alias(cfg):
        for entry in cfg["config"].values():
            entry["path_name"] = "weight_0"
    members = _edit_json(members, _WEIGHTS, alias)
    members = {k: v for k, v in members.items() if not k.startswith("archive/data/weights/weight_")
               or k.endswith("/weight_0")}
    one = 256 * 256 * 4
    ep = load(io.BytesIO(_pack(members)), limits=LoadLimits(max_weight_bytes=2 * one))
    values = list(ep.state_dict.values())
    assert len(values) == n and all(np.shares_memory(values[0].numpy(), v.numpy()) for v in values)


# ---------------------------------------------------------------- zip --
def test_the_entry_count_is_capped_before_the_entries_are_read():
    members = dict(MLP, **{f"archive/extra/e{i}": b"" for i in range(1200)})
    data = _pack(members)
    _refused(data, "max_entries=1000", limits=LoadLimits(max_entries=1000))
    raw = bytearray(data)             # the end record says 1 entry: the headers present are counted
    at = raw.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", raw, at + 8, 1, 1)
    _refused(bytes(raw), "more than max_entries=1000", limits=LoadLimits(max_entries=1000))


def test_duplicate_entries_are_refused():
    members = list(MLP.items())
    buf = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buf, "w") as z:
        for n, d in members + [members[0]]:
            z.writestr(n, d)
    _refused(buf.getvalue(), "twice")


# --------------------------------------------------------------- json --
def test_a_json_bomb_is_measured_while_it_inflates(tmp_path):
    members = dict(MLP)
    members[_MODEL] = b" " * (64 << 20) + members[_MODEL]
    path = tmp_path / "a.pt2"
    path.write_bytes(_pack(members, zipfile.ZIP_DEFLATED))      # about 64 KiB on disk
    assert path.stat().st_size < 1 << 20
    _assert_refused_in_child(path, "limit of 1048576", kwargs="limits=LoadLimits(max_json_bytes=1 << 20)")
    # a member that declares a small size is read no further than that size
    path.write_bytes(_set_central_size(path.read_bytes(), _MODEL, 1000))
    _assert_refused_in_child(path, "models/model.json", kwargs="limits=LoadLimits(max_json_bytes=1 << 20)")


def test_json_nesting_depth_is_limited():
    members = dict(MLP)
    members[_MODEL] = b"[" * 200_000 + b"]" * 200_000
    _refused(_pack(members), "max_json_depth")


def test_a_4300_digit_number_in_json_is_refused():
    members = dict(MLP)
    members[_MODEL] = members[_MODEL].replace(b'{"as_int": 4}', b'{"as_int": ' + b"9" * 5000 + b"}", 1)
    _refused(_pack(members), "models/model.json")


@pytest.mark.parametrize("sizes", [[0, 1 << 62], [1 << 62, 0], [1 << 40, 1 << 40]])
def test_absurd_sizes_are_refused(sizes):
    def edit(model):
        meta = model["graph_module"]["graph"]["tensor_values"]["x"]
        meta["sizes"] = [{"as_int": s} for s in sizes]
    _refused(_pack(_edit_json(dict(MLP), _MODEL, edit)), "absurdly large")


# -------------------------------------------------------- expressions --
def _with_expr(text, hint=None):
    def edit(model):
        expr = model["graph_module"]["graph"]["tensor_values"]["x"]["sizes"][0]["as_expr"]
        expr["expr_str"] = text
        if hint is not None:
            expr["hint"] = hint
    return _pack(_edit_json(dict(DYN), _MODEL, edit))


_S0 = "Symbol('s0', integer=True, positive=True)"
EXPRESSIONS = {
    "huge_pow": ("Pow(Integer(10), Integer(10000000000))", "exponent"),
    "pow_of_pow": ("Pow(Pow(Integer(10), Integer(200)), Integer(200))", "bits"),
    "digits_4300": (f"Mul(Integer({'9' * 4400}), {_S0})", "digits"),
    "many_big_factors": ("Mul(" + ", ".join([f"Integer({2 ** 62})"] * 50) + f", {_S0})", "bits"),
    "float_precision": ("Float('1.5', precision=1000000000)", "precision"),
    "floordiv_zero": (f"FloorDiv({_S0}, Integer(0))", "division by zero"),
    "mod_zero": (f"Mod({_S0}, Integer(0))", "division by zero"),
    "rational_zero": ("Rational(Integer(1), Integer(0))", "division by zero"),
    "truediv_zero": (f"IntTrueDiv({_S0}, Integer(0))", "division by zero"),
    "zero_negative_power": ("Pow(Integer(0), Integer(-1))", "negative power"),
    "unknown_name": ("eval(Integer(1))", "does not read"),
    "wrong_arity": (f"Pow({_S0})", "takes 2 arguments"),
    "arithmetic_on_truth": (f"Add(StrictLessThan({_S0}, Integer(3)), {_S0})", "truth value"),
    "too_long": ("Add(" + ", ".join(["Integer(1)"] * 3000) + ")", "at most"),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_hostile_expressions_are_refused_quickly(name):
    text, rule = EXPRESSIONS[name]
    msg = _refused(_with_expr(text), rule, seconds=2.0)
    assert "model.graph_module.graph.tensor_values['x'].sizes[0].expr_str" in msg, msg


@pytest.mark.parametrize("hint", [{"as_float": "Infinity"}, {"as_float": "NaN"}, {"as_int": 1 << 400}])
def test_non_finite_or_huge_hints_are_refused(hint):
    _refused(_with_expr(_S0, hint), "hint")


def test_an_ordinary_dynamic_program_still_loads():
    ep = load(io.BytesIO(_pack(DYN)))
    x = me.randn(5, 4)
    assert ep.module()(x).shape == (5, 4)


# ----------------------------------------------------------------- mmap --
def _saved(tmp_path, model, example):
    path = tmp_path / "m.pt2"
    save(export(model, example), path)
    return path


def test_mmap_checks_crc(tmp_path):
    model = _Mlp()
    path = _saved(tmp_path, model, (me.randn(2, 4),))
    raw = bytearray(path.read_bytes())
    at = raw.find(model.fc1.weight.numpy().tobytes())
    raw[at + 5] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(SerializationError, match="CRC-32"):
        load(path, mmap=True)


def test_mmap_checks_member_bounds(tmp_path):
    model = _Mlp()
    path = _saved(tmp_path, model, (me.randn(2, 4),))
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("m/data/weights/weight_0")
    # the weight's local header claims a name 60000 bytes long: its data would start past the end
    patched = bytearray(raw)
    struct.pack_into("<H", patched, info.header_offset + 28 + 2, 60000)
    path.write_bytes(bytes(patched))
    with pytest.raises(SerializationError, match="weight_0"):
        load(path, mmap=True)


def test_mmap_opens_the_file_once_for_1100_weights(tmp_path):
    path = _saved(tmp_path, _Many(1100, (3,)), (me.randn(3),))
    # 64 open files at most, and the file mapped exactly once
    setup = "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))"
    check = ("maps = [l for l in open('/proc/self/maps') if l.rstrip().endswith(sys.argv[1])]; "
             "assert len(set(l.split()[4] for l in maps)) == 1, maps; "
             "assert float(ep.state_dict['p1099'].numpy()[0]) == 1099.0")
    out, _ = _load_in_child(os.path.realpath(path), kwargs="mmap=True", cap=4 << 30, setup=setup, on_success=check)
    assert out == "LOADED", out


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.pt2"
    path.write_bytes(_with_expr("Pow(Integer(10), Integer(10000000000))"))
    with pytest.raises(SerializationError) as e:
        load(path)
    assert str(e.value).startswith(str(path))


def test_cli_reports_one_serialization_error(tmp_path):
    path = tmp_path / "bad.pt2"
    path.write_bytes(_with_expr("Mod(Symbol('s0'), Integer(0))"))
    r = subprocess.run([sys.executable, "-m", "minexport", "verify", str(path)], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert r.returncode == 1 and r.stderr.startswith("error: SerializationError:") and "Traceback" not in r.stderr
    assert "division by zero" in r.stderr


def test_load_limits_are_validated():
    with pytest.raises(ValueError, match="max_entries"):
        LoadLimits(max_entries=0)
    with pytest.raises(TypeError, match="LoadLimits"):
        load(io.BytesIO(_pack(MLP)), limits={"max_entries": 3})


# ---------------------------------------------------------------- fuzzer --
def test_fuzzer_finds_nothing_but_serialization_errors():
    from bench.fuzz_load import run
    start = time.perf_counter()
    failures, slowest, counts = run(1000, seed=13)
    assert failures == [], failures[:5]
    assert set(counts) == {"json", "expr", "zip"}
    assert time.perf_counter() - start < 60 and slowest < 5
