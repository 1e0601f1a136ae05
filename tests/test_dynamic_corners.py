"""Dynamic-shape corners compared with torch 2.13 (spec/dynamic.md): symbol names, derived-size range
entries, Dim.DYNAMIC/AUTO relation inference and bounds, sym_max/sym_min, unbacked float and int values
with _check, _constrain_as_size, ShapesCollection, AdditionalInputs, refine_dynamic_shapes_from_suggested_fixes
and FloorDiv printing.  Each case is written once over a `lib` (torch or minexport) and run on both."""
import contextlib

import numpy as np
import pytest

import minexport
from minexport.export import ConstraintViolationError

torch = pytest.importorskip("torch")


def _both(case):
    """case(lib) on torch and on minexport."""
    return case(torch), case(minexport)


def _ranges(ep):
    return str(ep.range_constraints)


def _input_shapes(ep):
    return [str(list(n.meta["val"].shape)) for n in ep.graph.nodes if n.op == "placeholder"]


def _targets(ep):
    """The multiset of call targets, by name (torch.sym_max is a Python function on both sides)."""
    names = []
    for n in ep.graph.nodes:
        if n.op == "call_function":
            t = n.target
            names.append(t.__name__ if callable(t) and not hasattr(t, "_schema") and not hasattr(t, "name")
                         else str(t).replace("torch.ops.", ""))
    return sorted(names)


# -- models, written over lib ------------------------------------------------------------------------------
def _add(lib):
    class Add(lib.nn.Module):
        def forward(self, x, y):
            return x + y
    return Add()


def _matmul(lib):
    class MatMul(lib.nn.Module):
        def forward(self, x, y):
            return x @ y
    return MatMul()


_SPECS = {
    # name: (model, shapes of the example inputs, dynamic_shapes builder over lib.export.Dim)
    "dynamic_broadcast": (_add, [(3, 4), (3, 4)],
                          lambda Dim: ({0: Dim.DYNAMIC, 1: Dim.DYNAMIC}, {0: Dim.DYNAMIC, 1: Dim.DYNAMIC})),
    "auto_broadcast": (_add, [(3, 4), (4,)], lambda Dim: ({0: Dim.AUTO, 1: Dim.AUTO}, {0: Dim.AUTO})),
    "auto_bounded": (_add, [(3,), (3,)], lambda Dim: ({0: Dim.AUTO(min=3, max=10)}, {0: Dim.AUTO})),
    "dynamic_bounded": (_add, [(3,), (3,)], lambda Dim: ({0: Dim.DYNAMIC(min=3, max=10)}, {0: Dim.DYNAMIC(max=8)})),
    "named_with_dynamic": (_add, [(3,), (3,)], lambda Dim: ({0: Dim("a")}, {0: Dim.DYNAMIC})),
    "shared_dim": (_matmul, [(4, 8), (8, 2)],
                   lambda Dim: (lambda k: ({0: Dim("m"), 1: k}, {0: k, 1: Dim("n", max=64)}))(Dim("k"))),
    "static_int_in_spec": (_matmul, [(3, 4), (4, 5)], lambda Dim: ((Dim.DYNAMIC, 4), (4, Dim.DYNAMIC))),
}


@pytest.mark.parametrize("name", sorted(_SPECS))
def test_symbol_names_and_ranges_match_torch(name):
    make, shapes, spec = _SPECS[name]

    def case(lib):
        ep = lib.export.export(make(lib), tuple(lib.randn(*s) for s in shapes),
                               dynamic_shapes=spec(lib.export.Dim))
        return _ranges(ep), _input_shapes(ep)
    theirs, ours = _both(case)
    assert ours[0] == theirs[0]
    assert [s.replace("torch.Size", "") for s in ours[1]] == [s.replace("torch.Size", "") for s in theirs[1]]


