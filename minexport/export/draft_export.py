"""draft_export(): export what can be exported, and report every problem met on the way (torch's API).

export() refuses a program at its first problem.  draft_export() traces with
real values beside the fake ones (each op also runs its kernel on the example
inputs), so that where export would stop it can go on as the example inputs
go, and say so in a report:

- a condition on a data-dependent value (`if n > 2` with `n = t.item()`) is
  decided by the real value; the decision becomes a runtime assert in the
  graph and a DATA_DEPENDENT_ERROR in the report;
- a custom op with no fake implementation gets its output from its real
  kernel, with data-dependent sizes (MISSING_FAKE_KERNEL); a fake
  implementation whose outputs disagree with the kernel's is replaced the same
  way (MISMATCHED_FAKE_KERNEL);
- guards that break the user's dynamic_shapes: the export is retried with
  each Dim turned into Dim.AUTO, and each guard on an input size is reported
  (GUARD_ADDED) with the dynamic_shapes that were used.

The returned ExportedProgram carries the report as `ep._report`
(a DraftExportReport); `str(report)` is torch's text.
"""
import enum
import linecache
import logging
import sys

from .._symbolic_marker import is_symbolic
from .._tensor import Tensor, make_fake
from .._trace_state import tracing
from ..utils import _pytree as pytree
from ._trace import _export
from ._tracer import ExportTracer, call_forward
from .dynamic_shapes import ConstraintViolationError, Dim, _DerivedDim
from .errors import DataDependentError, is_user_code

__all__ = ["draft_export", "DraftExportReport", "FailureReport", "FailureType"]

log = logging.getLogger(__name__)

_FAKE_KERNEL_DOC = "https://docs.google.com/document/d/1_W62p8WJOQQUzPsJYa7s701JXt0qf2OfLub2sbkHOaU/edit#heading=h.ahugy69p2jmz"
_DATA_DEPENDENT_DOC = "https://docs.google.com/document/d/1kZ_BbB3JnoLbUZleDT6635dHs88ZVYId8jT-yTFgf3A/edit#heading=h.boi2xurpqa0o"


class FailureType(enum.IntEnum):
    """The kinds of problem draft_export reports (torch's names and numbers)."""
    MISSING_FAKE_KERNEL = 1
    DATA_DEPENDENT_ERROR = 2
    GUARD_ADDED = 3
    MISMATCHED_FAKE_KERNEL = 4

    def __str__(self):
        return self.name


# ------------------------------------------------------------------- the report --
def _pretty_stack(stack, str_to_filename):
    """The frames of a recorded stack (outermost first), then the innermost source line."""
    text = "".join(f"\n        File {str_to_filename[f['filename']]}, lineno {f['line']}, in {f['name']}"
                   for f in stack if f["filename"] in str_to_filename)
    return text + (f"\n            {stack[-1]['loc']}" if stack else "")


def _pretty_locals(loc, locals, symbols):
    """The innermost user frame's symbolic locals (and the symbols' sources)."""
    text = "\n        Locals:\n" + "\n".join(f"            {k}: {v}" for k, v in locals.items()) + "\n"
    if any(v is not None for v in symbols.values()):
        text += "\n        Symbols:\n" + "\n".join(f"           {k}: {v}" for k, v in symbols.items()
                                                  if v is not None) + "\n"
    return text


class FailureReport:
    """One problem: its FailureType and the facts about it (`data`: expr, result, user_stack, op, reason...)."""

    def __init__(self, failure_type, data, xfail=False):
        self.failure_type = failure_type
        self.data = data
        self.xfail = xfail

    def __repr__(self):
        return f"FailureReport(failure_type={self.failure_type}, xfail={self.xfail}, data={self.data})"

    def print(self, str_to_filename):
        """The failure as torch's report writes it (str_to_filename: file index -> file name)."""
        return _PRINTERS[self.failure_type](self.data, str_to_filename)


def _print_missing(data, _):
    return f"""Missing fake kernel.
    torch.ops.{data["op"]} is missing a fake kernel implementation.

    Please refer to {_FAKE_KERNEL_DOC} for more detailed instructions on how to write a meta implementation.
"""


