"""Guards torch 2.13 makes and checks that are neither a plain range nor an equality, against torch.

Each program is exported by both libraries with the same dynamic_shapes; they must agree on the outcome
(and the violated guard's text where torch's printing is the same), on range_constraints, and at call time
on which sizes are refused (with torch's message where it prints the guard the same way).
"""
import pytest

import minexport as me

torch = pytest.importorskip("torch")


def _export(lib, body, shapes, spec):
    class One(lib.nn.Module):
        def forward(self, x):
            return body(lib, x)

    class Two(lib.nn.Module):
        def forward(self, x, y):
            return body(lib, x, y)
    args = tuple(lib.randn(*s) for s in shapes)
    dims = spec(lib)                # one input's {dim: spec}, or a tuple of them
    module = (One, Two)[len(shapes) - 1]()
    return lib.export.export(module, args, dynamic_shapes=dims if isinstance(dims, tuple) else (dims,))


def _both(body, shapes, spec):
    """(torch's program, minexport's program) or the two export errors' texts."""
    out = []
    for lib in (torch, me):
        try:
            out.append(_export(lib, body, shapes, spec))
        except Exception as e:      # the outcome compared
            out.append(e)
    return out


def _ranges(ep):
    return sorted((str(v.lower), str(v.upper)) for v in ep.range_constraints.values())


def _refusal(lib, ep, shapes):
    """None when the program runs on inputs of these shapes, else the refusal's text."""
    try:
        ep.module()(*(lib.randn(*s) for s in shapes))
    except AssertionError as e:
        return str(e).splitlines()[0]
    return None


def _auto(*dims):
    return lambda lib: {d: lib.export.Dim.AUTO for d in dims}


def _dynamic(*dims):
    return lambda lib: {d: lib.export.Dim.DYNAMIC for d in dims}