def test_derived_dims_have_range_entries_of_their_own():
    def case(lib):
        d = lib.export.Dim("d", min=2, max=100)

        class DropFirst(lib.nn.Module):
            def forward(self, x, y):
                return x[1:] + y

        class CatTwice(lib.nn.Module):
            def forward(self, x, y):
                return lib.cat([x, x]) + y

        one = lib.export.export(DropFirst(), (lib.randn(5), lib.randn(4)), dynamic_shapes=({0: d + 1}, {0: d}))
        two = lib.export.export(CatTwice(), (lib.randn(5), lib.randn(10)), dynamic_shapes=({0: d}, {0: 2 * d}))
        return _ranges(one), _ranges(two)
    theirs, ours = _both(case)
    assert ours == theirs == ("{s17 + 1: VR[3, 101], s17: VR[2, 100]}", "{s77: VR[2, 100], 2*s77: VR[4, 200]}")


def test_named_dims_tied_by_the_program_still_raise_with_torchs_fix():
    def case(lib):
        Dim = lib.export.Dim
        try:
            lib.export.export(_add(lib), (lib.randn(3), lib.randn(3)), dynamic_shapes=({0: Dim("dx")}, {0: Dim("dy")}))
        except Exception as e:
            return str(e).split("\n\n")[0].splitlines()[-2:]
    theirs, ours = _both(case)
    assert ours == theirs == ["Suggested fixes:", "  dy = dx"]


def test_sym_max_and_sym_min_stay_symbolic():
    def case(lib):
        class Pad(lib.nn.Module):
            def forward(self, x, y):
                return (lib.zeros(lib.sym_max(x.shape[0], y.shape[0])),
                        lib.zeros(lib.sym_min(x.shape[0], y.shape[0])))

        Dim = lib.export.Dim
        ep = lib.export.export(Pad(), (lib.randn(3), lib.randn(5)), dynamic_shapes=({0: Dim("a")}, {0: Dim("b")}))
        out = ep.module()(lib.randn(7), lib.randn(2))
        return _ranges(ep), [t for t in _targets(ep) if t.startswith("sym_")], [tuple(o.shape) for o in out]
    theirs, ours = _both(case)
    assert ours == theirs
    assert ours[1] == ["sym_max", "sym_min"] and ours[2] == [(7,), (2,)]


def test_sym_max_program_round_trips_through_an_archive(tmp_path):
    class Pad(minexport.nn.Module):
        def forward(self, x, y):
            return minexport.zeros(minexport.sym_max(x.shape[0], y.shape[0]))

    Dim = minexport.export.Dim
    ep = minexport.export.export(Pad(), (minexport.randn(3), minexport.randn(5)),
                                 dynamic_shapes=({0: Dim("a")}, {0: Dim("b")}))
    minexport.export.save(ep, tmp_path / "p.pt2")
    assert "torch.sym_max" in str(ep) and str(minexport.export.load(tmp_path / "p.pt2")) == str(ep)
    back = torch.export.load(tmp_path / "p.pt2")          # torch reads what minexport wrote
    assert tuple(back.module()(torch.randn(4), torch.randn(9)).shape) == (9,)


def test_float_and_checked_int_items_together():
    def case(lib):
        class Scale(lib.nn.Module):
            def forward(self, x, i):
                f = x.sum().item()
                n = i.item()
                lib._check(n >= 0)
                lib._check(n < 10)
                return lib.ones(n) * f

        ep = lib.export.export(Scale(), (lib.tensor([0.5, 1.0]), lib.tensor(4)))
        out = ep.module()(lib.tensor([1.0, 2.0]), lib.tensor(3))
        return _ranges(ep), _targets(ep).count("aten._assert_scalar.default"), out.tolist()
    theirs, ours = _both(case)
    assert ours == theirs == ("{zuf0: VR[-oo, oo], u0: VR[0, 9]}", 3, [3.0, 3.0, 3.0])


def test_constrain_as_size():
    def case(lib):
        class Ones(lib.nn.Module):
            def forward(self, i):
                n = i.item()
                lib._constrain_as_size(n, 2, 10)
                return lib.ones(n)

        ep = lib.export.export(Ones(), (lib.tensor(4),))
        messages = sorted(n.args[1] for n in ep.graph.nodes if "_assert_scalar" in str(n.target))
        with pytest.raises(Exception, match="u0 <= 10"):
            ep.module()(lib.tensor(11))
        return _ranges(ep), messages
    theirs, ours = _both(case)
    assert ours == theirs
    assert ours[0] == "{u0: VR[2, 10]}"


