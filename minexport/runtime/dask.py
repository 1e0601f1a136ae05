"""Run an exported program over Dask arrays: one task per chunk along the batch dim (spec/dask.md).

    from minexport.runtime.dask import apply
    y = apply(ep_or_archive_path, x)          # lazy; y.compute() runs the chunks

`apply` checks every chunk against the program before building anything
(dtypes, static sizes, the ranges and relations of symbolic sizes), works out
each output's chunks and dtype from the program's output metadata (symbolic
sizes evaluated per chunk), and builds one graph: a task per batch chunk that
runs the program on NumPy, and a getitem per output.

The program reaches the workers once: an in-memory ExportedProgram is saved
to PT2 bytes once and those bytes are a single key that every chunk task
depends on (with a dask.distributed client, a future of the bytes scattered
to every worker in `apply`); an archive path travels as (path, mtime, size).  Each process keeps the
programs it loaded in a small cache keyed by content hash or by path+mtime,
so a worker loads a program once, however many chunks it runs.

Each chunk runs the program's lifted graph functionally (`GraphRunner` on
the chunk arrays plus the program's weights): state updates the program
makes (a buffer mutation) are returned by the graph and dropped here, so
every chunk starts from the exported state and results do not depend on the
order Dask runs chunks in; input chunks are never written to.

This module is the only one that imports dask, and only inside `apply`;
`import minexport` loads neither it nor dask.
"""
import collections
import hashlib
import io
import math
import os
import sys
import threading

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor
from ..export.exported_program import ExportedProgram
from ..export.graph_signature import ConstantArgument, InputKind, OutputKind
from ..fx._runner import GraphRunner
from ..ops._targets import target_kind
from ..serde import archive
from ..symbolic import int_oo
from ..utils import _pytree as pytree

__all__ = ["apply", "cache_info"]

_MUTATIONS = (OutputKind.BUFFER_MUTATION, OutputKind.USER_INPUT_MUTATION, OutputKind.PARAMETER_MUTATION)
_CACHE_SIZE = 4         # programs each process keeps loaded (least recently used dropped first)


# ------------------------------------------------------------------ sources --
class _Blob:
    """An in-memory program as PT2 archive bytes, named by their SHA-256."""
    __slots__ = ("digest", "data")

    def __init__(self, data):
        self.data = data
        self.digest = hashlib.sha256(data).hexdigest()

    def cache_key(self):
        return ("bytes", self.digest)

    def load(self):
        return archive.load(io.BytesIO(self.data))

    def __getstate__(self):
        return self.digest, self.data

    def __setstate__(self, state):
        self.digest, self.data = state


class _ArchiveFile:
    """A PT2 archive on a file system every worker can read, named by path, mtime and size."""
    __slots__ = ("path", "mtime_ns", "size")

    def __init__(self, path):
        st = os.stat(path)
        self.path, self.mtime_ns, self.size = os.path.abspath(path), st.st_mtime_ns, st.st_size

    def cache_key(self):
        return ("file", self.path, self.mtime_ns, self.size)

    def load(self):
        st = os.stat(self.path)
        if (st.st_mtime_ns, st.st_size) != (self.mtime_ns, self.size):
            raise RuntimeError(f"{self.path} changed after minexport.runtime.dask.apply() read it; call apply() "
                               f"again so every chunk runs the same program")
        return archive.load(self.path, mmap=True)

    def __getstate__(self):
        return self.path, self.mtime_ns, self.size

    def __setstate__(self, state):
        self.path, self.mtime_ns, self.size = state


def _source(program):
    """(the source the workers load, the ExportedProgram read here for its metadata)."""
    if isinstance(program, ExportedProgram):
        buf = io.BytesIO()
        try:
            archive.save(program, buf)
        except Exception as e:
            raise ValueError(f"minexport.runtime.dask.apply() ships the program to the workers as a PT2 archive, "
                             f"and saving it failed: {e}") from e
        return _Blob(buf.getvalue()), program
    if isinstance(program, (str, os.PathLike)):
        if not os.path.isfile(program):
            raise FileNotFoundError(f"minexport.runtime.dask.apply(): no archive at {os.fspath(program)!r}")
        source = _ArchiveFile(program)
        loaded = _cached(source)        # this process may run chunks too (the threaded scheduler)
        return source, loaded.program
    raise TypeError(f"minexport.runtime.dask.apply() expects an ExportedProgram or the path of a PT2 archive, "
                    f"got {type(program).__name__}")


