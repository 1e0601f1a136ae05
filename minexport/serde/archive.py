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
import functools
import io
import json
import os
import secrets
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._tensor import make_tensor
from ..nn.parameter import Parameter
from . import schema as S
from .deserialize import deserialize_program, tensor_meta
from .atomic_file import atomic_write, remove_stale_temps
from .errors import SerializationError
from .extra_files import check_extra_name, extra_bytes
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
    # everything the caller gave is checked before the first byte is written
    if extra_files is not None and not isinstance(extra_files, dict):
        raise SerializationError(f"extra_files must be a dict, got {type(extra_files).__name__}")
    extras = [(key, extra_bytes(key, value)) for key, value in (extra_files or {}).items()]
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
        for key, data in extras:
            w.write(f"extra/{key}", data)
        w.write("archive_format", S.ARCHIVE_FORMAT)
        w.write("archive_version", S.ARCHIVE_VERSION)
        w.write(".data/version", S.DATA_VERSION)
        w.write("byteorder", "little")
        w.write(".data/serialization_id", _serialization_id())
    finally:
        w.close()


def save(ep, f, *, extra_files=None, opset_version=None, pickle_protocol=2):
    """Write ep as a PT2 archive to a path (atomically, see atomic_file.py) or a binary file object.

    Failures to write, and extra_files that load would not give back, raise SerializationError.
    """
    from ..export.exported_program import ExportedProgram
    if not isinstance(ep, ExportedProgram):
        raise TypeError(f"save() expects an ExportedProgram, got {type(ep).__name__}")
    name = _archive_name(f)
    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, lambda out: _write_archive(out, ep, name, extra_files, opset_version))
        return
    try:
        _write_archive(f, ep, name, extra_files, opset_version)
    except OSError as e:
        raise SerializationError(f"cannot save to the file object: {e}") from e


# ------------------------------------------------------------ CRC-32 joins --
# A member read in pieces is checksummed piece by piece (the pieces may be read
# by different threads) and the pieces' CRC-32s are joined afterwards.  zlib's
# crc32(data, start) is affine in `start`: crc32(data, s) == A_n(s) ^ crc32(data)
# with A_n a 32x32 matrix over GF(2) that depends only on n = len(data) (it is
# the register's transition over n zero bytes).  So crc32(a + b) ==
# A_len(b)(crc32(a)) ^ crc32(b).  A_1 is read off zlib itself; A_(2^k) come from
# squaring, each built once; A_n applies the powers for the set bits of n.  A matrix
# is a tuple of 32 ints: the images of the 32 unit vectors.
def _gf2_times(matrix, vector):
    """matrix · vector over GF(2)."""
    out, bit = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[bit]
        vector >>= 1
        bit += 1
    return out


@functools.lru_cache(maxsize=None)
def _zero_bytes_shift(k):
    """A_(2^k): the CRC register's transition over 2^k zero bytes."""
    if k == 0:
        return tuple(zlib.crc32(b"\0", 1 << i) ^ zlib.crc32(b"\0") for i in range(32))
    m = _zero_bytes_shift(k - 1)
    return tuple(_gf2_times(m, column) for column in m)


def crc32_join(crc_a, crc_b, len_b):
    """CRC-32 of a + b from crc32(a), crc32(b) and len(b)."""
    k = 0
    while len_b:
        if len_b & 1:
            crc_a = _gf2_times(_zero_bytes_shift(k), crc_a)
        len_b >>= 1
        k += 1
    return crc_a ^ crc_b


# ------------------------------------------------------------------- reading --
_CHUNK = 4 << 20                            # bytes read, checksummed or inflated per step
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature, versions/flags/method/time/date, crc, sizes, name/extra len
_OWN_READ_FLAGS = 0x1 | 0x20 | 0x40         # encrypted, patched, strongly encrypted: left to zipfile (it refuses)
_INFLATE = {zipfile.ZIP_STORED: "_read_stored", zipfile.ZIP_DEFLATED: "_read_deflated"}