def test_shapes_collection_with_several_positional_inputs():
    def case(lib):
        x, y = lib.randn(3, 4), lib.randn(4, 5)
        sc = lib.export.ShapesCollection()
        sc[x] = (lib.export.Dim.DYNAMIC, 4)
        sc[y] = (4, lib.export.Dim.DYNAMIC)
        return _ranges(lib.export.export(_matmul(lib), (x, y), dynamic_shapes=sc))
    theirs, ours = _both(case)
    assert ours == theirs == "{s77: VR[2, int_oo], s94: VR[2, int_oo]}"


def test_additional_inputs_infer_the_dims_that_vary():
    def case(lib):
        ai = lib.export.AdditionalInputs()
        ai.add((lib.randn(6, 4), lib.randn(4, 2)))
        ai.add((lib.randn(2, 4), lib.randn(4, 7)))
        ep = lib.export.export(_matmul(lib), (lib.randn(3, 4), lib.randn(4, 5)), dynamic_shapes=ai)
        ai.verify(ep)
        return _ranges(ep), _input_shapes(ep)
    theirs, ours = _both(case)
    assert ours[0] == theirs[0] == "{s77: VR[2, int_oo], s94: VR[2, int_oo]}"


def test_additional_inputs_refuse_non_tensor_inputs_that_differ():
    ai = minexport.export.AdditionalInputs()
    ai.add((minexport.randn(3), 5))

    class Scale(minexport.nn.Module):
        def forward(self, x, k):
            return x * k
    with pytest.raises(minexport.export.UserError, match="cannot be marked as dynamic"):
        minexport.export.export(Scale(), (minexport.randn(3), 2), dynamic_shapes=ai)


@pytest.mark.parametrize("program", ["equal", "derived", "range", "static"])
def test_refine_dynamic_shapes_from_suggested_fixes(program):
    def case(lib):
        Dim = lib.export.Dim

        class Cat(lib.nn.Module):
            def forward(self, x, y):
                return lib.cat([x, x]) + y

        class Big(lib.nn.Module):
            def forward(self, x):
                return x * 2 if x.shape[0] > 4 else x

        class Static(lib.nn.Module):
            def forward(self, x):
                return x + lib.ones(4)

        model, args, spec = {
            "equal": (_add(lib), (lib.randn(3), lib.randn(3)), ({0: Dim("dx")}, {0: Dim("dy")})),
            "derived": (Cat(), (lib.randn(3), lib.randn(6)), ({0: Dim("a")}, {0: Dim("b")})),
            "range": (Big(), (lib.randn(6),), ({0: Dim("n", max=100)},)),
            "static": (Static(), (lib.randn(4),), ({0: Dim("n")},)),
        }[program]
        with pytest.raises(Exception) as info:
            lib.export.export(model, args, dynamic_shapes=spec)
        message = str(info.value).split("\n\n")[0]      # torch adds a paragraph its own parser cannot read
        refine = __import__(f"{lib.__name__}.export.dynamic_shapes",
                            fromlist=["x"]).refine_dynamic_shapes_from_suggested_fixes
        fixed = refine(message, spec)
        return repr(fixed), _ranges(lib.export.export(model, args, dynamic_shapes=fixed))
    theirs, ours = _both(case)
    assert ours == theirs


def test_refine_reads_only_the_fixes_block():
    """Our own message, whole, and a fix naming a dim the spec does not have."""
    Dim = minexport.export.Dim
    spec = ({0: Dim("dx")}, {0: Dim("dy")})
    with pytest.raises(ConstraintViolationError) as info:
        minexport.export.export(_add(minexport), (minexport.randn(3), minexport.randn(3)), dynamic_shapes=spec)
    refine = minexport.export.dynamic_shapes.refine_dynamic_shapes_from_suggested_fixes
    fixed = refine(str(info.value) + "\n\nmore text = that is not a fix", spec)
    assert fixed[1][0] is fixed[0][0]
    with pytest.raises(minexport.export.UserError, match="cannot apply the fix 'zz = 2\\*qq'"):
        refine("Suggested fixes:\n  zz = 2*qq\n", spec)
    with pytest.raises(minexport.export.UserError, match="Suggested fixes not found"):
        refine("Constraints violated (dx)!", spec)