# ------------------------------------------------------- per-process cache --
class _Loaded:
    """A program ready to run chunks: its runner, weights and how many leading outputs are mutations."""

    def __init__(self, program):
        if _mutates(program):     # a training-IR graph writes in place: functionalize (decomposing nothing)
            program = program.run_decompositions({})
        self.program = program
        self.runner = GraphRunner(program.graph, specialize=True)
        self.lifted = [t._data for t in program.lifted_state()]
        self.n_mutations = sum(s.kind in _MUTATIONS for s in program.graph_signature.output_specs)
        self.chunks_run = 0


def _mutates(program):
    """Whether any graph of the program (control-flow branches included) calls an in-place op."""
    for module in program.graph_module.modules():
        graph = getattr(module, "graph", None)
        for node in graph.nodes if graph is not None else ():
            if node.op == "call_function" and target_kind(node.target) == "op" and node.target.is_mutating:
                return True
    return False


_loads = 0              # programs this process has loaded (cache misses), for cache_info()


_cache = collections.OrderedDict()
_cache_lock = threading.Lock()


def _cached(source, chunk=False):
    """The _Loaded program for source, loading it on this process's first request (`chunk`: count a run)."""
    global _loads
    key = source.cache_key()
    with _cache_lock:           # threads of one worker wait for the one load rather than each loading
        loaded = _cache.get(key)
        if loaded is None:
            loaded = _cache[key] = _Loaded(source.load())
            _loads += 1
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        loaded.chunks_run += chunk
        return loaded


def cache_info():
    """This process's program cache: {"loads": programs loaded so far, "programs": [(source key, chunks run)]}.

    A source key is ("bytes", sha256) for an in-memory program and ("file",
    path, mtime_ns, size) for an archive.  On dask.distributed, ask every
    worker with `client.run(minexport.runtime.dask.cache_info)`.
    """
    with _cache_lock:
        return {"loads": _loads, "programs": [(key, p.chunks_run) for key, p in _cache.items()]}


def _run_chunk(source, expected, *chunks):
    """The task of one batch chunk: the program's user outputs on `chunks` (a tuple of arrays).

    `expected` holds each chunk's (dtype, shape) as apply() checked them from
    the dask metadata; the specialized kernels rely on them, so a chunk that
    differs (a dask array whose declared dtype was wrong) is refused here.
    """
    for i, (chunk, (dtype, shape)) in enumerate(zip(chunks, expected)):
        if getattr(chunk, "dtype", None) != dtype or tuple(getattr(chunk, "shape", ())) != shape:
            raise TypeError(f"minexport.runtime.dask: input {i} chunk is {type(chunk).__name__} "
                            f"{getattr(chunk, 'dtype', '?')}{list(getattr(chunk, 'shape', ()))} but the dask array "
                            f"declared {dtype}{list(shape)}")
    loaded = _cached(source, chunk=True)
    out = loaded.runner.run_arrays(*loaded.lifted, *chunks)
    return tuple(out[loaded.n_mutations:])


# ------------------------------------------------------------ the program --
class _Shape:
    """A stand-in with only `.shape`, for the program's shape checks on chunk shapes."""
    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape


