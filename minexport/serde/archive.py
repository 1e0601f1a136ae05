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
from .limits import DEFAULT_LIMITS, LoadLimits
from .serialize import serialize_program
from .torch_pickle import sample_inputs_zip
from .validate import Where, read

__all__ = ["save", "load", "LoadLimits"]

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
    """A validated view of the zip: one top folder, safe member names, bounded sizes, a memory budget."""

    def __init__(self, source, limits=DEFAULT_LIMITS, mmap_path=None):
        # the zip parser is the standard library's: whatever it raises on a damaged file means "corrupt"
        self.zip = None
        self._pool = None
        self.limits = limits
        self.spent = 0              # bytes of weight memory allocated so far (see charge)
        self.storages = {}          # member path -> its bytes (aliased members are read once)
        self._mmap_path, self._map = mmap_path, None
        try:
            _check_entry_count(source, limits.max_entries)
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
        if len(infos) > limits.max_entries:
            self.zip.close()
            raise SerializationError(f"the archive holds {len(infos)} entries, more than max_entries="
                                     f"{limits.max_entries}")
        for info in infos:
            name = info.filename
            parts = name.split("/")
            if name.startswith("/") or "\\" in name or any(p in ("..", "") for p in parts[:-1]) or ":" in parts[0]:
                self.zip.close()
                raise SerializationError(f"the archive holds an unsafe path {name!r}")
            if name in self.members:
                self.zip.close()
                raise SerializationError(f"the archive holds {name!r} twice")
            tops.add(parts[0])
            self.members[name] = info
        if "serialized_exported_program.json" in self.members:
            # the flat layout torch.export.save wrote up to torch 2.7 (schema 8.7 and older, state as pickles)
            self.zip.close()
            raise SerializationError("the file has the layout torch 2.7 and older wrote (serialized_exported_program"
                                     ".json, pickled state), not the PT2 archive of torch 2.8 and newer; minexport "
                                     "reads only the latter: save the program again with a newer torch")
        if len(tops) != 1:
            self.zip.close()
            raise SerializationError(f"a PT2 archive has one top-level folder; this one has {sorted(tops)}")
        self.top = tops.pop()

    def close(self):
        """Close the zip (after any reading threads finish); arrays viewing the one mapping keep it alive."""
        if self._pool is not None:
            self._pool.shutdown()
        self.zip.close()

    def charge(self, nbytes, what):
        """Account for nbytes of weight memory about to be allocated for `what`; refuse past the budget."""
        if self.spent + nbytes > self.limits.max_weight_bytes:
            raise SerializationError(f"'{what}' needs {nbytes} bytes, which brings the weights to "
                                     f"{self.spent + nbytes} bytes, more than max_weight_bytes="
                                     f"{self.limits.max_weight_bytes}")
        self.spent += nbytes

    def mapping(self):
        """The whole archive mapped once, copy-on-write (np.memmap); members are views into it."""
        if self._map is None:
            self._map = np.memmap(self._mmap_path, dtype=np.uint8, mode="c")
        return self._map

    def has(self, path):
        return f"{self.top}/{path}" in self.members

    def info(self, path):
        info = self.members.get(f"{self.top}/{path}")
        if info is None:
            raise SerializationError(f"the archive has no '{self.top}/{path}'")
        return info

    def read(self, path, limit=None):
        """A small member's bytes, read in bounded pieces and measured as they inflate (at most `limit`)."""
        limit = self.limits.max_json_bytes if limit is None else limit
        info = self.info(path)
        if info.file_size > limit:
            raise SerializationError(f"'{path}' declares {info.file_size} bytes, more than the limit of {limit}")
        self._check_ratio(info, path)
        out = bytearray()
        try:
            with self.zip.open(info) as src:
                while True:
                    chunk = src.read(min(_CHUNK, limit + 1 - len(out)))
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > limit:
                        raise SerializationError(f"'{path}' inflates to more than the limit of {limit} bytes")
        except SerializationError:
            raise
        except Exception as e:      # zipfile's own errors on damaged data (see __init__)
            raise SerializationError(f"cannot read '{path}' from the archive: {type(e).__name__}: {e}") from None
        return bytes(out)

    def json(self, path):
        """A JSON member parsed, after its size (max_json_bytes) and nesting (max_json_depth) are checked."""
        data = self.read(path)
        depth = json_depth(data)
        if depth > self.limits.max_json_depth:
            raise SerializationError(f"'{path}' nests {depth} levels deep, more than max_json_depth="
                                     f"{self.limits.max_json_depth}")
        try:
            return json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:   # ValueError: also 4,300+ digit numbers
            raise SerializationError(f"'{path}' is not valid JSON: {e}") from None

    def _check_ratio(self, info, path):
        """A compressed member may not declare more bytes than its compressed data could inflate to."""
        if info.compress_type != zipfile.ZIP_STORED and \
                info.file_size > info.compress_size * self.limits.max_deflate_ratio + 1024:
            raise SerializationError(f"'{path}' declares {info.file_size} bytes from {info.compress_size} "
                                     f"compressed, more than max_deflate_ratio={self.limits.max_deflate_ratio}")

    def tensor_bytes(self, path, nbytes):
        """A uint8 array of the member's nbytes, CRC checked: read once per member (aliases share it).

        The size is checked against the member's real length (its data inside
        the file, its compression ratio) and against the weight budget before
        anything is allocated.  With a mapping (load(mmap=True)), a stored
        member is a view into the one mapping of the file; otherwise stored and
        deflated members are read here, each byte once, straight into the
        array; other methods (and encrypted members, which fail) go through
        zipfile.
        """
        info = self.info(path)
        if info.file_size != nbytes:
            raise SerializationError(f"'{path}' holds {info.file_size} bytes but its config describes {nbytes}")
        cached = self.storages.get(path)
        if cached is not None:
            return cached
        self._check_ratio(info, path)
        method = _INFLATE.get(info.compress_type) if not info.flag_bits & _OWN_READ_FLAGS else None
        if method is None:
            self.charge(nbytes, path)
            buf = np.empty(nbytes, np.uint8)
            self._read_with_zipfile(info, memoryview(buf), path)
            self.storages[path] = buf
            return buf
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != nbytes:
            raise SerializationError(f"'{path}' is stored uncompressed, yet its data is {info.compress_size} bytes, "
                                     f"not {nbytes}")
        offset = self._data_offset(info, path)
        if self._mmap_path is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
            buf = self.mapping()[offset:offset + nbytes]
            crc = self._crc_of(buf)
        else:
            self.charge(nbytes, path)
            buf = np.empty(nbytes, np.uint8)
            crc = getattr(self, method)(info, offset, memoryview(buf), path)
        if crc != info.CRC:
            raise SerializationError(f"'{path}' is damaged: its CRC-32 is {crc:08x}, the archive says "
                                     f"{info.CRC:08x}")
        self.storages[path] = buf
        return buf

    def _crc_of(self, array):
        """CRC-32 of a uint8 array (a view into the mapping), in _CHUNK pieces spread over a few threads."""
        pieces = [(a, min(a + _CHUNK, len(array))) for a in range(0, len(array), _CHUNK)]
        view = memoryview(array)
        crcs = map(lambda bounds: zlib.crc32(view[bounds[0]:bounds[1]]), pieces)
        if len(pieces) > 1 and _read_threads() > 1:
            crcs = self._threads().map(lambda bounds: zlib.crc32(view[bounds[0]:bounds[1]]), pieces)
        crc = 0
        for (a, b), piece_crc in zip(pieces, crcs):
            crc = crc32_join(crc, piece_crc, b - a)
        return crc

    def _threads(self):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_read_threads(), thread_name_prefix="minexport-load")
        return self._pool

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
            crcs = self._threads().map(piece, pieces)
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


