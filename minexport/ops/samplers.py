"""Random samplers: bernoulli, the in-place distributions (uniform_, normal_, cauchy_, exponential_,
geometric_, log_normal_) with their functional forms, normal's four overloads, multinomial and
randint_like.

Values come from minexport's global generator (`_random`, seeded by
`manual_seed`), so they do not match torch's; shapes, dtypes and the checks
on the parameters do.  torch.export records each as its own node; the
in-place ones become their functional form under run_decompositions()
(`normal_` -> `normal_functional`, `uniform_` -> `uniform`), and only
`bernoulli(self)` decomposes further (rand < p), as in torch.  The
`generator=` argument is accepted and ignored: there is one generator.
"""
import numpy as np

from .. import _random
from .. import dtypes as dt
from .._tensor import make_fake
from ._common import broadcast_shapes, check, dtype_of, fake_like, torch_type_name
from ._inplace import register_inplace
from ._registry import FUNCTION_AND_METHOD, aten, register
from .creation import _like

_METHOD = ("method",)
_FACTORY_KW = "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None"
# C++ type names, as the continuous distributions' dtype errors print them
_CPP_NAMES = {dt.int64: "long int", dt.int32: "int", dt.int16: "short int", dt.int8: "signed char",
              dt.uint8: "unsigned char", dt.bool: "bool"}


def _num(x):
    """A parameter as torch prints it in messages: -1, 0.5."""
    return f"{x:g}" if isinstance(x, float) else str(x)


def _host(xp, arr):
    """A NumPy array of samples on the backend `xp`."""
    return arr if xp is np else xp.asarray(arr)


# ------------------------------------------------- float dtype checks --
def _not_implemented(kernel_name):
    def check_dtype(d):
        check(d.is_floating_point, lambda: f'"{kernel_name}" not implemented for \'{torch_type_name(d)}\'',
              NotImplementedError)
    return check_dtype


def _continuous(dist, cpp_names):
    def check_dtype(d):
        check(d.is_floating_point,
              lambda: f"{dist} distribution is a continuous probability distribution. dtype must be a floating "
                      f"point but you specified {_CPP_NAMES[d] if cpp_names else torch_type_name(d)}")
    return check_dtype


def _any_dtype(d):
    pass


# --------------------------------------- the self-shaped distributions --
# name -> (argument text, dtype check, parameter check, sampler(rng, shape, *params) -> float64 or int64)
_DISTRIBUTIONS = {
    "uniform": ("float from=0., float to=1.", _not_implemented("check_uniform_bounds"),
                lambda lo, hi: check(lo <= hi, lambda: f"uniform_ expects to return a [from, to) range, but found "
                                                       f"from={_num(lo)} > to={_num(hi)}"),
                lambda rng, shape, lo, hi: rng.uniform(lo, hi, shape)),
    "normal_functional": ("float mean=0., float std=1.", _not_implemented("normal_kernel_cpu"),
                          lambda mean, std: check(std >= 0, lambda: f"normal expects std >= 0.0, but found std "
                                                                    f"{_num(std)}"),
                          lambda rng, shape, mean, std: rng.normal(mean, std, shape)),
    "cauchy": ("float median=0., float sigma=1.", _continuous("Cauchy", True),
               lambda median, sigma: check(sigma > 0, lambda: f"cauchy_ expects sigma > 0.0, but found "
                                                              f"sigma={_num(sigma)}"),
               lambda rng, shape, median, sigma: median + sigma * rng.standard_cauchy(shape)),
    "exponential": ("float lambd=1.", _continuous("Exponential", False),
                    lambda lambd: check(lambd > 0, lambda: f"exponential_ expects lambda > 0.0, but found "
                                                           f"lambda={_num(lambd)}"),
                    lambda rng, shape, lambd: rng.exponential(1.0 / lambd, shape)),
    "log_normal": ("float mean=1., float std=2.", _not_implemented("log_normal_cpu"),
                   lambda mean, std: check(std > 0, lambda: f"log_normal_ expects std > 0.0, but found "
                                                            f"std={_num(std)}"),
                   lambda rng, shape, mean, std: rng.lognormal(mean, std, shape)),
    "geometric": ("float p", _any_dtype,
                  lambda p: check(0 < p < 1, lambda: f"geometric_ expects p to be in (0, 1), but got p={_num(p)}"),
                  lambda rng, shape, p: rng.geometric(p, shape)),
}