class _Signature:
    """What apply() reads off the program: user inputs, outputs, output tree and symbolic sizes."""

    def __init__(self, ep):
        import sympy                         # symbolic sizes; loaded only by apply()
        from ..export._unlift import _shape_checks
        self.sympy, self.ep = sympy, ep
        sig = ep.graph_signature
        placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
        user = [(spec, node) for spec, node in zip(sig.input_specs, placeholders) if spec.kind == InputKind.USER_INPUT]
        self.names = [spec.arg.name for spec, _ in user]
        for spec, node in user:
            if isinstance(spec.arg, ConstantArgument) or not isinstance(node.meta.get("val"), Tensor):
                raise TypeError(f"minexport.runtime.dask.apply() feeds dask arrays to every input, but the program's "
                                f"input {spec.arg.name!r} is not a tensor")
        self.inputs = [node.meta["val"] for _, node in user]
        root = ep.module_call_graph[0].signature
        self.in_spec, self.out_spec = root.in_spec, root.out_spec
        output = next(n for n in ep.graph.nodes if n.op == "output")
        values = output.args[0] if isinstance(output.args[0], (list, tuple)) else (output.args[0],)
        user_out = [v for s, v in zip(sig.output_specs, values) if s.kind not in _MUTATIONS]
        self.outputs = []
        for i, v in enumerate(user_out):
            val = getattr(v, "meta", {}).get("val")
            if not isinstance(val, Tensor):
                raise TypeError(f"minexport.runtime.dask.apply() returns dask arrays, but the program's output {i} "
                                f"is {type(val).__name__}, not a tensor")
            self.outputs.append(val)
        self.checks = _shape_checks(ep, [s for s, _ in user], self.inputs)

    def expr(self, size):
        """The sympy expression of a symbolic size, in the shape env's own symbols."""
        env = self.ep.shape_env
        return env.simplify(size.expr) if env is not None else size.expr

    def bind(self, shapes):
        """{symbol: value} that the input shapes give the program's symbols (shapes already checked)."""
        sympy, binds = self.sympy, {}
        for val, shape in zip(self.inputs, shapes):
            for want, got in zip(val.shape, shape):
                if not is_symbolic(want):
                    continue
                expr = sympy.sympify(self.expr(want)).xreplace(binds)
                free = expr.free_symbols
                if len(free) == 1:
                    (sym,) = free
                    solved = sympy.solve(sympy.Eq(expr, got), sym)
                    if len(solved) == 1 and solved[0].is_Integer:
                        binds[sym] = sympy.Integer(int(solved[0]))
        return binds

    def output_shapes(self, binds):
        """Each output's shape under binds: ints, NaN where a size stays unknown (a data-dependent size)."""
        out = []
        for val in self.outputs:
            shape = []
            for s in val.shape:
                if is_symbolic(s):
                    e = self.sympy.sympify(self.expr(s)).xreplace(binds)
                    shape.append(int(e) if e.is_Integer else math.nan)
                else:
                    shape.append(int(s))
            out.append(tuple(shape))
        return out

    def range_of(self, size):
        """(lower, upper or None) of a size that is a bare symbol, else None."""
        e = self.expr(size)
        r = self.ep.range_constraints.get(e) if e.is_Symbol else None
        if r is None:
            return None
        return int(r.lower), None if r.upper is int_oo else int(r.upper)


# ------------------------------------------------------------------ checks --
def _dask_array():
    try:
        import dask.array as da
    except ImportError:
        raise ImportError("minexport.runtime.dask needs Dask: pip install 'dask[array,distributed]' "
                          "(or minexport's extra: pip install 'minexport[dask]')") from None
    return da


