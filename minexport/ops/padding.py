"""Reflection and replication padding ops (reflection_pad1d/2d/3d, replication_pad1d/2d/3d).

`padding` lists (left, right) pairs from the last dim backwards, as constant_pad_nd's
`pad` does; these ops pad the last 1, 2 or 3 dims of a batched or unbatched input.
"""
from ._common import check, dtype_of, fmt_shape, out_array
from .._tensor import CONTIGUOUS
from ._input_format import fake_like_input, in_input_format, input_format, pad_in_memory_order
from ._factory_kw import api_arange
from ._registry import aten, register

# mode -> NumPy's pad mode
_NUMPY_MODE = {"reflection": "reflect", "replication": "edge"}


def _pad_check(shape, padding, n, kind):
    """Output shape of `kind` padding of the last n dims; torch's checks and wording."""
    name = f"{kind}_pad{n}d"
    check(len(padding) == 2 * n, lambda: f"{name}: padding size is expected to be {2 * n}, but got: {len(padding)}")
    check(len(shape) in (n + 1, n + 2) and all(s > 0 for s in shape[1:]),
          lambda: f"{name}: Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other "
                  f"non-zero dimensions for input, but got: {fmt_shape(shape)}")
    out = list(shape)
    for i in range(n):
        d = len(shape) - 1 - i
        lo, hi = padding[2 * i], padding[2 * i + 1]
        if kind == "reflection":
            check(lo < shape[d] and hi < shape[d],
                  lambda: f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                          f"got: padding ({lo}, {hi}) at dimension {d} of input {fmt_shape(shape)}")
        out[d] = shape[d] + lo + hi
    # torch refuses a negative size, and (1-d, 2-d) an output empty in every padded dim
    check(all(o >= 0 for o in out[-n:]) and (n == 3 or any(o >= 1 for o in out[-n:])),
          lambda: f"input ({'x'.join(map(str, shape[-n:]))}) is too small. Calculated output "
                  f"{'x'.join(map(str, out[-n:]))}")
    return tuple(out)


def _pad_kernel(n, kind):
    def kernel(xp, self, padding):
        _pad_check(self.shape, padding, n, kind)
        widths = [(0, 0)] * self.ndim
        for i in range(n):
            widths[self.ndim - 1 - i] = (padding[2 * i], padding[2 * i + 1])
        # output i reads input i - lo mapped into range: pad the positive amounts, then crop the negative ones
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        crop = tuple(slice(max(-lo, 0), s + g_lo + g_hi - max(-hi, 0))
                     for (lo, hi), (g_lo, g_hi), s in zip(widths, grow, self.shape))
        # laid out in the input's suggested memory format, as torch's CPU kernels lay it out
        out = out_array(xp, pad_in_memory_order(xp, self, grow, crop, mode=_NUMPY_MODE[kind]), dtype_of(self))
        return out if min(padding) >= 0 else in_input_format(xp, out, self)     # (a crop: a non-dense view)
    return kernel


def _pad_index(kind, size, lo, hi, device):
    """The source position of each output position along one padded dim, as torch's decomposition builds it:
    positions -lo .. size+hi-1 folded back into the input (reflection) or clamped onto its edges (replication)."""
    at = api_arange(-lo, size + hi, device=device)
    if kind == "replication":
        return aten.clamp.default(at, 0, size - 1)
    last = size - 1
    return aten.sub.Tensor(last, aten.abs.default(aten.sub.Tensor(last, aten.abs.default(at))))


def _pad_decomp(n, kind):
    """One index.Tensor gather per padded dim, first padded dim first (torch's core graph)."""
    def decomp(self, padding):
        _pad_check(tuple(self.shape), padding, n, kind)
        out = self
        for d in range(self.ndim - n, self.ndim):
            i = self.ndim - 1 - d
            idx = _pad_index(kind, self.shape[d], padding[2 * i], padding[2 * i + 1], self.device)
            # (torch lists an index per dim, the dims after the padded one as None too)
            out = aten.index.Tensor(out, [None] * d + [idx] + [None] * (self.ndim - 1 - d))
        # as torch's: the gathers' result copied into the input's memory format where that is channels-last
        fmt = input_format(self)
        return out if fmt == CONTIGUOUS else aten.clone.default(out, memory_format=fmt)
    return decomp


# torch tags all but replication_pad1d core, and its default table decomposes all six
for _n, _kind, _tags in ((1, "reflection", ("core",)), (2, "reflection", ("core",)), (3, "reflection", ("core",)),
                         (1, "replication", ()), (2, "replication", ("core",)), (3, "replication", ("core",))):
    register(f"{_kind}_pad{_n}d(Tensor self, SymInt[{2 * _n}] padding) -> Tensor",
             meta=(lambda n, kind: lambda self, padding: fake_like_input(
                 _pad_check(tuple(self.shape), padding, n, kind), self.dtype, self))(_n, _kind),
             kernel=_pad_kernel(_n, _kind), tags=_tags, decomposition=_pad_decomp(_n, _kind))