def _distribution(check_dtype, check_params, sample):
    def meta(self, *params, generator=None):
        check_dtype(self.dtype)
        check_params(*params)
        return fake_like(self.shape, self.dtype, self)

    def kernel(xp, self, *params, generator=None):
        d = dtype_of(self)
        check_dtype(d)
        check_params(*params)
        return _host(xp, sample(_random.generator(), tuple(self.shape), *params).astype(d.numpy_dtype))
    return meta, kernel


def _defaults(args_text):
    """The parameters' defaults from the argument text ("float p" has none)."""
    return [float(a.split("=")[1]) for a in args_text.split(", ") if "=" in a]


def _with_defaults(fn, n_params, defaults):
    # the meta/kernel see every parameter (the schema's defaults filled in for missing ones)
    def wrapped(*args, generator=None):
        head, params = args[:n_params], list(args[n_params:])
        missing = len(defaults) - len(params)
        return fn(*head, *(params + defaults[len(defaults) - missing:] if missing > 0 else params))
    return wrapped


for _name, (_args, _check_dtype, _check_params, _sample) in _DISTRIBUTIONS.items():
    _meta, _kernel = _distribution(_check_dtype, _check_params, _sample)
    _d = _defaults(_args)
    _op = register(f"{_name}(Tensor self, {_args}, *, Generator? generator=None) -> Tensor",
                   meta=_with_defaults(_meta, 1, _d), kernel=_with_defaults(_kernel, 2, _d),
                   tags=("nondeterministic_seeded",))
    _inplace = "normal_" if _name == "normal_functional" else _name + "_"
    register_inplace(_op, f"{_inplace}(Tensor(a!) self, {_args}, *, Generator? generator=None) -> Tensor(a!)",
                     variants=_METHOD)