def _print_mismatched(data, _):
    return f"""Mismatched fake kernel.
    torch.ops.{data["op"]} has a fake kernel implementation, but it has incorrect behavior, based on the real kernel.
    The reason for the mismatch is: {data["reason"]}.

    Please refer to {_FAKE_KERNEL_DOC} for more detailed instructions on how to write a fake implementation.
"""


def _print_data_dependent(data, files):
    local_info = _pretty_locals(**data["frame_locals"]) if data["frame_locals"] else ""
    return f"""Data dependent error.
    When exporting, we were unable to evaluate the value of `{data["expr"]}`.
    This was encountered {data["occurrences"]} times.
    This occurred at the following user stacktrace: {_pretty_stack(data["user_stack"], files)}
        {local_info}
    And the following framework stacktrace: {_pretty_stack(data["stack"], files)}\n
    As a result, it was specialized to a constant (e.g. `{data["result"]}` in the 1st occurrence), \
and asserts were inserted into the graph.

    Please add `torch._check(...)` to the original code to assert this data-dependent assumption.
    Please refer to {_DATA_DEPENDENT_DOC} for more details.
"""


def _print_guard(data, files):
    local_info = _pretty_locals(**data["frame_locals"]) if data["frame_locals"] else ""
    return f"""Guard Added.
    A guard was added during tracing, which might've resulted in some incorrect
    tracing or constraint violation error.
    Specifically, this guard was added: {data["expr"]}, where {data["symbol_to_sources"]}.
    This occurred at the following stacktrace: {_pretty_stack(data["user_stack"], files)}:
        {local_info}
    And the following framework stacktrace: {_pretty_stack(data["stack"], files)}\n
    Because of this, we have modified the dynamic shapes structure to be the
    following. You can also use torch.export.Dim.AUTO instead to specify your
    dynamic shapes, and we will automatically infer the dynamism for you.
    ```
    dynamic_shapes = {data["new_dynamic_shapes"]}
    ```
"""


_PRINTERS = {
    FailureType.MISSING_FAKE_KERNEL: _print_missing,
    FailureType.DATA_DEPENDENT_ERROR: _print_data_dependent,
    FailureType.GUARD_ADDED: _print_guard,
    FailureType.MISMATCHED_FAKE_KERNEL: _print_mismatched,
}

_WARNING, _GREEN, _END = "\033[93m", "\033[92m", "\033[0m"
_BAR = "#" * 99


class DraftExportReport:
    """Every problem draft_export met (`failures`), with the files their stacks name (`str_to_filename`)."""

    def __init__(self, failures, str_to_filename, expressions_created=None, op_profiles=None):
        self.failures = failures
        self.str_to_filename = str_to_filename
        self.expressions_created = expressions_created or {}
        self.op_profiles = op_profiles or {}

    def successful(self):
        """True when there is no failure (or each is an expected one)."""
        return all(f.xfail for f in self.failures)

    def __repr__(self):
        return f"DraftExportReport({self.failures})"

    def __str__(self):
        if self.successful():
            bar = "#" * 94
            return (f"{_GREEN}\n{bar}\nCongratulations: No issues are found during export, and it was able to "
                    f"soundly produce a graph.\nYou can now change back to torch.export.export()\n{bar}\n{_END}")
        text = (f"{_WARNING}\n{_BAR}\nWARNING: {len(self.failures)} issue(s) found during export, and it was not "
                f"able to soundly produce a graph.\nPlease follow the instructions to fix the errors.\n{_BAR}\n\n")
        for i, failure in enumerate(self.failures):
            text += f"{i + 1}. {failure.print(self.str_to_filename)}\n"
        return text + _END

    def apply_suggested_fixes(self):
        """Not offered (torch does not implement it either)."""
        raise NotImplementedError("Not implemented yet")


