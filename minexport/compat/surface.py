"""The parts of torch's namespace that model files touch besides tensors and modules, as non-strict export
sees them: dtype limits (`finfo`, `iinfo`), `_assert`, TorchScript and FX markers that change nothing when a
model runs in Python (`jit.script`, `jit.ignore`, `fx.wrap`, ...), usage-logging hooks, activation
checkpointing (which recomputes nothing without autograd), and `torch.optim`, which imports but refuses use.
"""
import functools
import types

import numpy as np

from .. import dtypes as dt
from .._functions import _set_grad_mode, is_grad_enabled, set_grad_enabled
from .._tensor import Tensor
from .._trace_state import trace_state

__all__ = ["finfo", "iinfo", "torch_assert", "jit_module", "c_module", "optim_module", "checkpoint_module",
           "fx_extras", "grad_mode", "cuda_module", "backends_module", "compile", "autocast"]


# ------------------------------------------------------------ dtype limits --
class finfo:
    """Limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution, dtype."""

    def __init__(self, type=None):
        d = dt.get_default_dtype() if type is None else type
        if not d.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            f"'{d.name}'")
        info = np.finfo(np.float32 if d.name == "bfloat16" else d.numpy_dtype)
        self.dtype, self.bits = d.name, info.bits if d.name != "bfloat16" else 16
        if d.name == "bfloat16":   # bfloat16: float32's exponent range with 8 bits of mantissa
            self.eps, self.resolution = 2.0 ** -7, 0.01
            self.max, self.tiny = 3.3895313892515355e+38, 1.1754943508222875e-38
        else:
            # resolution as torch reports it: the decimal step 10**-precision as a Python float
            self.eps, self.resolution = float(info.eps), 10.0 ** -info.precision
            self.max, self.tiny = float(info.max), float(info.smallest_normal)
        self.min, self.smallest_normal = -self.max, self.tiny

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, max, min, dtype."""

    def __init__(self, type):
        if type.is_floating_point or type.name.startswith("complex"):
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type.name}'")
        if type.name == "bool":
            self.bits, self.min, self.max = 8, 0, 1
        else:
            info = np.iinfo(type.numpy_dtype)
            self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def torch_assert(condition, message):
    """torch._assert: a Python assert (on a symbolic condition while tracing, a guard, as torch makes)."""
    if isinstance(condition, Tensor) and condition.numel() != 1:
        raise RuntimeError("torch._assert: the condition must be a bool or a one-element tensor")
    assert condition, message


# ------------------------------------------------------------- torch.jit --
def _passthrough_decorator(fn=None, **_options):
    """Used bare (`@ignore`) or with options (`@ignore(drop=True)`): returns the function unchanged."""
    if fn is None:
        return lambda f: f
    return fn


def _refuse(what, instead):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"{what} is not supported by minexport; {instead}")
    refuse.__name__ = what.rpartition(".")[2]
    return refuse


def jit_module():
    """torch.jit for a model that runs in Python: scripting markers change nothing; tracing is refused."""
    jit = types.ModuleType("torch.jit")
    jit.is_scripting = lambda: False
    jit.is_tracing = lambda: False
    jit.script = lambda obj, *args, **kwargs: obj
    jit.script_method = lambda fn: fn
    jit.ignore = _passthrough_decorator
    jit.unused = lambda fn: fn
    jit.export = lambda fn: fn
    jit.interface = lambda obj: obj
    jit.Final = _Final
    jit.Attribute = lambda value, type=None: value
    jit.annotate = lambda type, value: value
    jit.trace = _refuse("torch.jit.trace", "export the model with torch.export.export instead")
    jit.trace_module = _refuse("torch.jit.trace_module", "export the model with torch.export.export instead")
    jit.save = _refuse("torch.jit.save", "save an exported program with torch.export.save instead")
    jit.load = _refuse("torch.jit.load", "load an exported program with torch.export.load instead")
    jit.__all__ = [n for n in vars(jit) if not n.startswith("_")]
    return jit


class _FinalMeta(type):
    def __getitem__(cls, item):
        return item


class _Final(metaclass=_FinalMeta):
    """torch.jit.Final[T] in annotations: T itself."""


# --------------------------------------------------------------- torch._C --
def c_module():
    """torch._C: the hooks library code calls on every model (usage logging, tracing state) as no-ops."""
    c = types.ModuleType("torch._C")
    c._log_api_usage_once = lambda event: None
    c._log_api_usage_metadata = lambda event, metadata: None
    c._get_tracing_state = lambda: None
    c._set_grad_enabled = _set_grad_mode
    c._is_tracing = lambda: False
    return c


# ------------------------------------------------------------- torch.optim --
_OPTIMIZERS = ("Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "RMSprop", "Rprop",
               "LBFGS", "NAdam", "RAdam", "SparseAdam")


def optim_module():
    """torch.optim: importable (model files import it at the top), every optimizer refused when used."""
    optim = types.ModuleType("torch.optim")
    why = ("minexport runs and exports inference programs and has no autograd; train with torch, then load "
           "the weights with load_state_dict")
    for name in _OPTIMIZERS:
        setattr(optim, name, _refusing_class(f"torch.optim.{name}", why))
    sched = types.ModuleType("torch.optim.lr_scheduler")
    for name in ("LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
                 "OneCycleLR", "ReduceLROnPlateau", "LinearLR", "SequentialLR"):
        setattr(sched, name, _refusing_class(f"torch.optim.lr_scheduler.{name}", why))
    optim.lr_scheduler = sched
    return optim


def _refusing_class(what, why):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"{what} is not supported by minexport: {why}")
    return type(what.rpartition(".")[2], (), {"__init__": __init__, "__doc__": f"{what}: refused ({why})."})


# ---------------------------------------------------- torch.utils.checkpoint --
def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """Activation checkpointing saves memory in backward; without autograd it is a plain call."""
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run `functions` (a Sequential or a list of callables) one after another on `input`."""
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    for f in functions:
        input = f(input)
    return input