_LIFTED_STATE_KINDS = ("parameter", "buffer", "tensor_constant", "custom_obj")


def _refuse_pickled_state(reader, model):
    """torch 2.8 and older store the state dict and constants as torch.save pickles (data/weights/model.pt,
    data/constants/model.pt) instead of one member per tensor; minexport never unpickles, so a program that
    lifts any state from such an archive is refused by name (one without state loads)."""
    pickled = [f"data/{kind}/model.pt" for kind, config in (("weights", _WEIGHTS), ("constants", _CONSTANTS))
               if not reader.has(config) and reader.has(f"data/{kind}/model.pt")]
    if not pickled:
        return
    # model.json is not validated yet: look for lifted-state input specs without trusting its shape
    gm = model.get("graph_module") if isinstance(model, dict) else None
    sig = gm.get("signature") if isinstance(gm, dict) else None
    specs = sig.get("input_specs") if isinstance(sig, dict) else None
    if any(isinstance(spec, dict) and set(spec) & set(_LIFTED_STATE_KINDS) for spec in specs or ()):
        raise SerializationError(f"the program's weights and constants are stored as pickles "
                                 f"({', '.join(pickled)}), as torch 2.8 and older write them; minexport never "
                                 "unpickles: save the program again with torch 2.9 or newer, or with minexport")


