"""save()/load(): the PT2 archive torch.export.save writes (torch 2.13), read and written without torch.

Layout (<name> is the file's stem, or "archive" for a file object):

    <name>/archive_format                      "pt2"
    <name>/archive_version                     "0"
    <name>/byteorder                           "little"
    <name>/.data/version                       "6"
    <name>/.data/serialization_id              40 decimal digits
    <name>/models/model.json                   the program (torch's export schema, version 8.x)
    <name>/data/weights/model_weights_config.json      fqn -> {path_name, is_param, tensor_meta}
    <name>/data/weights/weight_<i>             raw little-endian bytes, C order
    <name>/data/constants/model_constants_config.json  target -> {path_name, tensor_meta}
    <name>/data/constants/tensor_<i>
    <name>/extra/<file>                        extra_files

Entries are stored uncompressed, each tensor's bytes aligned to 64, so
`load(..., mmap=True)` maps them.  torch's pickled sample inputs
(data/sample_inputs/model.pt) are never read (programs load with
example_inputs absent); minexport writes the example inputs there in
torch.save's format (torch_pickle.py, a writer only), so torch.export.load
and its module() accept the archive.
"""
import io
import json
import os
import secrets
import struct
import tempfile
import zipfile

import numpy as np

from .._tensor import make_tensor
from ..nn.parameter import Parameter
from . import schema as S
from .deserialize import deserialize_program, tensor_meta
from .errors import SerializationError
from .serialize import serialize_program
from .torch_pickle import sample_inputs_zip
from .validate import Where, read

__all__ = ["save", "load"]

_ALIGN = 64
_WEIGHTS = "data/weights/model_weights_config.json"
_CONSTANTS = "data/constants/model_constants_config.json"


# ------------------------------------------------------------------- writing --
class _Writer:
    def __init__(self, fileobj, name):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.name = name
        self.fileobj = fileobj

    def write(self, path, data):
        info = zipfile.ZipInfo(f"{self.name}/{path}", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        offset = self.fileobj.tell()
        header = 30 + len(info.filename.encode())
        pad = (-(offset + header + 4)) % _ALIGN
        # an extra field (id 0x5050, like torch's writer uses for padding) aligns the data
        info.extra = struct.pack("<HH", 0x5050, pad) + b"\0" * pad
        self.zip.writestr(info, data)

    def close(self):
        self.zip.close()


def _serialization_id():
    return "".join(str(secrets.randbelow(10)) for _ in range(40))


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return stem if stem.isidentifier() else "archive"
    return "archive"


def _write_archive(fileobj, ep, name, extra_files, opset_version):
    model, weights, constants = serialize_program(ep, opset_version)
    w = _Writer(fileobj, name)
    try:
        for (config, blobs), folder, config_path in ((weights, "data/weights", _WEIGHTS),
                                                      (constants, "data/constants", _CONSTANTS)):
            for path, arr in blobs:
                w.write(f"{folder}/{path}", memoryview(arr).cast("B") if arr.size else b"")
            w.write(config_path, json.dumps(config))
        w.write("models/model.json", json.dumps(model))
        w.write("data/sample_inputs/model.pt", sample_inputs_zip(ep.example_inputs))
        for key, value in (extra_files or {}).items():
            if not isinstance(key, str) or "/" in key or key in ("", ".", ".."):
                raise SerializationError(f"extra_files: {key!r} is not a plain file name")
            w.write(f"extra/{key}", value.encode() if isinstance(value, str) else bytes(value))
        w.write("archive_format", S.ARCHIVE_FORMAT)
        w.write("archive_version", S.ARCHIVE_VERSION)
        w.write(".data/version", S.DATA_VERSION)
        w.write("byteorder", "little")
        w.write(".data/serialization_id", _serialization_id())
    finally:
        w.close()


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2):
    """Write ep as a PT2 archive to a path (atomically, via a temporary file) or a binary file object."""
    from ..export.exported_program import ExportedProgram
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"save() expects an ExportedProgram, got {type(ep).__name__}")
    name = _archive_name(f)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".minexport-", suffix=".pt2.tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                _write_archive(out, ep, name, extra_files, opset_version)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return
    _write_archive(f, ep, name, extra_files, opset_version)