def checkpoint_module():
    """torch.utils.checkpoint."""
    m = types.ModuleType("torch.utils.checkpoint")
    m.checkpoint, m.checkpoint_sequential = checkpoint, checkpoint_sequential
    return m


# ---------------------------------------------------------------- torch.fx --
def fx_wrap(fn_or_name):
    """torch.fx.wrap marks a function as a leaf for symbolic_trace; export traces through it unchanged."""
    return fn_or_name


fx_extras = {"wrap": fx_wrap}


# ------------------------------------------------- grad mode, devices, compile --
grad_mode = {"set_grad_enabled": set_grad_enabled, "is_grad_enabled": is_grad_enabled}


def cuda_module():
    """torch.cuda as a model file probes it: no CUDA device is available to torch-written code here."""
    cuda = types.ModuleType("torch.cuda")
    cuda.is_available = lambda: False
    cuda.device_count = lambda: 0
    cuda.is_bf16_supported = lambda *args, **kwargs: False
    cuda.manual_seed = cuda.manual_seed_all = lambda seed: None
    cuda.synchronize = lambda device=None: None
    cuda.empty_cache = lambda: None
    return cuda


def backends_module():
    """torch.backends: the availability probes and flags model files read or set (flags change nothing)."""
    backends = types.ModuleType("torch.backends")
    for name in ("mps", "cudnn", "cuda", "mkldnn", "openmp"):
        sub = types.ModuleType(f"torch.backends.{name}")
        sub.is_available = lambda: False
        sub.is_built = lambda: False
        setattr(backends, name, sub)
    backends.cudnn.benchmark = backends.cudnn.deterministic = False
    backends.cudnn.allow_tf32 = False
    backends.cuda.matmul = types.SimpleNamespace(allow_tf32=False)
    return backends


def compile(model=None, **options):
    """torch.compile only speeds a model up; here the model (or function) runs as written.  Works bare, with
    options, and as a decorator."""
    if model is None:
        return lambda m: m
    return model


class autocast:
    """torch.autocast: accepted when disabled (it changes no dtype then); while export traces, its stretch of the
    program is kept as torch's training IR keeps it (a wrap_with_autocast region, see export/_regions.py).  An
    enabled one would change the model's dtypes, so it is refused with what to do.  Also a decorator."""

    # the dtype torch's autocast records for each device type when none is given
    _DEFAULT_DTYPES = {"cpu": dt.bfloat16, "cuda": dt.float16}

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if enabled:
            raise NotImplementedError("torch.autocast is not supported by minexport: cast the model and its "
                                      "inputs to the dtype you want (model.to(dtype)) or pass enabled=False")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else self._DEFAULT_DTYPES.get(device_type, dt.bfloat16)
        self._enabled = bool(enabled)
        self._cache_enabled = bool(cache_enabled)     # torch's export records False when it is not given

    def __enter__(self):
        tracer = trace_state.tracer
        if tracer is not None:
            tracer.autocast_entered((self.device, self.fast_dtype, self._enabled, self._cache_enabled))
        return self

    def __exit__(self, *exc):
        tracer = trace_state.tracer
        if tracer is not None:
            tracer.autocast_exited()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def run_in_autocast(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return run_in_autocast