def _half(lib, x):
    return x[: x.shape[0] // 2] * 2


def _drop_first(lib, x):
    return x.narrow(0, 1, x.shape[0] - 1) + 1


def _mod_size(lib, x):
    return lib.zeros(x.shape[0] % 3 + 1) + 1


@pytest.mark.parametrize("body, example, calls, same_text", [
    (_half, (6, 3), [(9, 3), (2, 3), (3, 3), (4, 3)], True),           # (s77//2) != 1
    (_drop_first, (4, 5), [(2, 5), (3, 5), (9, 5)], False),             # s77 - 1 != 1 (torch: -1 + ...)
    (_mod_size, (4,), [(5,), (9,), (6,), (7,)], False),                 # Mod(s77, 3) + 1 != 1
], ids=["floordiv", "minus_one", "mod"])
def test_a_one_size_exclusion_is_checked_at_call_time(body, example, calls, same_text):
    t, m = _both(body, [example], _auto(0))
    assert _ranges(t) == _ranges(m)
    for shape in calls:
        want, got = _refusal(torch, t, [shape]), _refusal(me, m, [shape])
        assert (want is None) == (got is None), (shape, want, got)
        if same_text and want is not None:
            assert got == want


@pytest.mark.parametrize("body, example", [(_half, (6, 3)), (_drop_first, (4, 5)), (_mod_size, (4,))],
                         ids=["floordiv", "minus_one", "mod"])
def test_a_named_dim_whose_range_holds_an_excluded_size_is_a_violation(body, example):
    t, m = _both(body, [example], lambda lib: {0: lib.export.Dim("n_dim", min=2)})
    assert isinstance(t, Exception) and isinstance(m, Exception)
    assert "Constraints violated (n_dim)!" in str(t) and "Constraints violated (n_dim)!" in str(m)
    assert "Not all values of n_dim" in str(t) and "Not all values of n_dim" in str(m)


@pytest.mark.parametrize("body, example", [
    (lambda lib, x: x + 1 if x.shape[0] > 5 else x - 1, (7, 3)),
    (_drop_first, (4, 3)),
], ids=["branch", "minus_one"])
def test_dim_dynamic_ranges_narrow_like_auto_ones(body, example):
    """Dim.DYNAMIC takes what the program needs (a narrower range, an excluded size) as Dim.AUTO does."""
    t, m = _both(body, [example], _dynamic(0, 1))
    assert not isinstance(t, Exception), t
    assert not isinstance(m, Exception), m
    assert _ranges(t) == _ranges(m)
    for n in (2, 3, 5, 6, 9):
        shape = (n,) + example[1:]
        assert (_refusal(torch, t, [shape]) is None) == (_refusal(me, m, [shape]) is None), n


@pytest.mark.parametrize("body, example", [
    (lambda lib, x: x + 1 if x.shape[0] // 2 >= 3 else x - 1, (8, 2)),           # s77 >= 6
    (lambda lib, x: x + 1 if (x.shape[0] + 1) // 3 < 3 else x - 1, (5, 2)),      # s77 <= 7
    (lambda lib, x: x + 1 if 2 * (x.shape[0] // 4) > 3 else x - 1, (9, 2)),      # torch: no narrowing
    (lambda lib, x: x[: x.shape[0] // 2] * 3, (3, 6)),                          # (s77//2) == 1: no narrowing
], ids=["at_least", "at_most", "scaled", "equality"])
def test_ranges_narrow_from_inequalities_on_a_floor(body, example):
    t, m = _both(body, [example], _auto(0, 1))
    assert _ranges(t) == _ranges(m)
    for n in (2, 3, 5, 6, 7, 8, 9, 12):
        shape = (n,) + example[1:]
        assert (_refusal(torch, t, [shape]) is None) == (_refusal(me, m, [shape]) is None), n


def _cat(lib, x, y):
    return lib.cat([x, y]).sum(1)


@pytest.mark.parametrize("low", [0, 1, 3])
def test_a_root_seen_only_in_derived_sizes(low):
    """y.size()[0] = 2*d with no input dim d: the root ranges from 2, y is checked against its own entry."""
    def spec(lib):
        return (None, {0: 2 * lib.export.Dim("n_dim", min=low, max=64)})
    t, m = _both(_cat, [(2, 3), (8, 3)], spec)
    assert {str(k): str(v) for k, v in t.range_constraints.items()} == \
        {str(k): str(v) for k, v in m.range_constraints.items()}
    # sizes >= 2: below that, torch lets a [2, ...] range's lower bound pass (tests/test_dynamic_fuzz.py pins it)
    for n in (max(2 * low - 1, 2), 5, 6, 128, 129):
        shapes = [(2, 3), (n, 3)]
        want, got = _refusal(torch, t, shapes), _refusal(me, m, shapes)
        assert (want is None) == (got is None), (n, want, got)
        if want is not None:
            assert got.startswith(want), (got, want)


def test_a_derived_dim_whose_root_example_is_one_is_refused():
    t, m = _both(lambda lib, x: x[1:] * 2, [(2, 1)], lambda lib: ({0: lib.export.Dim("n_dim") + 1},))
    text = "You marked n_dim + 1 as dynamic but your code specialized it to be a constant (2)"
    assert text in str(t) and text in str(m)


def _square_of_table(lib, x):
    """x where a [1, 16, 16] mask's [n, n] corner is set: the corner is contiguous exactly when n == 16, which
    torch's tracer asks as it records the slice (its size-1 dim makes no other op ask it)."""
    n = x.shape[0]
    return lib.where(lib.ones(1, 16, 16, dtype=lib.bool)[:, :n, :n], x, 0.0)


def _rows_of_table(lib, x):
    """x's first n rows of a [16, 4] table: contiguous for every n, so no guard."""
    return lib.ones(16, 4)[: x.shape[0]] + x


def test_a_view_contiguous_for_one_size_only_guards_on_it():
    t, m = _both(_square_of_table, [(7, 7)], _auto(0, 1))
    assert _ranges(t) == _ranges(m)
    for n in (2, 7, 15, 16):
        want, got = _refusal(torch, t, [(n, n)]), _refusal(me, m, [(n, n)])
        assert (want is None) == (got is None), (n, want, got)
    assert _refusal(me, m, [(16, 16)]) is not None


def test_a_named_dim_over_such_a_view_is_violated_and_named_alone():
    def spec(lib):
        return ({0: lib.export.Dim("n_dim", max=16), 1: lib.export.Dim("n_dim", max=16)},
                {0: lib.export.Dim("other", max=9)})
    t, m = _both(lambda lib, x, y: _square_of_table(lib, x).sum() + y, [(7, 7), (3,)], spec)
    assert isinstance(t, Exception) and isinstance(m, Exception)
    for e in (t, m):
        assert "Constraints violated (n_dim)!" in str(e) and "Not all values of n_dim" in str(e), e


def test_a_view_contiguous_for_every_size_adds_no_guard():
    t, m = _both(_rows_of_table, [(7, 4)], lambda lib: {0: lib.export.Dim("n_dim", max=16)})
    assert not isinstance(t, Exception), t
    assert not isinstance(m, Exception), m
    assert _ranges(t) == _ranges(m)


def test_a_bound_found_before_two_sizes_are_equal_stays_with_the_size_kept():
    """ones(16)[:n] bounds n by 16; n then equals y's size, and the symbol kept for both carries the bound."""
    t, m = _both(lambda lib, x, y: lib.ones(16)[: x.shape[0]] + y, [(7,), (7,)], lambda lib: (
        {0: lib.export.Dim.AUTO}, {0: lib.export.Dim.AUTO}))
    assert _ranges(t) == _ranges(m) == [("2", "16")]
