"""The program's lifted state (parameters, buffers, constants) as data for the generated module.

Two layouts, chosen by total size (`inline_weights_max_bytes`):

* inline: each array as base64 of its raw bytes inside the module (small programs: one file);
* a sibling raw file `<module stem>.bin`: every array's bytes at a 64-byte aligned offset,
  listed in the module as (dtype, shape, offset) and read with `np.memmap(mode="r")`, so
  loading costs no copy and weights are paged in on use.  (A `.npz` member cannot be
  memory-mapped, which is why this is not an .npz.)

Mutated buffers are copied into writable arrays at load; everything else stays read-only.
"""
import base64

import numpy as np

__all__ = ["state_arrays", "weight_lines", "ALIGN"]

ALIGN = 64


def state_arrays(ep):
    """[(placeholder name, ndarray)] of the program's lifted inputs, in placeholder order."""
    from ..export.graph_signature import InputKind
    from .program import CodegenError
    out = []
    for spec in ep.graph_signature.input_specs:
        if spec.kind == InputKind.USER_INPUT:
            continue
        if spec.kind in (InputKind.PARAMETER, InputKind.BUFFER) and spec.target in ep.state_dict:
            t = ep.state_dict[spec.target]
        elif spec.target in ep.constants:
            t = ep.constants[spec.target]
        else:
            raise CodegenError(f"input {spec.arg.name} ({spec.kind.name} {spec.target!r}) has no value "
                               "the generated module can hold")
        if not hasattr(t, "numpy"):
            raise CodegenError(f"input {spec.arg.name} ({spec.kind.name} {spec.target!r}) is a "
                               f"{type(t).__name__}, not a tensor; generated code holds only arrays")
        a = np.asarray(t.numpy(force=True))
        # (not np.ascontiguousarray: it makes a 0-d array 1-d)
        out.append((spec.arg.name, a if a.flags.c_contiguous else a.copy(order="C")))
    return out


def weight_lines(arrays, mutated, inline, bin_name):
    """(module source lines, raw bytes for the sibling file or None)."""
    lines = [f"_MUTATED = {sorted(mutated)!r}   # buffers the program updates: writable copies"]
    if inline:
        lines.append("_INLINE = {")
        for name, a in arrays:
            lines.append(f"    {name!r}: ({a.dtype.name!r}, {tuple(a.shape)!r}, "
                         f"{base64.b64encode(a.tobytes()).decode()!r}),")
        lines += ["}", "", "",
                  "def _load_state():",
                  '    """The lifted parameters, buffers and constants by placeholder name."""',
                  "    state = {}",
                  "    for name, (dtype, shape, data) in _INLINE.items():",
                  "        a = np.frombuffer(base64.b64decode(data), dtype=dtype).reshape(shape)",
                  "        state[name] = xp.array(a, copy=True) if name in _MUTATED else xp.asarray(a)",
                  "    return state"]
        return lines, None
    table, chunks, offset = [], [], 0
    for name, a in arrays:
        pad = -offset % ALIGN
        chunks.append(b"\0" * pad)
        offset += pad
        table.append(f"    {name!r}: ({a.dtype.name!r}, {tuple(a.shape)!r}, {offset}),")
        chunks.append(a.tobytes())
        offset += a.nbytes
    lines += [f"_WEIGHTS_FILE = {bin_name!r}   # beside this module: raw bytes, 64-byte aligned",
              "_WEIGHTS = {   # name: (dtype, shape, byte offset)", *table, "}", "", "",
              "def _load_state():",
              '    """The lifted parameters, buffers and constants by placeholder name (memory-mapped)."""',
              "    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), _WEIGHTS_FILE)",
              "    blob = np.memmap(path, dtype=np.uint8, mode='r') if os.path.getsize(path) else \\",
              "        np.zeros(0, np.uint8)",
              "    state = {}",
              "    for name, (dtype, shape, offset) in _WEIGHTS.items():",
              "        n = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize",
              "        a = np.asarray(blob[offset:offset + n]).view(dtype).reshape(shape)",
              "        state[name] = xp.array(a, copy=True) if name in _MUTATED else xp.asarray(a)",
              "    return state"]
    return lines, b"".join(chunks)