def _load_tensors(reader, config_path, folder, want_params):
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
            arr = _read_strided(reader, f"{folder}/{path}", npd, shape, strides, offset, w)
        else:
            arr = reader.tensor_bytes(f"{folder}/{path}", numel * dtype.itemsize).view(npd).reshape(shape)
            if isinstance(arr, np.memmap):
                arr = arr.view(np.ndarray)
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


def _read_strided(reader, path, npd, shape, strides, offset, where):
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
    storage = reader.tensor_bytes(path, nbytes).view(np.ndarray).view(npd)
    if not all(shape):
        return np.empty(shape, npd)
    copy_bytes = npd.itemsize
    for size in shape:
        copy_bytes *= size
    reader.charge(copy_bytes, f"{path} (viewed by strides {strides})")     # stride 0 can amplify a storage
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape, [st * npd.itemsize for st in strides],
                                           writeable=False)
    return np.array(view, order="C")      # the tensor's own writable copy, not a view of the storage


def load(f, *, extra_files=None, expected_opset_version=None, mmap=False, limits=None):
    """Read a PT2 archive (path, PathLike or binary file object) into an ExportedProgram.

    Nothing in the file is trusted: `limits` (a LoadLimits; default
    DEFAULT_LIMITS, see spec/archive.md) bounds what reading may spend, and
    any problem with the file raises one SerializationError naming the file,
    the JSON path where there is one, and the rule.  With mmap=True (paths
    only), the file is mapped once, copy-on-write, and weights stored
    uncompressed are views into that mapping, checked as plain load checks
    them (member bounds, CRC-32); otherwise each weight is read once,
    straight into its array (see _Reader.tensor_bytes).
    """
    limits = DEFAULT_LIMITS if limits is None else limits
    if not isinstance(limits, LoadLimits):
        raise TypeError(f"load(limits=...) expects a LoadLimits, got {type(limits).__name__}")
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else "<file object>"
    try:
        return _load(f, extra_files, expected_opset_version, mmap, limits)
    except SerializationError as e:
        raise SerializationError(f"{name}: {e}") from None
    # everything else a malformed file can make Python raise is the same error, naming its kind
    except (ValueError, OverflowError, ZeroDivisionError, ArithmeticError, AttributeError, TypeError, KeyError,
            IndexError, RecursionError, MemoryError, OSError, UnicodeError) as e:
        raise SerializationError(f"{name}: malformed archive ({type(e).__name__}: {e})") from None


def _load(f, extra_files, expected_opset_version, mmap, limits):
    mmap_path = None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise SerializationError(f"no archive at {path!r}")
        mmap_path = path if mmap else None
        source = path
        remove_stale_temps(path)
    else:
        source = f if hasattr(f, "seek") else io.BytesIO(f.read())
    reader = _Reader(source, limits, mmap_path)
    try:
        return _load_from(reader, extra_files, expected_opset_version)
    finally:
        reader.close()