# ------------------------------------------------------------------- reading --
class _Reader:
    """A validated view of the zip: one top folder, safe member names, bounded sizes."""

    def __init__(self, source):
        # the zip parser is the standard library's: whatever it raises on a damaged file means "corrupt"
        self.zip = None
        try:
            self.zip = zipfile.ZipFile(source)
            infos = self.zip.infolist()
        except Exception as e:
            if self.zip is not None:
                self.zip.close()
            raise SerializationError(f"not a readable PT2 archive (zip): {type(e).__name__}: {e}") from None
        self.members = {}
        tops = set()
        for info in infos:
            name = info.filename
            parts = name.split("/")
            if name.startswith("/") or "\\" in name or any(p in ("..", "") for p in parts[:-1]) or ":" in parts[0]:
                self.zip.close()
                raise SerializationError(f"the archive holds an unsafe path {name!r}")
            tops.add(parts[0])
            self.members[name] = info
        if len(tops) != 1:
            self.zip.close()
            raise SerializationError(f"a PT2 archive has one top-level folder; this one has {sorted(tops)}")
        self.top = tops.pop()

    def has(self, path):
        return f"{self.top}/{path}" in self.members

    def info(self, path):
        info = self.members.get(f"{self.top}/{path}")
        if info is None:
            raise SerializationError(f"the archive has no '{self.top}/{path}'")
        return info

    def read(self, path, limit=S.MAX_JSON_BYTES):
        info = self.info(path)
        if info.file_size > limit:
            raise SerializationError(f"'{path}' declares {info.file_size} bytes, more than allowed")
        try:
            return self.zip.read(info)
        except Exception as e:      # zipfile's own errors on damaged data (see __init__)
            raise SerializationError(f"cannot read '{path}' from the archive: {type(e).__name__}: {e}") from None

    def json(self, path):
        try:
            return json.loads(self.read(path))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise SerializationError(f"'{path}' is not valid JSON: {e}") from None

    def tensor_bytes(self, path, nbytes, mmap_file):
        info = self.info(path)
        if info.file_size != nbytes:
            raise SerializationError(f"'{path}' holds {info.file_size} bytes but its config describes {nbytes}")
        if mmap_file is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
            return "mmap", self._data_offset(info, mmap_file)
        buf = bytearray(nbytes)
        try:
            with self.zip.open(info) as src:
                got = src.readinto(buf)
        except Exception as e:      # zipfile's own errors on damaged data (see __init__)
            raise SerializationError(f"cannot read '{path}' from the archive: {type(e).__name__}: {e}") from None
        if got != nbytes:
            raise SerializationError(f"'{path}' is truncated: {got} of {nbytes} bytes")
        return "bytes", buf

    def _data_offset(self, info, path):
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            header = f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise SerializationError(f"'{info.filename}': bad local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len


def _load_tensors(reader, config_path, folder, mmap_file, want_params):
    if not reader.has(config_path):
        return {}
    where = Where(config_path)
    out = {}
    for fqn, entry in read(reader.json(config_path), S.PAYLOAD_CONFIG, where)["config"].items():
        w = (where / "config")[fqn]
        if entry["use_pickle"]:
            raise w.error("the tensor is pickled; minexport never unpickles")
        path = entry["path_name"]
        if "/" in path or path in ("", ".", ".."):
            raise (w / "path_name").error(f"{path!r} is not a plain file name")
        meta = entry["tensor_meta"]
        if meta is None:
            raise (w / "tensor_meta").error("a payload without tensor metadata (a custom object) is not supported")
        shape, dtype, _ = tensor_meta(meta, w / "tensor_meta")
        numel = 1
        for s in shape:
            numel *= s
        npd = np.dtype(dtype.numpy_dtype).newbyteorder("<")
        kind, data = reader.tensor_bytes(f"{folder}/{path}", numel * dtype.itemsize, mmap_file)
        if kind == "mmap":
            arr = np.memmap(mmap_file, dtype=npd, mode="c", offset=data, shape=shape).view(np.ndarray)
        else:
            arr = np.frombuffer(data, dtype=npd, count=numel).reshape(shape)
        arr = arr.astype(dtype.numpy_dtype, copy=False)
        t = make_tensor(np.asarray(arr) if kind == "bytes" else arr)
        if want_params and entry["is_param"]:
            t = Parameter(t, requires_grad=meta["requires_grad"])
        out[fqn] = t
    return out


def load(f, *, extra_files=None, expected_opset_version=None, mmap=False):
    """Read a PT2 archive (path, PathLike or binary file object) into an ExportedProgram.

    With mmap=True (paths only), weights stored uncompressed are memory-mapped
    copy-on-write instead of read; otherwise each weight is copied once.
    """
    mmap_file = None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise SerializationError(f"no archive at {path!r}")
        mmap_file = path if mmap else None
        source = path
    else:
        source = f if hasattr(f, "seek") else io.BytesIO(f.read())
    reader = _Reader(source)
    try:
        return _load_from(reader, mmap_file, extra_files, expected_opset_version)
    finally:
        reader.zip.close()


def _load_from(reader, mmap_file, extra_files, expected_opset_version):
    fmt = reader.read("archive_format", 64) if reader.has("archive_format") else b"pt2"
    if fmt.strip() != b"pt2":
        raise SerializationError(f"archive_format is {fmt[:20]!r}, not 'pt2'")
    if reader.has("byteorder") and reader.read("byteorder", 64).strip() not in (b"little", b""):
        raise SerializationError("only little-endian archives are supported")
    model = reader.json("models/model.json")
    state_dict = _load_tensors(reader, _WEIGHTS, "data/weights", mmap_file, True)
    constants = _load_tensors(reader, _CONSTANTS, "data/constants", mmap_file, False)
    ep = deserialize_program(model, state_dict, constants, expected_opset_version)
    if extra_files is not None:
        for key in list(extra_files):
            extra_files[key] = reader.read(f"extra/{key}").decode("utf-8", errors="replace") \
                if reader.has(f"extra/{key}") else ""
    return ep