def _read_threads():
    """Threads for reading one large member: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


def _stream_size(fp):
    """Length of a seekable file object."""
    fp.seek(0, 2)
    return fp.tell()


def _copy_into(view, data):
    """readinto() for file objects that only have read()."""
    view[:len(data)] = data
    return len(data)


class _Reader:
    """A validated view of the zip: one top folder, safe member names, bounded sizes."""

    def __init__(self, source):
        # the zip parser is the standard library's: whatever it raises on a damaged file means "corrupt"
        self.zip = None
        self._pool = None
        try:
            self.zip = zipfile.ZipFile(source)
            infos = self.zip.infolist()
            self._fd = self.zip.fp.fileno() if isinstance(source, str) else None
            self.size = os.fstat(self._fd).st_size if self._fd is not None else _stream_size(self.zip.fp)
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

    def close(self):
        """Close the zip (after any reading threads finish)."""
        if self._pool is not None:
            self._pool.shutdown()
        self.zip.close()

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
        """("mmap", data offset) or ("bytes", a new uint8 array of nbytes holding the member, CRC checked).

        The size is checked against the member's before anything is allocated.
        Stored and deflated members are read here, each byte once, straight
        into the array; other methods (and encrypted members, which fail) go
        through zipfile.
        """
        info = self.info(path)
        if info.file_size != nbytes:
            raise SerializationError(f"'{path}' holds {info.file_size} bytes but its config describes {nbytes}")
        method = _INFLATE.get(info.compress_type) if not info.flag_bits & _OWN_READ_FLAGS else None
        if method is None:
            buf = np.empty(nbytes, np.uint8)
            self._read_with_zipfile(info, memoryview(buf), path)
            return "bytes", buf
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != nbytes:
            raise SerializationError(f"'{path}' is stored uncompressed, yet its data is {info.compress_size} bytes, "
                                     f"not {nbytes}")
        offset = self._data_offset(info, path)
        if mmap_file is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
            return "mmap", offset
        buf = np.empty(nbytes, np.uint8)
        crc = getattr(self, method)(info, offset, memoryview(buf), path)
        if crc != info.CRC:
            raise SerializationError(f"'{path}' is damaged: its CRC-32 is {crc:08x}, the archive says "
                                     f"{info.CRC:08x}")
        return "bytes", buf

    def _data_offset(self, info, path):
        """Where the member's data starts, after checking its local header and that the data lies in the file."""
        header = bytearray(_LOCAL_HEADER.size)
        self._read_at(memoryview(header), info.header_offset, path)
        magic, _, flags, _, _, _, _, _, _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if magic != b"PK\x03\x04":
            raise SerializationError(f"'{path}': bad local header")
        name = bytearray(name_len)
        self._read_at(memoryview(name), info.header_offset + _LOCAL_HEADER.size, path)
        try:
            name = name.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError:
            name = None
        if name != info.orig_filename:
            raise SerializationError(f"'{path}': the local header names another file")
        offset = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if offset + info.compress_size > self.size:
            raise SerializationError(f"'{path}' is truncated: its data ends past the end of the archive")
        return offset

    def _read_at(self, view, offset, path):
        """Fill view with the archive's bytes at offset (positional reads on a path; seek+readinto otherwise)."""
        got = 0
        try:
            if self._fd is not None and hasattr(os, "preadv"):
                while got < len(view):
                    n = os.preadv(self._fd, [view[got:]], offset + got)
                    if n <= 0:
                        break
                    got += n
            else:
                fp = self.zip.fp
                fp.seek(offset)
                readinto = getattr(fp, "readinto", None) or (lambda v: _copy_into(v, fp.read(len(v))))
                while got < len(view):
                    n = readinto(view[got:])
                    if not n:
                        break
                    got += n
        except (OSError, ValueError) as e:
            raise SerializationError(f"cannot read '{path}' from the archive: {type(e).__name__}: {e}") from None
        if got != len(view):
            raise SerializationError(f"'{path}' is truncated: {got} of {len(view)} bytes")

    def _read_stored(self, info, offset, view, path):
        """Read a stored member into view in _CHUNK pieces, each checksummed while still in cache; its CRC-32.

        With positional reads on a file, the pieces are spread over a few
        threads: both the read and zlib.crc32 release the GIL, so checksumming
        (the slower half) runs on all the process's CPUs.
        """
        pieces = [(a, min(a + _CHUNK, len(view))) for a in range(0, len(view), _CHUNK)]

        def piece(bounds):
            a, b = bounds
            self._read_at(view[a:b], offset + a, path)
            return zlib.crc32(view[a:b])

        crcs = map(piece, pieces)
        if len(pieces) > 1 and self._fd is not None and hasattr(os, "preadv") and _read_threads() > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(_read_threads(), thread_name_prefix="minexport-load")
            crcs = self._pool.map(piece, pieces)
        crc = 0
        for (a, b), piece_crc in zip(pieces, crcs):
            crc = crc32_join(crc, piece_crc, b - a)
        return crc

    def _read_deflated(self, info, offset, view, path):
        """Inflate a deflated member into view, _CHUNK of input at a time, checksumming the output; its CRC-32.

        The stream must end exactly at the declared size: more output, or a
        stream that does not finish within the member's data, is an error.
        """
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        data = bytearray(min(_CHUNK, info.compress_size))
        pos, end, got, crc = offset, offset + info.compress_size, 0, 0
        pending = b""
        try:
            while not inflate.eof:
                if not pending and pos < end:
                    n = min(len(data), end - pos)
                    self._read_at(memoryview(data)[:n], pos, path)
                    pending, pos = memoryview(data)[:n], pos + n
                before = len(pending)
                # at most what is still missing (1 byte once full, to catch a longer stream)
                out = inflate.decompress(pending, min(_CHUNK, len(view) - got) or 1)
                pending = inflate.unconsumed_tail
                if got + len(out) > len(view):
                    raise SerializationError(f"'{path}' inflates to more than its declared {len(view)} bytes")
                view[got:got + len(out)] = out
                crc = zlib.crc32(out, crc)
                got += len(out)
                if not out and len(pending) == before and (pending or pos == end):
                    break       # no progress: the stream needs input the member does not have
        except zlib.error as e:
            raise SerializationError(f"cannot read '{path}' from the archive: zlib: {e}") from None
        if got != len(view):
            raise SerializationError(f"'{path}' is truncated: {got} of {len(view)} bytes")
        if not inflate.eof:
            raise SerializationError(f"'{path}' is damaged: its deflate stream does not end with its data")
        return crc

    def _read_with_zipfile(self, info, view, path):
        """Read a member through zipfile's stream (other compressions, encryption), _CHUNK at a time."""
        got = 0
        try:
            with self.zip.open(info) as src:
                while got < len(view):
                    chunk = src.read(min(_CHUNK, len(view) - got))
                    if not chunk:
                        break
                    view[got:got + len(chunk)] = chunk
                    got += len(chunk)
                src.read(1)     # reaching the end makes zipfile check the CRC-32
        except Exception as e:      # zipfile's own errors on damaged data (see __init__)
            raise SerializationError(f"cannot read '{path}' from the archive: {type(e).__name__}: {e}") from None
        if got != len(view):
            raise SerializationError(f"'{path}' is truncated: {got} of {len(view)} bytes")


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
        strides, offset, plain = _storage_layout(meta, shape, w / "tensor_meta")
        if not plain or reader.info(f"{folder}/{path}").file_size != numel * dtype.itemsize:
            arr = _read_strided(reader, f"{folder}/{path}", npd, shape, strides, offset, mmap_file, w)
        else:
            kind, data = reader.tensor_bytes(f"{folder}/{path}", numel * dtype.itemsize, mmap_file)
            if kind == "mmap":
                arr = np.memmap(mmap_file, dtype=npd, mode="c", offset=data, shape=shape).view(np.ndarray)
            else:
                arr = data.view(npd).reshape(shape)
        t = make_tensor(arr.astype(dtype.numpy_dtype, copy=False))
        if want_params and entry["is_param"]:
            t = Parameter(t, requires_grad=meta["requires_grad"])
        out[fqn] = t
    return out