def _check_inputs(da, sig, arrays, batch_dim):
    """The batch chunks shared by all inputs, each input's batch dim; raises naming what to change."""
    n = len(sig.inputs)
    if pytree.tree_flatten((tuple(range(n)), {}))[1] != sig.in_spec:
        raise TypeError(f"minexport.runtime.dask.apply() passes the dask arrays as positional arguments, but the "
                        f"program takes {sig.in_spec}")
    if len(arrays) != n:
        raise TypeError(f"the program takes {n} input{'s' * (n != 1)} ({', '.join(sig.names)}), "
                        f"got {len(arrays)} dask array{'s' * (len(arrays) != 1)}")
    dims = []
    for x, name, val in zip(arrays, sig.names, sig.inputs):
        if not isinstance(x, da.Array):
            raise TypeError(f"input {name!r}: expected a dask array, got {type(x).__name__} "
                            f"(wrap it with dask.array.from_array)")
        if x.ndim != val.ndim:
            raise ValueError(f"input {name!r}: the program takes {val.ndim} dims, the dask array has {x.ndim}")
        if not -x.ndim <= batch_dim < x.ndim:
            raise ValueError(f"input {name!r}: batch_dim={batch_dim} is out of range for {x.ndim} dims")
        want = val.dtype.numpy_dtype
        if x.dtype != want:
            raise TypeError(f"input {name!r}: the dask array has dtype {x.dtype}, the program was exported with "
                            f"{val.dtype}: use {name}.astype('{want}')")
        if any(math.isnan(c) for cs in x.chunks for c in cs):
            raise ValueError(f"input {name!r} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
        bd = batch_dim % x.ndim
        split = [d for d in range(x.ndim) if d != bd and len(x.chunks[d]) != 1]
        if split:
            fix = ", ".join(f"{d}: -1" for d in split)
            raise ValueError(f"input {name!r} is chunked along dim{'s' * (len(split) > 1)} "
                             f"{', '.join(map(str, split))}, but each task runs the program on whole rows of the "
                             f"batch dim {bd}: use {name}.rechunk({{{fix}}})")
        for d, (got, size) in enumerate(zip(x.shape, val.shape)):
            if d != bd and not is_symbolic(size) and got != size:
                raise ValueError(f"input {name!r}: dim {d} has size {got}, the program was exported with {size}")
        dims.append(bd)
    chunks = arrays[0].chunks[dims[0]]
    for x, name, bd in zip(arrays[1:], sig.names[1:], dims[1:]):
        if x.chunks[bd] != chunks:
            raise ValueError(f"inputs {sig.names[0]} and {name} are chunked differently along the batch dim "
                             f"({_sizes(chunks)} vs {_sizes(x.chunks[bd])}): use "
                             f"{name}.rechunk({{{bd}: {sig.names[0]}.chunks[{dims[0]}]}})")
    for x, name, val, bd in zip(arrays, sig.names, sig.inputs, dims):
        _check_batch_static(name, val.shape[bd], chunks, bd)
    _check_batch_symbolic(sig, arrays, dims, chunks)
    return chunks, dims


def _sizes(chunks):
    shown = ", ".join(map(str, chunks[:8])) + (", ..." if len(chunks) > 8 else "")
    return f"({shown})"


def _check_batch_static(name, size, chunks, bd):
    """A static batch size: every chunk must hold exactly that many rows."""
    if is_symbolic(size):
        return
    bad = sorted({c for c in chunks if c != size})
    if not bad:
        return
    total = sum(chunks)
    tail = "" if total % size == 0 else (f"; {total} rows is not a multiple of {size}, so pad or drop the last "
                                         f"{total % size} rows first")
    raise ValueError(f"input {name!r}: the program was exported with a static batch of {size} "
                     f"({name}.size()[{bd}] == {size}), but the chunks along dim {bd} are {_sizes(chunks)}: "
                     f"use {name}.rechunk({{{bd}: {size}}}){tail}; or export with a dynamic batch dim "
                     f"(dynamic_shapes={{...: {{{bd}: Dim('batch')}}}})")


def _check_batch_symbolic(sig, arrays, dims, chunks):
    """Symbolic sizes: each distinct chunk size must meet the program's ranges and relations."""
    if sig.checks is None:
        return
    for size in sorted(set(chunks)):
        shapes = [_Shape(tuple(size if d == bd else s for d, s in enumerate(x.shape))) for x, bd in zip(arrays, dims)]
        try:
            sig.checks.check(shapes)
        except AssertionError as e:
            if not any(f"{name}.size()[{bd}]" in str(e) for name, bd in zip(sig.names, dims)):
                raise ValueError(f"the inputs do not fit the program: {e}") from None     # not about the batch
            fix = _range_fix(sig, arrays, dims, chunks)
            raise ValueError(f"a chunk of {size} rows does not fit the program: {e}{fix}") from None


def _range_fix(sig, arrays, dims, chunks):
    """The rechunk that fits the batch dim's range, when it is a bare symbol with a known range."""
    name, bd, val = sig.names[0], dims[0], sig.inputs[0]
    size = val.shape[bd]
    r = sig.range_of(size) if is_symbolic(size) else None
    if r is None:
        return ""
    lower, upper = r
    total = sum(chunks)
    if total < lower:
        return f" (the whole batch, {total} rows, is below the program's minimum of {lower})"
    n = max(lower, min(upper if upper is not None else total, max(chunks)))
    k = -(-total // n)
    even = [total // k + (i < total % k) for i in range(k)]          # k chunks differing by at most one row
    fix = f"{n}" if total % n == 0 or total % n >= lower else f"{tuple(even)}" if k <= 8 else \
        f"(...)  # {k} chunks of {min(even)} to {max(even)} rows"
    return (f"; the chunks along dim {bd} are {_sizes(chunks)} and the program takes {lower} to "
            f"{upper if upper is not None else 'any number of'} rows: use {name}.rechunk({{{bd}: {fix}}})")


# ------------------------------------------------------------------- apply --
def _shipped(source, client):
    """What the graph's program key holds: the source itself, or, for program bytes when a dask.distributed
    client is given or is the default one, a future of the bytes scattered to every worker once (a
    literal in the graph would travel with every compute(); a future travels as its key)."""
    if not isinstance(source, _Blob):
        return source                   # (path, mtime, size): small already
    if client is None:
        distributed = sys.modules.get("distributed")       # never imported here for a caller without it
        if distributed is None:
            return source
        try:
            client = distributed.get_client()
        except ValueError:              # no client: the graph will run on a local scheduler
            return source
    return client.scatter(source, broadcast=True, hash=True)


def apply(program, *arrays, batch_dim=0, client=None):
    """Run `program` (an ExportedProgram or the path of a PT2 archive) on dask arrays, chunk by chunk.

    Every input is a dask array split along `batch_dim` only (the same chunks
    in every input); each chunk runs the program once, as its own task.
    Returns the program's outputs with lazy dask arrays as leaves (one array
    for a single output), each output's chunks laid along `batch_dim`.  The
    chunks are checked against the program (dtype, static sizes, the ranges
    and relations of its dynamic dims) before anything is built, and an error
    names the rechunk that fixes it.  See the module docstring for how the
    program reaches the workers, and spec/dask.md.

    With a dask.distributed `client` (default: the current default client,
    if any), an in-memory program is scattered to its workers here, once;
    compute the result on that client.
    """
    da = _dask_array()
    from dask.highlevelgraph import HighLevelGraph
    from dask.base import tokenize
    import numpy as np

    source, ep = _source(program)
    sig = _Signature(ep)
    chunks, dims = _check_inputs(da, sig, arrays, batch_dim)
    per_chunk = {}
    for size in set(chunks):
        shapes = [tuple(size if d == bd else s for d, s in enumerate(x.shape)) for x, bd in zip(arrays, dims)]
        per_chunk[size] = sig.output_shapes(sig.bind(shapes))
    out_chunks = [_output_chunks(i, [per_chunk[c][i] for c in chunks], batch_dim) for i in range(len(sig.outputs))]

    # one task holding the program and one per batch chunk; with several outputs, a getitem per chunk and
    # output (a single output is the chunk task's own result: half the tasks for the scheduler)
    program_key = "minexport-program-" + tokenize(source.cache_key())
    token = tokenize(source.cache_key(), [x.name for x in arrays], batch_dim)
    single = len(sig.outputs) == 1
    run_name = f"minexport-out0-{token}" if single else f"minexport-run-{token}"
    out_dim = [batch_dim % val.ndim for val in sig.outputs]

    def block(name, b, ndim, bd):
        return (name,) + tuple(b if d == bd else 0 for d in range(ndim))

    layer = {program_key: _shipped(source, client)}
    for b in range(len(chunks)):
        expected = tuple((np.dtype(x.dtype), tuple(chunks[b] if d == bd else s for d, s in enumerate(x.shape)))
                         for x, bd in zip(arrays, dims))
        keys = [block(x.name, b, x.ndim, bd) for x, bd in zip(arrays, dims)]
        key = block(run_name, b, sig.outputs[0].ndim, out_dim[0]) if single else (run_name, b)
        layer[key] = (_run_single if single else _run_chunk, program_key, expected, *keys)
    runs = HighLevelGraph.from_collections(run_name, layer, dependencies=list(arrays))
    outs = []
    for i, (val, cs) in enumerate(zip(sig.outputs, out_chunks)):
        name, graph = run_name, runs
        if not single:
            name = f"minexport-out{i}-{token}"
            layer = {block(name, b, val.ndim, out_dim[i]): (_getitem, (run_name, b), i) for b in range(len(chunks))}
            graph = HighLevelGraph.merge(runs, HighLevelGraph({name: layer}, {name: {run_name}}))
        meta = np.empty((0,) * val.ndim, dtype=val.dtype.numpy_dtype)
        outs.append(da.Array(graph, name, cs, meta=meta))
    return outs[0] if sig.out_spec.is_leaf() else pytree.tree_unflatten(outs, sig.out_spec)


def _run_single(source, expected, *chunks):
    """The task of one batch chunk of a program with one output: that output."""
    return _run_chunk(source, expected, *chunks)[0]


def _getitem(results, i):
    return results[i]


def _output_chunks(i, shapes, batch_dim):
    """Output i's chunks: its per-chunk shapes laid along batch_dim, the other dims one chunk each."""
    ndim = len(shapes[0])
    if not -ndim <= batch_dim < ndim:
        raise ValueError(f"the program's output {i} has {ndim} dims, so it has no batch dim {batch_dim} to "
                         f"concatenate the chunks' results along; return a tensor that keeps the batch dim")
    bd = batch_dim % ndim
    chunks = []
    for d in range(ndim):
        sizes = tuple(s[d] for s in shapes)
        if d == bd:
            chunks.append(sizes)
            continue
        known = {s for s in sizes if not math.isnan(s)}
        if len(known) > 1:
            raise ValueError(f"the program's output {i} has dim {d} of sizes {sorted(known)} across chunks; "
                             f"only the batch dim {bd} may change with the chunk")
        chunks.append((math.nan,) if any(math.isnan(s) for s in sizes) else (known.pop(),))
    return tuple(chunks)