# --------------------------------------------------------------- the recording --
class _Log:
    """What the trace met: failures in order, a repeated one counted once (torch's dedup keys)."""

    def __init__(self):
        self.files = {}            # file name -> index (a stack frame names its file by index)
        self.entries = {}          # dedup key -> FailureReport
        self.failures = []

    def add(self, failure_type, key, data):
        seen = self.entries.get(key)
        if seen is not None:
            if "occurrences" in seen.data:
                seen.data["occurrences"] += 1
            return
        report = self.entries[key] = FailureReport(failure_type, data)
        self.failures.append(report)

    def user_stack(self):
        """The user frames from the exported forward down to here, outermost first, as torch records them."""
        frames = []
        f = sys._getframe(2)
        while f is not None and f.f_code is not call_forward.__code__:
            name = f.f_code.co_filename
            if is_user_code(name):
                index = self.files.setdefault(name, len(self.files))
                frames.append({"line": f.f_lineno, "name": f.f_code.co_name, "filename": index,
                               "loc": linecache.getline(name, f.f_lineno).strip()})
            f = f.f_back
        return frames[::-1]

    def frame_locals(self, stack, sources):
        """The innermost user frame's symbolic values and tensors, as torch shows them."""
        f = sys._getframe(2)
        while f is not None and not is_user_code(f.f_code.co_filename):
            f = f.f_back
        if f is None or not stack:
            return {}
        shown, symbols = {}, {}
        for name, v in f.f_locals.items():
            syms = _symbols_of(v)
            if syms:     # torch shows the locals that hold symbols: symbolic numbers, tensors of symbolic shape
                shown[name] = [_describe(v)]
                symbols.update((str(s), sources[s]) for s in syms if s in sources)
        return {"loc": stack[-1]["loc"], "locals": shown, "symbols": symbols}


def _symbols_of(v):
    """The symbols in a local: a symbolic number's, or a tensor's symbolic sizes'."""
    if is_symbolic(v):
        return v.expr.free_symbols
    if isinstance(v, Tensor):
        return {s for size in v.shape if is_symbolic(size) for s in size.expr.free_symbols}
    return set()


def _describe(v):
    """A local's value as the report shows it: a symbol's expression, a tensor's shape and layout."""
    if isinstance(v, Tensor):
        shape = ", ".join(str(s) for s in v.shape)
        return f"Tensor(shape: torch.Size([{shape}]), stride: {tuple(v.stride())}, storage_offset: 0)"
    return str(v.expr)


def _guard_sources(env):
    """Symbol -> "L['x'].size()[0]" for the input sizes (torch's spelling of a source)."""
    out = {}
    for sym, src in env.var_to_source.items():
        name, _, dim = src.partition(".size()")
        if dim and sym not in env.unbacked:
            out[sym] = f"L['{name}'].size(){dim}"
    return out