# ------------------------------------------------------------ bernoulli --
def _bernoulli_p_check(p):
    check(0 <= p <= 1, lambda: f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")


def _bernoulli_meta(self, *, generator=None):
    _not_implemented("bernoulli_tensor_cpu_p_")(self.dtype)
    return fake_like(self.shape, self.dtype, self)


def _bernoulli_kernel(xp, self, *, generator=None):
    d = dtype_of(self)
    _not_implemented("bernoulli_tensor_cpu_p_")(d)
    _probabilities_check(xp, self)
    u = _host(xp, _random.uniform(self.shape))
    return (u < self).astype(d.numpy_dtype)


def _probabilities_check(xp, p):
    check(bool(xp.all((p >= 0) & (p <= 1))),
          "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  "
          "If so, please report an enhancement request to PyTorch.)")


def _bernoulli_decomp(self, *, generator=None):
    u = aten.rand.default(list(self.shape), dtype=self.dtype, device=self.device)
    return aten._to_copy.default(aten.lt.Tensor(u, self), dtype=self.dtype)


def _bernoulli_p_meta(self, p=0.5, *, generator=None):     # 0.5: bernoulli_.float's default
    _bernoulli_p_check(p)
    return fake_like(self.shape, self.dtype, self)


def _bernoulli_p_kernel(xp, self, p=0.5, *, generator=None):
    _bernoulli_p_check(p)
    return _host(xp, _random.uniform(self.shape) < p).astype(dtype_of(self).numpy_dtype)


def _bernoulli_tensor_shape(shape, p_shape):
    check(len(p_shape) <= len(shape) and broadcast_shapes(shape, p_shape, op="bernoulli") == tuple(shape),
          lambda: f"expand({list(p_shape)}, size={list(shape)}): the probabilities must broadcast to self's shape")


def _bernoulli_tensor_meta(self, p, *, generator=None):
    _bernoulli_tensor_shape(self.shape, p.shape)
    return fake_like(self.shape, self.dtype, self)


def _bernoulli_tensor_kernel(xp, self, p, *, generator=None):
    _bernoulli_tensor_shape(self.shape, p.shape)
    _probabilities_check(xp, p)
    return (_host(xp, _random.uniform(self.shape)) < p).astype(dtype_of(self).numpy_dtype)


_bernoulli_gen = "*, Generator? generator=None"
register(f"bernoulli(Tensor self, {_bernoulli_gen}) -> Tensor", meta=_bernoulli_meta, kernel=_bernoulli_kernel,
         decomposition=_bernoulli_decomp, tags=("nondeterministic_seeded",), variants=FUNCTION_AND_METHOD)
_bernoulli_p = register(f"bernoulli.p(Tensor self, float p, {_bernoulli_gen}) -> Tensor", meta=_bernoulli_p_meta,
                        kernel=_bernoulli_p_kernel, tags=("nondeterministic_seeded",), variants=FUNCTION_AND_METHOD)
_bernoulli_t = register(f"bernoulli.Tensor(Tensor self, Tensor p, {_bernoulli_gen}) -> Tensor",
                        meta=_bernoulli_tensor_meta, kernel=_bernoulli_tensor_kernel,
                        tags=("nondeterministic_seeded",), variants=FUNCTION_AND_METHOD)
register_inplace(_bernoulli_t, f"bernoulli_.Tensor(Tensor(a!) self, Tensor p, {_bernoulli_gen}) -> Tensor(a!)",
                 variants=_METHOD)
register_inplace(_bernoulli_p, f"bernoulli_.float(Tensor(a!) self, float p=0.5, {_bernoulli_gen}) -> Tensor(a!)",
                 variants=_METHOD)


# --------------------------------------------------------------- normal --
_normal_dtype = _not_implemented("normal_kernel_cpu")


def _std_check(std):
    check(std >= 0, lambda: f"normal expects std >= 0.0, but found std {_num(std)}")


def _stds_check(xp, std):
    check(bool(xp.all(std >= 0)), "normal expects all elements of std >= 0.0")


def _normal_tf_meta(mean, std=1.0, *, generator=None):
    _normal_dtype(mean.dtype)
    _std_check(std)
    return fake_like(mean.shape, mean.dtype, mean)


def _normal_tf_kernel(xp, mean, std=1.0, *, generator=None):
    _normal_dtype(dtype_of(mean))
    _std_check(std)
    return (mean + _host(xp, _random.normal(mean.shape, 0.0, std))).astype(mean.dtype)


def _normal_ft_meta(mean, std, *, generator=None):
    _normal_dtype(std.dtype)
    return fake_like(std.shape, std.dtype, std)


def _normal_ft_kernel(xp, mean, std, *, generator=None):
    _normal_dtype(dtype_of(std))
    _stds_check(xp, std)
    return (mean + std * _host(xp, _random.normal(std.shape))).astype(std.dtype)


def _normal_tt_meta(mean, std, *, generator=None):
    _normal_dtype(mean.dtype)
    return fake_like(broadcast_shapes(mean.shape, std.shape, op="normal"), mean.dtype, mean)


def _normal_tt_kernel(xp, mean, std, *, generator=None):
    _normal_dtype(dtype_of(mean))
    shape = broadcast_shapes(mean.shape, std.shape, op="normal")
    _stds_check(xp, std)
    return (mean + std * _host(xp, _random.normal(shape))).astype(mean.dtype)


def _normal_ff_meta(mean, std, size, *, generator=None, dtype=None, layout=None, device=None, pin_memory=None):
    d = dtype or dt.get_default_dtype()
    _normal_dtype(d)
    _std_check(std)
    return make_fake(tuple(size), d, device)


def _normal_ff_kernel(xp, mean, std, size, *, generator=None, dtype=None, layout=None, device=None,
                      pin_memory=None):
    d = dtype or dt.get_default_dtype()
    _normal_dtype(d)
    _std_check(std)
    return _host(xp, _random.normal(tuple(size), mean, std).astype(d.numpy_dtype))


_seeded = ("nondeterministic_seeded",)
_FN = ("function",)
register("normal.Tensor_float(Tensor mean, float std=1., *, Generator? generator=None) -> Tensor",
         meta=_normal_tf_meta, kernel=_normal_tf_kernel, tags=_seeded, variants=_FN)
register("normal.float_Tensor(float mean, Tensor std, *, Generator? generator=None) -> Tensor",
         meta=_normal_ft_meta, kernel=_normal_ft_kernel, tags=_seeded, variants=_FN)
register("normal.Tensor_Tensor(Tensor mean, Tensor std, *, Generator? generator=None) -> Tensor",
         meta=_normal_tt_meta, kernel=_normal_tt_kernel, tags=_seeded, variants=_FN)
register(f"normal.float_float(float mean, float std, SymInt[] size, *, Generator? generator=None, {_FACTORY_KW}) "
         "-> Tensor", meta=_normal_ff_meta, kernel=_normal_ff_kernel, tags=_seeded, variants=_FN)


# ---------------------------------------------------------- multinomial --
def _multinomial_check(shape, d, n, replacement):
    check(len(shape) in (1, 2), "prob_dist must be 1 or 2 dim")
    check(d.is_floating_point, lambda: f"multinomial only supports floating-point dtypes for input, got: "
                                       f"{torch_type_name(d)}")
    check(n > 0, "cannot sample n_sample <= 0 samples")
    check(replacement or n <= shape[-1],
          "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    return tuple(shape[:-1]) + (n,)


def _multinomial_meta(self, num_samples, replacement=False, *, generator=None):
    return fake_like(_multinomial_check(self.shape, self.dtype, num_samples, replacement), dt.int64, self)


def _multinomial_kernel(xp, self, num_samples, replacement=False, *, generator=None):
    out_shape = _multinomial_check(self.shape, dtype_of(self), num_samples, replacement)
    p = xp.asarray(self, dtype=np.float64).reshape(-1, self.shape[-1])
    check(bool(xp.all(xp.isfinite(p) & (p >= 0))), "probability tensor contains either `inf`, `nan` or element < 0")
    total = p.sum(axis=1, keepdims=True)
    check(bool(xp.all(total > 0)), "invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _random.generator()
    if replacement:
        # inverse CDF: the number of cumulative sums at or below a uniform draw is the category
        cdf = xp.cumsum(p / total, axis=1)
        u = _host(xp, rng.random((p.shape[0], num_samples, 1)))
        picks = xp.minimum((cdf[:, None, :] <= u).sum(axis=2), p.shape[1] - 1)
    else:
        # without replacement: the n largest p / Exp(1) keys (zero-probability categories come last)
        keys = p / _host(xp, rng.exponential(1.0, p.shape))
        picks = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return picks.reshape(out_shape).astype(np.int64)


register("multinomial(Tensor self, SymInt num_samples, bool replacement=False, *, Generator? generator=None) "
         "-> Tensor", meta=_multinomial_meta, kernel=_multinomial_kernel, tags=_seeded, variants=FUNCTION_AND_METHOD)


# --------------------------------------------------------- randint_like --
def _randint_values(xp, shape, d, *bounds):
    low, high = (0,) + bounds if len(bounds) == 1 else bounds
    if not isinstance(high, int):      # randint_like.Tensor: a 0-d tensor bound
        high = int(high.item() if hasattr(high, "item") else high)
        check(low < high, lambda: f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _host(xp, _random.integers(shape, low, high).astype(d.numpy_dtype))


def _randint_like_dtype(self, rest, dtype):
    # the bounds are checked here: the meta and the kernel of `_like` both ask for the dtype
    low, high = (0,) + tuple(rest) if len(rest) == 1 else tuple(rest)
    if isinstance(high, int):
        check(low < high, lambda: f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return dtype or dtype_of(self)


_LIKE_KW = _FACTORY_KW + ", MemoryFormat? memory_format=None"
_like(f"randint_like(Tensor self, SymInt high, *, {_LIKE_KW}) -> Tensor", _randint_values, _randint_like_dtype,
      tags=_seeded)
_like(f"randint_like.Tensor(Tensor self, Tensor high, *, {_LIKE_KW}) -> Tensor", _randint_values,
      _randint_like_dtype, tags=_seeded)
_like(f"randint_like.low_dtype(Tensor self, SymInt low, SymInt high, *, {_LIKE_KW}) -> Tensor", _randint_values,
      _randint_like_dtype, tags=_seeded)
