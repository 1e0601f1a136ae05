"""Padding layers: reflection, replication, zero, constant and circular padding in 1-D, 2-D and 3-D.

Each stores `padding` as torch does, a (left, right[, top, bottom[, front, back]]) tuple,
and calls F.pad with its mode.
"""
from .. import functional as F
from ..module import Module


def _padding(padding, n):
    """An int pads every side; a sequence must give both sides of each of the n dims."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 2 * n:
            raise ValueError(f"Padding length must be {2 * n}, got {len(padding)}")
        return tuple(padding)
    return (padding,) * (2 * n)


class _PadNd(Module):
    _n = 0
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(padding, self._n)

    def forward(self, input):
        """F.pad with this layer's mode."""
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        """F.pad(mode='constant') with this layer's value."""
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _layer(name, base, n, mode, doc):
    return type(name, (base,), {"_n": n, "_mode": mode, "__doc__": doc, "__module__": __name__})


ReflectionPad1d = _layer("ReflectionPad1d", _PadNd, 1, "reflect", "Pad the last dim by reflecting at the edges.")
ReflectionPad2d = _layer("ReflectionPad2d", _PadNd, 2, "reflect", "Pad the last 2 dims by reflecting at the edges.")
ReflectionPad3d = _layer("ReflectionPad3d", _PadNd, 3, "reflect", "Pad the last 3 dims by reflecting at the edges.")
ReplicationPad1d = _layer("ReplicationPad1d", _PadNd, 1, "replicate", "Pad the last dim by repeating its edges.")
ReplicationPad2d = _layer("ReplicationPad2d", _PadNd, 2, "replicate", "Pad the last 2 dims by repeating edges.")
ReplicationPad3d = _layer("ReplicationPad3d", _PadNd, 3, "replicate", "Pad the last 3 dims by repeating edges.")
CircularPad1d = _layer("CircularPad1d", _PadNd, 1, "circular", "Pad the last dim by wrapping around.")
CircularPad2d = _layer("CircularPad2d", _PadNd, 2, "circular", "Pad the last 2 dims by wrapping around.")
CircularPad3d = _layer("CircularPad3d", _PadNd, 3, "circular", "Pad the last 3 dims by wrapping around.")
ConstantPad1d = _layer("ConstantPad1d", _ConstantPadNd, 1, "constant", "Pad the last dim with a constant.")
ConstantPad2d = _layer("ConstantPad2d", _ConstantPadNd, 2, "constant", "Pad the last 2 dims with a constant.")
ConstantPad3d = _layer("ConstantPad3d", _ConstantPadNd, 3, "constant", "Pad the last 3 dims with a constant.")


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


ZeroPad1d = _layer("ZeroPad1d", _ZeroPadNd, 1, "constant", "Pad the last dim with zeros.")
ZeroPad2d = _layer("ZeroPad2d", _ZeroPadNd, 2, "constant", "Pad the last 2 dims with zeros.")
ZeroPad3d = _layer("ZeroPad3d", _ZeroPadNd, 3, "constant", "Pad the last 3 dims with zeros.")