class _DraftTracer(ExportTracer):
    """export's tracer, with each fake tensor's real value beside it (see the module docstring)."""

    log = None          # the _Log of this draft_export (set on the class made per call)

    def __init__(self, modules):
        super().__init__(modules)
        self.reals = {}            # id(fake) -> (fake, real value); the fake is kept so its id stays its own
        self.known = set()         # data-dependent symbols whose real value is known (their hint)

    # -- real values ------------------------------------------------------------
    def fake_input(self, t, kind, name, shape=None, target=None, persistent=None):
        fake = super().fake_input(t, kind, name, shape, target, persistent)
        with tracing(None):     # a copy: an in-place op run for real must not change the user's tensors
            self.reals[id(fake)] = (fake, t.clone())
        return fake

    def node_of(self, t):
        pending = self.pending_constants.get(id(t))
        node, fake = super().node_of(t)
        if pending is not None:
            self.reals[id(fake)] = (fake, pending[1])
        elif fake is not t and t._data is not None:     # a real tensor lifted as a constant
            self.reals.setdefault(id(fake), (fake, t))
        return node, fake

    def real(self, v):
        """The real value behind a traced value (a fake tensor, a symbolic number), else v itself."""
        if isinstance(v, Tensor):
            if v._data is not None:
                return v
            found = self.reals.get(id(v))
            return _UNKNOWN if found is None else found[1]
        if is_symbolic(v):
            return v.hint
        return v

    def run_meta(self, op, args, kwargs):
        """Run the real kernel beside the meta function; a custom op's missing or wrong fake is replaced
        by outputs shaped as the real ones (with data-dependent sizes), and reported."""
        real_args, real_kwargs = pytree.tree_map(self.real, (list(args), dict(kwargs)))
        # inside cond/map subgraphs (fresh fakes for the operands) or past such a value, no real value is known:
        # the op is traced as export traces it
        if self.branches or any(v is _UNKNOWN for v in pytree.tree_leaves((real_args, real_kwargs))):
            return super().run_meta(op, args, kwargs)
        with tracing(None):
            real_out = op(*real_args, **real_kwargs)
        custom = op.namespace not in ("aten", "prims")
        try:
            out = super().run_meta(op, args, kwargs)
        except RuntimeError as e:
            if not custom or "no fake impl registered" not in str(e):
                raise
            self.log.add(FailureType.MISSING_FAKE_KERNEL, ("missing", str(op)), {"op": _op_text(op)})
            out = self._from_real(real_out)
        else:
            reason = _mismatch(out, real_out) if custom else None
            if reason is not None:
                self.log.add(FailureType.MISMATCHED_FAKE_KERNEL, ("mismatched", str(op), reason),
                             {"op": _op_text(op), "reason": reason})
                out = self._from_real(real_out)
        for fake, real in zip(_tensors(out), _tensors(real_out)):
            self.reals[id(fake)] = (fake, real)
            self._hint_sizes(fake, real)
        return out

    def _hint_sizes(self, fake, real):
        """A data-dependent size the meta function made (nonzero's rows) takes the real size as its hint."""
        for size, value in zip(fake.shape, real.shape):
            if is_symbolic(size) and size.expr.is_Symbol and size.expr in size.env.unbacked \
                    and size.expr not in self.known:
                size.hint = size.env.var_to_hint[size.expr] = value
                self.known.add(size.expr)

    def _from_real(self, real_out):
        """Fake outputs shaped as the real ones, each size a new data-dependent size hinted by the real one."""
        def fake_of(r):
            if not isinstance(r, Tensor):
                return r
            shape = []
            for size in r.shape:
                sym = self.data_dependent_size(None)
                sym.hint = size
                self.known.add(sym.expr)
                shape.append(sym)
            return make_fake(tuple(shape), r.dtype, r.device)
        return pytree.tree_map(fake_of, real_out)

    # -- data-dependent values ------------------------------------------------------
    def item(self, t):
        sym = super().item(t)
        real = self.real(self.node_of(t)[1])
        if real is not _UNKNOWN:
            with tracing(None):
                sym.hint = real.item()
            self.symbolic.env.var_to_hint[sym.expr] = sym.hint
            self.known.add(sym.expr)
        return sym

    def ensure_symbolic(self):
        first = self.symbolic is None
        symbolic = super().ensure_symbolic()
        if first:
            self._watch(symbolic.env)
        return symbolic

    def _watch(self, env):
        """Decide data-dependent conditions by their real values (reporting each), and note each guard's
        user stack: the ShapeEnv's `evaluate`, `specialize` and `record`, wrapped for this trace."""
        evaluate, specialize, record = env.evaluate, env.specialize, env.record
        tracer, log = self, self.log

        def draft_evaluate(symbool):
            try:
                return evaluate(symbool)
            except DataDependentError:
                if symbool.hint is None or tracer.unknown(symbool.expr):
                    raise
            expr, value = env.simplify(symbool.expr), bool(symbool.hint)
            tracer._assume(expr if value else _negated(expr), expr, str(value))
            return value

        def draft_specialize(sym, convert=None):
            try:
                return specialize(sym, convert)
            except DataDependentError:
                if sym.hint is None or tracer.unknown(sym.expr):
                    raise
            import sympy
            expr = env.simplify(sym.expr)
            tracer._assume(sympy.Eq(expr, sym.hint), expr, str(sym.hint))
            if expr.is_Symbol:      # the value is now known exactly (torch's range: [v, v])
                env.narrow(expr, sym.hint, sym.hint)
            return sym.hint

        def draft_record(guard):
            record(guard)
            stack = log.user_stack()
            sources = _guard_sources(env)
            tracer.guards_seen.append((guard, stack, log.frame_locals(stack, sources), sources))

        env.evaluate, env.specialize, env.record = draft_evaluate, draft_specialize, draft_record

    guards_seen = None

    def unknown(self, expr):
        """The data-dependent symbols in expr whose real value draft_export does not know."""
        env = self.symbolic.env
        return (env.simplify(expr).free_symbols & env.unbacked) - self.known

    def _assume(self, cond, expr, result):
        """A data-dependent condition decided by the example: report it and assert it at run time."""
        from ..symbolic.core import SymBool
        stack = self.log.user_stack()
        self.log.add(FailureType.DATA_DEPENDENT_ERROR, ("data", repr(stack)), {
            "expr": str(expr), "result": result, "expr_node_id": id(expr), "user_stack": stack, "stack": stack,
            "symbol_to_sources": {}, "frame_locals": self.log.frame_locals(stack, {}), "occurrences": 1})
        self.check_condition(SymBool(cond, self.symbolic.env, True), None)


