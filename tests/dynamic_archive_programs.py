"""Shape programs whose archives hold every symbolic form torch 2.13 writes, written once for any library.

`programs(lib)` builds them against `lib` (torch or minexport): each is
(name, module, example args, dynamic_shapes, [other args to run at]).  The
comment on each says which form its model.json holds (in sizes, symbolic
values or range_constraints keys).  tests/test_dynamic_archives.py exports
them with both libraries and checks the archives both ways.
"""
import numpy as np

__all__ = ["programs", "ARRAYS"]

_RNG = np.random.default_rng(0)


def _a(*shape):
    return _RNG.standard_normal(shape).astype(np.float32)


# the example and new-size inputs as NumPy arrays, by program name (the same values for both libraries)
ARRAYS = {
    "cat_double": [(_a(4, 3), _a(8, 3)), (_a(2, 3), _a(4, 3)), (_a(7, 3), _a(14, 3))],
    "plus_one": [(_a(5, 3), _a(4, 3)), (_a(3, 3), _a(2, 3)), (_a(10, 3), _a(9, 3))],
    "affine": [(_a(3, 2), _a(7, 2)), (_a(5, 2), _a(11, 2)), (_a(40, 2), _a(81, 2))],
    "floordiv": [(_a(6, 3),), (_a(9, 3),), (_a(2, 3),)],
    "mod": [(_a(4),), (_a(5),), (_a(9),)],
    "python_mod": [(_a(9),), (_a(4),), (_a(22),)],
    "arange_step": [(_a(7),), (_a(8),), (_a(3),)],
    "int_true_div": [(_a(5),), (_a(2),), (_a(12),)],
    "pow": [(_a(5, 5),), (_a(3, 4),), (_a(4, 7),)],
    "avg_pool_ceil": [(_a(1, 2, 9),), (_a(1, 2, 4),), (_a(1, 2, 13),)],
    "item_slice": [(_a(6), np.array(3)), (_a(9), np.array(9)), (_a(4), np.array(0))],
    "nonzero": [(np.array([1.0, 0.0, 2.0], np.float32),), (np.array([0.0, 0.0, 0.0], np.float32),),
                (np.array([3.0, 1.0, 2.0], np.float32),)],
    "sym_max": [(_a(4), _a(5)), (_a(7), _a(2)), (_a(3), _a(3))],
    "sym_min_max": [(_a(4), _a(5)), (_a(9), _a(2)), (_a(3), _a(8))],
    "ceil_to_int": [(_a(7),), (_a(4),), (_a(11),)],
    "trunc_to_int": [(_a(5),), (_a(2),), (_a(9),)],
}


def programs(lib):
    """[(name, module, example args, dynamic_shapes, [other args])] built with lib (torch or minexport)."""
    Dim = lib.export.Dim
    D = Dim.AUTO
    nn = lib.nn

    class CatDouble(nn.Module):
        """range key `2*s77`"""

        def forward(self, x, y):
            return lib.cat([x, y]) * 2

    class PlusOne(nn.Module):
        """range key `s17 + 1`"""

        def forward(self, x, y):
            return x[1:] + y

    class FloorDivSlice(nn.Module):
        """FloorDiv(s77, 2)"""

        def forward(self, x):
            return x[: x.shape[0] // 2] * 2

    class ModSize(nn.Module):
        """Mod(s77, 3)"""

        def forward(self, x):
            return lib.zeros(x.shape[0] % 3 + 1) + 1

    class PythonModSlice(nn.Module):
        """PythonMod(s77 - 7, 4): a remainder of what may be negative"""

        def forward(self, x):
            return x[: (x.shape[0] - 7) % 4 + 1]

    class ArangeStep(nn.Module):
        """FloorDiv(s77 + 1, 2)"""

        def forward(self, x):
            return lib.arange(0, x.shape[0], 2) * 1.0

    class IntTrueDiv(nn.Module):
        """IntTrueDiv(s77, 2): a size divided into a float"""

        def forward(self, x):
            return x * (x.shape[0] / 2)

    class PowSlice(nn.Module):
        """Pow(s77, 2) and a product of two symbols"""

        def forward(self, x):
            return x.reshape(-1)[: x.shape[0] * x.shape[0]] + 1

    class AvgPoolCeil(nn.Module):
        """Max(1, FloorDiv(s53, 2))"""

        def forward(self, x):
            return nn.functional.avg_pool1d(x, 3, 2, ceil_mode=True)

    class ItemSlice(nn.Module):
        """an unbacked u0 with runtime asserts GreaterThan / LessThan"""

        def forward(self, x, n):
            k = n.item()
            lib._check_is_size(k)
            lib._check(k <= x.shape[0])
            return x[:k] * 2

    class Nonzero(nn.Module):
        """an unbacked u0 bounded [0, 3]"""

        def forward(self, x):
            return lib.nonzero(x)

    class SymMax(nn.Module):
        """Max(s17, s77) from a torch.sym_max node"""

        def forward(self, x, y):
            return lib.zeros(lib.sym_max(x.shape[0], y.shape[0])) + 1

    class SymMinMax(nn.Module):
        """Max and Min with a Mul inside"""

        def forward(self, x, y):
            n = lib.sym_max(x.shape[0], y.shape[0]) + lib.sym_min(x.shape[0], 2 * y.shape[0])
            return lib.zeros(n) + 1

    class CeilToInt(nn.Module):
        """CeilToInt(FloatTrueDiv(Mul(Float, ToFloat(s77)), Float))"""

        def forward(self, x):
            return lib.arange(0.0, x.shape[0] * 0.5, 1.0)

    class TruncToInt(nn.Module):
        """TruncToInt(Mul(Float('1.5'), ToFloat(s77))) from sym_int"""

        def forward(self, x):
            return lib.zeros(lib.sym_int(lib.sym_float(x.shape[0]) * 1.5)) + 1

    d, e = Dim("d"), Dim("e", min=2, max=50)
    specs = {
        "cat_double": (CatDouble, ({0: d}, {0: 2 * d})),
        "plus_one": (PlusOne, ({0: d + 1}, {0: d})),
        "affine": (CatDouble, ({0: e}, {0: 2 * e + 1})),
        "floordiv": (FloorDivSlice, ({0: D},)),
        "mod": (ModSize, ({0: D},)),
        "python_mod": (PythonModSlice, ({0: D},)),
        "arange_step": (ArangeStep, ({0: D},)),
        "int_true_div": (IntTrueDiv, ({0: D},)),
        "pow": (PowSlice, ({0: D, 1: D},)),
        "avg_pool_ceil": (AvgPoolCeil, ({2: D},)),
        "item_slice": (ItemSlice, ({0: D}, None)),
        "nonzero": (Nonzero, None),
        "sym_max": (SymMax, ({0: D}, {0: D})),
        "sym_min_max": (SymMinMax, ({0: D}, {0: D})),
        "ceil_to_int": (CeilToInt, ({0: D},)),
        "trunc_to_int": (TruncToInt, ({0: D},)),
    }

    def tensors(arrays):
        return tuple(lib.tensor(a) if a.ndim == 0 else lib.from_numpy(a.copy()) for a in arrays)

    return [(name, cls(), tensors(ARRAYS[name][0]), spec, [tensors(a) for a in ARRAYS[name][1:]])
            for name, (cls, spec) in specs.items()]