def test_floor_division_prints_as_torch():
    def case(lib):
        class Halves(lib.nn.Module):
            def forward(self, x):
                return x.reshape(x.shape[0] // 2, 2, -1).sum(1), x[::2] * 2

        ep = lib.export.export(Halves(), (lib.randn(6, 3),), dynamic_shapes=({0: lib.export.Dim.AUTO},))
        text = str(ep)
        return ['"Sym((s77//2))"' in text, '"f32[((s77 + 1)//2), 3]"' in text, _ranges(ep)]
    theirs, ours = _both(case)
    assert ours == theirs == [True, True, "{s77: VR[2, int_oo]}"]


def test_dim_hints_with_bounds():
    Dim = minexport.export.Dim
    assert repr(Dim.AUTO(min=2, max=10)) == "Dim.AUTO(min=2, max=10)" and repr(Dim.AUTO) == "Dim.AUTO"
    with pytest.raises(minexport.export.UserError, match="min <= max"):
        Dim.DYNAMIC(min=5, max=3)
    with pytest.raises(TypeError):
        Dim.STATIC(min=2)
    ep = minexport.export.export(_add(minexport), (minexport.randn(4), minexport.randn(4)),
                                 dynamic_shapes=({0: Dim.AUTO(min=3, max=10)}, {0: Dim.AUTO}))
    run = ep.module()
    np.testing.assert_allclose(run(minexport.ones(10), minexport.ones(10)).numpy(), np.full(10, 2.0))
    with pytest.raises(AssertionError, match="Guard failed"):
        run(minexport.ones(11), minexport.ones(11))


def test_divisibility_gets_torchs_new_root_fix():
    """A reshape to s // 2 rows needs s even: torch suggests `_a = Dim('_a', ...)` and `a = 2*_a`; applied,
    the root is computed from the input's size as sym_size // 2."""
    def case(lib):
        class Halves(lib.nn.Module):
            def forward(self, x):
                return x.reshape(x.shape[0] // 2, 2)

        spec = ({0: lib.export.Dim("a", min=2)},)
        with pytest.raises(Exception) as info:
            lib.export.export(Halves(), (lib.randn(6),), dynamic_shapes=spec)
        message = str(info.value).split("\n\n")[0]
        refine = __import__(f"{lib.__name__}.export.dynamic_shapes",
                            fromlist=["x"]).refine_dynamic_shapes_from_suggested_fixes
        ep = lib.export.export(Halves(), (lib.randn(6),), dynamic_shapes=refine(message, spec))
        return message.splitlines()[-2:], _targets(ep), tuple(ep.module()(lib.randn(10)).shape)
    theirs, ours = _both(case)
    assert ours == theirs
    assert ours[0] == ["  _a = Dim('_a', min=1, max=oo)", "  a = 2*_a"]


def test_example_size_0_or_1_for_dynamic_hint_and_named_dim():
    """An example size of 0 or 1: Dim.DYNAMIC is a ValueError naming the conflict (torch's message); a named
    Dim is a constraint violation whose fix pins the Dim to the example size; Dim.AUTO specializes quietly."""
    def case(lib):
        Dim, out = lib.export.Dim, []
        for spec in (Dim.DYNAMIC, Dim.DYNAMIC(min=0, max=10), Dim("b")):
            # minexport warns before refusing; torch logs instead
            with pytest.warns(UserWarning) if lib is minexport else contextlib.nullcontext():
                try:
                    lib.export.export(_add(lib), (lib.randn(1), lib.randn(1)), dynamic_shapes=({0: spec}, None))
                except Exception as e:
                    text = str(e)
                    out.append((isinstance(e, ValueError), text.splitlines()[1] if isinstance(e, ValueError)
                                else "You marked b as dynamic but your code specialized it to be a constant (1)"
                                in text and "Suggested fixes:\n  b = 1" in text))
        ep = lib.export.export(_add(lib), (lib.randn(1), lib.randn(1)), dynamic_shapes=({0: Dim.AUTO}, None))
        out.append(_ranges(ep))
        return out
    theirs, ours = _both(case)
    assert ours == theirs
    assert ours[0] == (True, "- Received user-specified dim hint Dim.DYNAMIC(min=None, max=None), but export 0/1 "
                             "specialized due to hint of 1 for dimension inputs['x'].shape[0].")