_UNKNOWN = type("_Unknown", (), {"__repr__": lambda self: "<no real value>"})()


def _negated(expr):
    import sympy
    return expr.negated if hasattr(expr, "negated") else sympy.Not(expr)


def _op_text(op):
    """How torch names an op in the report: 'mylib.foo.default'."""
    return f"{op.namespace}.{op.op_name}.{op.overload_name or 'default'}"


def _tensors(out):
    return [t for t in pytree.tree_leaves(out) if isinstance(t, Tensor)]


def _mismatch(fake_out, real_out):
    """Why a fake implementation's outputs disagree with the kernel's (torch's wording), or None."""
    fakes, reals = _tensors(fake_out), _tensors(real_out)
    if len(fakes) != len(reals):
        return f"mismatch between fake and real number of outputs {len(fakes)} != {len(reals)}"
    for f, r in zip(fakes, reals):
        if f.dtype != r.dtype:
            return f"mismatch between fake dtype {f.dtype} and real dtype {r.dtype} "
        if f.ndim != r.ndim:
            return f"mismatch between fake rank {f.ndim} and real rank {r.ndim} "
        for fs, rs in zip(f.shape, r.shape):
            value = fs.hint if is_symbolic(fs) else fs
            if value != rs:
                return f"mismatch between fake value {value} and real value {rs} "
    return None


# -------------------------------------------------------------------- the API --
def _auto(spec):
    """dynamic_shapes with each Dim (named or derived) turned into Dim.AUTO, as torch retries."""
    if isinstance(spec, (Dim, _DerivedDim)):
        return Dim.AUTO
    if isinstance(spec, dict):
        return {k: _auto(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return type(spec)(_auto(v) for v in spec)
    return spec


def draft_export(mod, args, kwargs=None, *, dynamic_shapes=None, preserve_module_call_signature=(), strict=False,
                 pre_dispatch=True, prefer_deferred_runtime_asserts_over_guards=False):
    """Export what can be exported and report every problem met (torch.export.draft_export).

    Returns the ExportedProgram; its `_report` is a DraftExportReport
    (`successful()`, `failures`, torch's text as `str(report)`).  See the
    module docstring for what each kind of problem does to the program.
    """
    log_ = _Log()
    tracer_class = type("_DraftTracer", (_DraftTracer,), {"log": log_, "guards_seen": []})
    new_shapes = None
    try:
        ep = _export(mod, args, kwargs, dynamic_shapes, tracer_class, preserve_module_call_signature)
    except ConstraintViolationError:
        new_shapes = _auto(dynamic_shapes)
        log_ = _Log()
        tracer_class = type("_DraftTracer", (_DraftTracer,), {"log": log_, "guards_seen": []})
        ep = _export(mod, args, kwargs, new_shapes, tracer_class, preserve_module_call_signature)
        for guard, stack, frame_locals, sources in tracer_class.guards_seen:
            named = {str(s): sources[s] for s in guard.free_symbols if s in sources}
            if not named:
                continue
            log_.add(FailureType.GUARD_ADDED, ("guard", repr(stack), str(guard)), {
                "expr": str(guard), "prefix": "eval", "expr_node_id": id(guard), "user_stack": stack,
                "stack": stack, "symbol_to_sources": named, "frame_locals": frame_locals,
                "new_dynamic_shapes": new_shapes})
    files = {i: name for name, i in log_.files.items()}
    ep._report = DraftExportReport(log_.failures, files)
    if not ep._report.successful():
        log.warning("\n%s\nWARNING: %d issue(s) found during export, and it was not able to soundly produce a "
                    "graph.\nYou can view the errors in python by inspecting `print(ep._report)`.\n%s",
                    _BAR, len(ep._report.failures), _BAR)
    return ep