def _load_from(reader, extra_files, expected_opset_version):
    fmt = reader.read("archive_format", 64) if reader.has("archive_format") else b"pt2"
    if fmt.strip() != b"pt2":
        raise SerializationError(f"archive_format is {fmt[:20]!r}, not 'pt2'")
    # archive_version is the zip layout's own version, apart from model.json's schema version; torch
    # refuses any other value than its own, and so does minexport (absent: an older writer, read as "0")
    ours = S.ARCHIVE_VERSION.encode()
    version = reader.read("archive_version", 64).strip() if reader.has("archive_version") else ours
    if version != ours:
        raise SerializationError(f"the archive's archive_version is {version[:20].decode(errors='replace')!r}; "
                                 f"minexport reads archive version {S.ARCHIVE_VERSION} only")
    if reader.has("byteorder") and reader.read("byteorder", 64).strip() not in (b"little", b""):
        raise SerializationError("only little-endian archives are supported")
    model = reader.json("models/model.json")
    _refuse_pickled_state(reader, model)
    state_dict = _load_tensors(reader, _WEIGHTS, "data/weights", True)
    constants = _load_tensors(reader, _CONSTANTS, "data/constants", False)
    ep = deserialize_program(model, state_dict, constants, expected_opset_version, reader.limits)
    if extra_files is not None:
        for key in list(extra_files):
            check_extra_name(key)
            extra_files[key] = reader.read(f"extra/{key}").decode("utf-8", errors="replace") \
                if reader.has(f"extra/{key}") else ""
    return ep


# ---------------------------------------------------------- cheap pre-checks --
_EOCD = struct.Struct("<4s4H2LH")          # signature, disk numbers, entries here/total, cd size/offset, comment
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CD_HEADER = struct.Struct("<4s6H3L5H2L")


def _check_entry_count(source, max_entries):
    """Count the central directory's entries from its raw bytes, before zipfile builds an object per entry.

    Both the count the end record declares and the headers actually present
    are bounded (a lying count must not let a million headers through).  A
    file this cannot make sense of is left to zipfile, which refuses it.
    """
    fp = open(source, "rb") if isinstance(source, str) else source
    try:
        size = _stream_size(fp)
        tail_len = min(size, _EOCD.size + 65535)
        fp.seek(size - tail_len)
        tail = fp.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + _EOCD.size > len(tail):
            return
        _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
        eocd_pos = size - tail_len + at
        if at >= _ZIP64_LOCATOR.size and tail[at - _ZIP64_LOCATOR.size:at - 16] == b"PK\x06\x07":
            z64_at = at - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
            if z64_at >= 0 and tail[z64_at:z64_at + 4] == b"PK\x06\x06":
                fields = _ZIP64_EOCD.unpack_from(tail, z64_at)
                count, cd_size = fields[7], fields[8]
                eocd_pos = size - tail_len + z64_at
        if count > max_entries:
            raise SerializationError(f"the archive declares {count} entries, more than max_entries={max_entries}")
        cd_start = eocd_pos - cd_size
        if cd_start < 0:
            return
        fp.seek(cd_start)
        directory = fp.read(min(cd_size, size))
        pos = n = 0
        while pos + _CD_HEADER.size <= len(directory) and directory[pos:pos + 4] == b"PK\x01\x02":
            n += 1
            if n > max_entries:
                raise SerializationError(f"the archive holds more than max_entries={max_entries} entries")
            name_len, extra_len, comment_len = struct.unpack_from("<3H", directory, pos + 28)
            pos += _CD_HEADER.size + name_len + extra_len + comment_len
    finally:
        if isinstance(source, str):
            fp.close()
        else:
            fp.seek(0)


_NOT_STRUCTURAL = bytes(c for c in range(256) if c not in b'"[]{}')


def json_depth(data):
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings not counted).

    C-speed passes, then NumPy on what is left: escape pairs (`\\\\`, then
    `\\"`) are dropped, then every byte but quotes and brackets; a bracket
    after an odd number of quotes is inside a string; the running count of
    the others is the depth.
    """
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = np.frombuffer(data.translate(None, _NOT_STRUCTURAL), np.uint8)
    quote = marks == 34
    outside = (np.cumsum(quote) & 1 == 0) & ~quote
    steps = np.where((marks == 91) | (marks == 123), 1, -1).astype(np.int32)[outside]
    return int(np.cumsum(steps).max()) if len(steps) else 0