def _storage_layout(meta, shape, where):
    """(strides, storage_offset, plain) of a stored tensor, in elements; plain: C order from offset 0.

    torch writes a tensor's whole storage with the tensor's layout in it, so
    the bytes may hold more than the tensor (a view into a bigger buffer) or
    hold it in another order (a channels-last or transposed weight).
    """
    def ints(values, field):
        out = []
        for i, (tag, value) in enumerate(values):
            if tag != "as_int":
                raise (where / field / i).error("a stored tensor's layout must be plain integers")
            out.append(value)
        return out
    strides = ints(meta["strides"], "strides")
    offset = ints([meta["storage_offset"]], "storage_offset")[0]
    if len(strides) != len(shape):
        raise (where / "strides").error(f"{len(strides)} strides for {len(shape)} dimensions")
    if offset < 0 or any(st < 0 for st in strides):
        raise where.error(f"negative strides {strides} or storage offset {offset}")
    contiguous, step = [], 1
    for size in reversed(shape):
        contiguous.append(step)
        step *= max(size, 1)
    # a dimension of size 1 may have any stride: it never moves
    plain = offset == 0 and all(st == c or size == 1 for st, c, size in zip(strides, reversed(contiguous), shape))
    return strides, offset, plain


def _read_strided(reader, path, npd, shape, strides, offset, mmap_file, where):
    """A tensor viewed out of its whole stored storage by strides and offset: a C-order copy."""
    nbytes = reader.info(path).file_size
    if nbytes % npd.itemsize or nbytes > S.MAX_TENSOR_BYTES:
        raise where.error(f"'{path}' holds {nbytes} bytes, not a whole storage of {npd.itemsize}-byte elements")
    n_stored = nbytes // npd.itemsize
    if all(shape):
        last = offset + sum((size - 1) * st for size, st in zip(shape, strides))
        if last >= n_stored:
            raise where.error(f"sizes {list(shape)}, strides {strides} and storage offset {offset} reach element "
                              f"{last}, but '{path}' stores {n_stored}")
    kind, data = reader.tensor_bytes(path, nbytes, mmap_file)
    if kind == "mmap":
        storage = np.memmap(mmap_file, dtype=npd, mode="r", offset=data, shape=(n_stored,)).view(np.ndarray)
    else:
        storage = data.view(npd)
    if not all(shape):
        return np.empty(shape, npd)
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape, [st * npd.itemsize for st in strides],
                                           writeable=False)
    return np.array(view, order="C")      # the tensor's own writable copy, not a view of the storage


def load(f, *, extra_files=None, expected_opset_version=None, mmap=False):
    """Read a PT2 archive (path, PathLike or binary file object) into an ExportedProgram.

    With mmap=True (paths only), weights stored uncompressed are memory-mapped
    copy-on-write instead of read; otherwise each weight is read once, straight
    into its array, its CRC-32 checked on the way (see _Reader.tensor_bytes).
    """
    mmap_file = None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise SerializationError(f"no archive at {path!r}")
        mmap_file = path if mmap else None
        source = path
        remove_stale_temps(path)
    else:
        source = f if hasattr(f, "seek") else io.BytesIO(f.read())
    reader = _Reader(source)
    try:
        return _load_from(reader, mmap_file, extra_files, expected_opset_version)
    finally:
        reader.close()


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
            check_extra_name(key)
            extra_files[key] = reader.read(f"extra/{key}").decode("utf-8", errors="replace") \
                if reader.has(f"extra/{key}") else ""
    return ep
