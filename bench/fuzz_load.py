"""A structured fuzzer of `load()`: every malformed archive must raise SerializationError, nothing else.

    python -m bench.fuzz_load [--cases 20000] [--seed 0]

Seeds: archives minexport writes (a static MLP with weights, a program with
a dynamic batch size, so with symbolic expressions) and, when present, the
torch-written archives in tests/fixtures.  Each case applies one mutation:

- json: a JSON member (model.json or a weights config) with one value
  replaced by a hostile one (huge or negative ints, 4,300+ digit numbers,
  Infinity/NaN, wrong types, deep nesting), a key removed, or a list item
  duplicated;
- expr: one symbolic expression replaced by a random one from the srepr
  grammar with hostile numbers (huge powers and literals, zero divisors,
  absurd Float precision, unknown names, broken syntax);
- zip: the archive's bytes flipped, cut, or its entries aliased, duplicated,
  deflated with lying sizes, or multiplied.

Reports the cases run, the failures (anything but SerializationError, or a
case over --slow seconds) and the slowest case.  Exit status 1 on a failure.
"""
import argparse
import io
import json
import pathlib
import random
import struct
import sys
import time
import warnings
import zipfile

_FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
_TORCH_SEEDS = ("static_training", "dynamic", "convnet_eval")
_BIG = "__BIGINT__"       # replaced in the JSON text by a number too long for json.dumps
_DEEP = "__DEEP__"          # replaced by arrays nested too deep for json.dumps


# ------------------------------------------------------------------- seeds --
def _own_seeds():
    import minexport as me
    import minexport.nn as mnn
    from minexport.export import Dim, export, save

    class Mlp(mnn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = mnn.Linear(4, 8), mnn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(me.relu(self.fc1(x)))

    class Dyn(mnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = mnn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x).reshape(-1) * 2 + x.shape[0]

    out = []
    for ep in (export(Mlp(), (me.randn(2, 4),)),
               export(Dyn(), (me.randn(3, 4),), dynamic_shapes={"x": {0: Dim("b", min=2, max=64)}})):
        buf = io.BytesIO()
        save(ep, buf)
        out.append(buf.getvalue())
    return out


def seeds():
    """The seed archives' bytes: minexport-written ones, then torch-written fixtures found on disk."""
    found = _own_seeds()
    for name in _TORCH_SEEDS:
        path = _FIXTURES / f"{name}.pt2"
        if path.exists():
            found.append(path.read_bytes())
    return found


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i)) for i in z.infolist()]


def _pack(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", compression=compression) as z:
        warnings.simplefilter("ignore")     # duplicate names are one of the mutations
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------ json values --
def _hostile_value(rng, depth=0):
    choices = [
        lambda: rng.choice([0, -1, 1, 2 ** 31, 2 ** 62, 2 ** 63, 2 ** 64, -(2 ** 63), 10 ** 30]),
        lambda: _BIG, lambda: rng.choice([1e308, -1e308, 0.5, -0.0]),
        lambda: float(rng.choice(["inf", "-inf", "nan"])),
        lambda: rng.choice(["", "x", "as_int", "Symbol('s0')", "aten.add.Tensor", "../x", "a" * 300]),
        lambda: None, lambda: rng.choice([True, False]), lambda: {}, lambda: [],
        lambda: {rng.choice(["as_int", "as_expr", "as_tensor", "as_none", "name"]): _hostile_value(rng, depth + 1)},
        lambda: [_hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))],
    ]
    return rng.choice(choices[:8] if depth > 2 else choices)()


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


def _dump(obj, rng):
    text = json.dumps(obj)
    digits = "9" * rng.choice([400, 4301, 6000])
    return text.replace(json.dumps(_BIG), digits).replace(json.dumps(_DEEP), "[" * 5000 + "]" * 5000).encode()


def _mutate_json(members, rng):
    names = [i for i, (n, _) in enumerate(members) if n.endswith(".json")]
    index = rng.choice(names)
    name, data = members[index]
    obj = json.loads(data)
    paths = [p for p in _paths(obj) if p]
    if not paths:
        return members
    path = rng.choice(paths)
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    how = rng.random()
    if how < 0.1 and isinstance(parent, dict):
        del parent[path[-1]]
    elif how < 0.2 and isinstance(parent, list):
        parent.insert(path[-1], parent[path[-1]])
    elif how < 0.25:
        parent[path[-1]] = _DEEP
    else:
        parent[path[-1]] = _hostile_value(rng)
    members = list(members)
    members[index] = (name, _dump(obj, rng))
    return members


# ------------------------------------------------------------ expressions --
_NAMES = ["Integer", "Add", "Mul", "Pow", "Mod", "FloorDiv", "Max", "Min", "Rational", "floor", "Float",
          "IntTrueDiv", "FloatTrueDiv", "Equality", "StrictLessThan", "Not", "And", "ToFloat", "eval", "Symbol"]


