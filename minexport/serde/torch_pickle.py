"""Write (never read) the small subset of torch.save's format that holds example inputs.

torch.export.load needs `data/sample_inputs/model.pt`: a torch.save zip whose
`data.pkl` pickles `(args, kwargs)` with each tensor as
`torch._utils._rebuild_tensor_v2(<storage>, 0, size, stride, False, OrderedDict())`
and each storage as a persistent id `('storage', torch.FloatStorage, key,
'cpu', numel)` whose bytes are in `data/<key>`.  This module emits those
pickle opcodes directly (protocol 2), for tuples, lists, dicts, tensors and
Python scalars; anything else makes `sample_inputs_zip` fall back to empty
inputs.  minexport never unpickles anything.
"""
import io
import secrets
import struct
import zipfile

import numpy as np

from .. import dtypes as dt
from .._tensor import Tensor

__all__ = ["sample_inputs_zip"]

_STORAGE = {dt.float32: "FloatStorage", dt.float64: "DoubleStorage", dt.float16: "HalfStorage",
            dt.bfloat16: "BFloat16Storage", dt.int64: "LongStorage", dt.int32: "IntStorage",
            dt.int16: "ShortStorage", dt.int8: "CharStorage", dt.uint8: "ByteStorage", dt.bool: "BoolStorage"}


class _Unsupported(Exception):
    pass


class _Writer:
    def __init__(self):
        self.out = io.BytesIO()
        self.storages = []

    def emit(self, b):
        self.out.write(b)

    def global_(self, module, name):
        self.emit(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def string(self, s):
        data = s.encode("utf-8")
        self.emit(b"X" + struct.pack("<I", len(data)) + data)

    def int_(self, v):
        if -(1 << 31) <= v < (1 << 31):
            self.emit(b"J" + struct.pack("<i", v))
        else:
            data = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
            self.emit(b"\x8a" + bytes([len(data)]) + data)

    def tuple_(self, items):
        self.emit(b"(")
        for x in items:
            self.value(x)
        self.emit(b"t")

    def value(self, v):
        if v is None:
            self.emit(b"N")
        elif v is True:
            self.emit(b"\x88")
        elif v is False:
            self.emit(b"\x89")
        elif isinstance(v, int):
            self.int_(v)
        elif isinstance(v, float):
            self.emit(b"G" + struct.pack(">d", v))
        elif isinstance(v, str):
            self.string(v)
        elif isinstance(v, Tensor):
            self.tensor(v)
        elif type(v) is tuple:
            self.tuple_(v)
        elif type(v) is list:
            self.emit(b"](")
            for x in v:
                self.value(x)
            self.emit(b"e")
        elif type(v) is dict:
            self.emit(b"}(")
            for k, x in v.items():
                self.value(k)
                self.value(x)
            self.emit(b"u")
        else:
            raise _Unsupported(type(v).__name__)

    def tensor(self, t):
        arr = np.ascontiguousarray(t.numpy(force=True))
        key = str(len(self.storages))
        self.storages.append((key, arr))
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.emit(b"(")                                   # args of _rebuild_tensor_v2
        self.emit(b"(")                                   # the persistent id tuple
        self.string("storage")
        self.global_("torch", _STORAGE[t.dtype])
        self.string(key)
        self.string("cpu")
        self.int_(int(arr.size))
        self.emit(b"t")
        self.emit(b"Q")                                   # BINPERSID
        self.int_(0)
        self.tuple_(tuple(int(s) for s in arr.shape))
        self.tuple_(tuple(s // arr.itemsize for s in arr.strides) if arr.size else (1,) * arr.ndim)
        self.emit(b"\x89")
        self.global_("collections", "OrderedDict")
        self.emit(b")R")
        self.emit(b"t")
        self.emit(b"R")


def sample_inputs_zip(example_inputs):
    """torch.save's bytes for `(args, kwargs)`; no bytes at all when there are none (a program loaded from an
    archive) or they hold unsupported objects, as torch writes a program without example inputs (its
    module() then binds no example inputs)."""
    if example_inputs is None:
        return b""
    w = _Writer()
    w.emit(b"\x80\x02")
    try:
        args, kwargs = example_inputs
        w.tuple_((tuple(args), dict(kwargs)))
    except (_Unsupported, TypeError, ValueError, KeyError):
        return b""
    w.emit(b".")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        def put(name, data):
            z.writestr(zipfile.ZipInfo(f"archive/{name}", date_time=(1980, 1, 1, 0, 0, 0)), data)
        put("data.pkl", w.out.getvalue())
        put(".format_version", b"1")
        put(".storage_alignment", b"64")
        put("byteorder", b"little")
        for key, arr in w.storages:
            put(f"data/{key}", arr.tobytes())
        put("version", b"3\n")
        put(".data/serialization_id", "".join(str(secrets.randbelow(10)) for _ in range(40)).encode())
    return buf.getvalue()