def random_expr(rng, depth=0):
    """A random srepr-like expression: mostly well-formed, with hostile numbers and names."""
    if depth > 3 or rng.random() < 0.3:
        return rng.choice([
            f"Integer({rng.choice([0, 1, -1, 2, 10, 2 ** 63, 10 ** 30])})", f"Integer({'9' * rng.choice([20, 4400])})",
            "Symbol('s0', positive=True, integer=True)", "Symbol('s77')", "Symbol('x')",
            f"Float('{rng.choice(['1.5', '1e999999', 'inf', 'nan'])}', precision={rng.choice([53, 10 ** 9, 0])})",
        ])
    name = rng.choice(_NAMES)
    if name == "Pow":
        return f"Pow({random_expr(rng, depth + 1)}, Integer({rng.choice([2, -1, 10 ** 10, 10 ** 100])}))"
    args = ", ".join(random_expr(rng, depth + 1) for _ in range(rng.randint(1, 3)))
    text = f"{name}({args})"
    if rng.random() < 0.1:          # broken syntax
        cut = rng.randrange(len(text))
        text = text[:cut] + rng.choice(["", ")", "(", ",", "'", "=1"]) + text[cut + 1:]
    return text


def _mutate_expr(members, rng):
    for index, (name, data) in enumerate(members):
        if name.endswith("models/model.json"):
            break
    else:
        return members
    obj = json.loads(members[index][1])
    spots = [p for p in _paths(obj) if p and p[-1] == "expr_str"]
    if not spots:
        return _mutate_json(members, rng)
    path = rng.choice(spots)
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    parent["expr_str"] = random_expr(rng)
    if rng.random() < 0.3 and "hint" in parent:
        parent["hint"] = {rng.choice(["as_int", "as_float"]): rng.choice([float("inf"), float("nan"), 2 ** 70, 3])}
    members = list(members)
    members[index] = (members[index][0], _dump(obj, rng))
    return members


# -------------------------------------------------------------------- zip --
def _zip_case(data, members, rng):
    how = rng.randrange(8)
    if how == 0:                     # flip a few bytes
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if how == 1:                     # cut short
        return data[:rng.randrange(len(data))]
    if how == 2:                     # every weight entry names the same member
        out = []
        for name, body in members:
            if name.endswith("weights_config.json"):
                cfg = json.loads(body)
                for entry in cfg.get("config", {}).values():
                    entry["path_name"] = "weight_0"
                body = json.dumps(cfg).encode()
            out.append((name, body))
        return _pack(out)
    if how == 3:                     # deflated, then one member's declared size changed
        packed = bytearray(_pack(members, zipfile.ZIP_DEFLATED))
        at = packed.rfind(b"PK\x01\x02")
        struct.pack_into("<L", packed, at + 24, rng.choice([0, 1 << 31, 0xFFFFFFFE]))
        return bytes(packed)
    if how == 4:                     # the end record's entry count lies
        packed = bytearray(data)
        at = packed.rfind(b"PK\x05\x06")
        struct.pack_into("<2H", packed, at + 8, *([rng.choice([0, 1, 0xFFFF])] * 2))
        return bytes(packed)
    if how == 5:                     # an entry twice, or one dropped
        out = list(members)
        i = rng.randrange(len(out))
        if rng.random() < 0.5:
            out.insert(i, out[i])
        else:
            del out[i]
        return _pack(out)
    if how == 6:                     # a deflate bomb in place of a JSON member
        top = members[0][0].split("/")[0]
        name = rng.choice([f"{top}/models/model.json", f"{top}/data/weights/model_weights_config.json"])
        bomb = b"[" * 2000 + b" " * (8 << 20) + b"]" * 2000
        return _pack([(n, bomb if n == name else b) for n, b in members], zipfile.ZIP_DEFLATED)
    top = members[0][0].split("/")[0]  # many small extra entries
    return _pack(list(members) + [(f"{top}/extra/e{i}", b"") for i in range(rng.choice([10, 3000]))])


# ------------------------------------------------------------------- runner --
def make_case(seed_bytes, rng):
    """(kind, archive bytes) of one mutated archive."""
    members = _members(seed_bytes)
    kind = rng.choice(["json", "json", "expr", "zip"])
    if kind == "json":
        return kind, _pack(_mutate_json(members, rng))
    if kind == "expr":
        return kind, _pack(_mutate_expr(members, rng))
    return kind, _zip_case(seed_bytes, members, rng)


def run(cases, seed=0, slow=10.0, limits=None):
    """Run `cases` mutated loads; (failures [(case, kind, message)], slowest seconds, counts by kind)."""
    from minexport.export import SerializationError, load
    rng = random.Random(seed)
    pool = seeds()
    failures, slowest, counts = [], 0.0, {}
    for case in range(cases):
        kind, data = make_case(rng.choice(pool), rng)
        counts[kind] = counts.get(kind, 0) + 1
        start = time.perf_counter()
        try:
            load(io.BytesIO(data), limits=limits)
        except SerializationError:
            pass
        except BaseException as e:   # any other exception is what the fuzzer looks for
            if isinstance(e, KeyboardInterrupt):
                raise
            failures.append((case, kind, f"{type(e).__name__}: {e}"[:300]))
        took = time.perf_counter() - start
        slowest = max(slowest, took)
        if took > slow:
            failures.append((case, kind, f"took {took:.1f} s"))
    return failures, slowest, counts


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=10.0, help="seconds after which a case counts as a failure")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    failures, slowest, counts = run(args.cases, args.seed, args.slow)
    print(f"{args.cases} cases ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}) in "
          f"{time.perf_counter() - start:.1f} s; slowest {slowest:.2f} s; {len(failures)} failures")
    for case, kind, message in failures[:50]:
        print(f"  case {case} ({kind}): {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
