"""The gamma family on float64 arrays of either backend (`xp` is NumPy or CuPy).

log-gamma, digamma, polygamma (through the Hurwitz zeta function), the
modified Bessel function I0 and the regularized incomplete gamma functions,
written from their textbook series: a recurrence shifts the argument up to
where an asymptotic (Stirling / Euler-Maclaurin) series converges to double
precision, and a reflection formula handles negative arguments.  Every function
takes and returns float64 arrays; callers round to the tensor's dtype.  Values
at poles and outside the domain (inf, NaN) follow torch's CPU kernels.
"""
import math

import numpy as np

# Bernoulli numbers B_2, B_4, ..., B_14 (exact rationals as floats)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
# arguments at least this large are in the asymptotic series' double-precision range
_SHIFT_TO = 10.0
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _quiet(xp):
    """A context silencing NumPy's floating-point warnings (inf and NaN results are intended)."""
    return np.errstate(all="ignore")


def _stirling_tail(xp, x):
    """sum_k B_2k / (2k (2k-1) x^(2k-1)): Stirling's correction to log-gamma, for x >= _SHIFT_TO."""
    inv2 = 1.0 / (x * x)
    acc = xp.zeros_like(x)
    for k in range(len(_BERNOULLI), 0, -1):
        acc = acc * inv2 + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    return acc / x


def _lgamma_positive(xp, x):
    """log-gamma for x >= 0.5 (float64): recurrence up to 10, then Stirling's series."""
    # log Gamma(x) = log Gamma(x + n) - log(x (x+1) ... (x+n-1)); n <= 10 keeps the product finite
    n_max = int(_SHIFT_TO)
    prod = xp.ones_like(x)
    y = x.copy()
    for _ in range(n_max):
        low = y < _SHIFT_TO
        prod = xp.where(low, prod * y, prod)
        y = xp.where(low, y + 1.0, y)
    big = (y - 0.5) * xp.log(y) - y + _HALF_LOG_2PI + _stirling_tail(xp, y)
    return big - xp.log(prod)


def _sin_pi(xp, x):
    """|sin(pi x)| accurate for large |x| (the reduction x - round(x) is exact in float64)."""
    return xp.abs(xp.sin(math.pi * (x - xp.round(x))))


def lgamma(xp, x):
    """log |Gamma(x)|: inf at the non-positive integers and at +-inf, NaN for NaN."""
    with _quiet(xp):
        pos = xp.where(x >= 0.5, x, 1.0)
        out = _lgamma_positive(xp, xp.where(xp.isfinite(pos), pos, 1.0))
        # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        neg = xp.where(x < 0.5, x, 0.0)
        neg = xp.where(xp.isfinite(neg), neg, 0.0)
        refl = math.log(math.pi) - xp.log(_sin_pi(xp, neg)) - _lgamma_positive(xp, 1.0 - neg)
        out = xp.where(x >= 0.5, out, refl)
        pole = (x <= 0) & (x == xp.floor(x))
        out = xp.where((x == 1) | (x == 2), 0.0, out)     # its exact zeros (the series leaves ~1e-15)
        out = xp.where(pole | xp.isinf(x), math.inf, out)
        return xp.where(xp.isnan(x), math.nan, out)


def _digamma_asymptotic(xp, x):
    """psi(x) for x >= _SHIFT_TO: log x - 1/(2x) - sum_k B_2k / (2k x^2k)."""
    inv2 = 1.0 / (x * x)
    acc = xp.zeros_like(x)
    for k in range(len(_BERNOULLI), 0, -1):
        acc = acc * inv2 + _BERNOULLI[k - 1] / (2 * k)
    return xp.log(x) - 0.5 / x - acc * inv2


def digamma(xp, x):
    """psi(x) = d/dx log Gamma(x): -inf at +0, +inf at -0, NaN at the negative integers and -inf."""
    with _quiet(xp):
        neg = x < 0
        # reflection: psi(1 - x) - psi(x) = pi cot(pi x); tan has period pi, so reduce x exactly first
        y = xp.where(neg, 1.0 - x, x)
        y = xp.where(xp.isfinite(y) & (y != 0), y, 1.0)
        acc = xp.zeros_like(y)
        z = y.copy()
        for _ in range(int(_SHIFT_TO) + 1):
            low = z < _SHIFT_TO
            acc = xp.where(low, acc + 1.0 / z, acc)
            z = xp.where(low, z + 1.0, z)
        out = _digamma_asymptotic(xp, z) - acc
        r = x - xp.round(x)
        out = xp.where(neg, out - math.pi / xp.tan(math.pi * r), out)
        out = xp.where(x == 0, xp.where(xp.signbit(x), math.inf, -math.inf), out)
        out = xp.where(neg & (x == xp.floor(x)), math.nan, out)
        out = xp.where(x == math.inf, math.inf, out)
        return xp.where(xp.isnan(x), math.nan, out)


# at most this many terms (elements x block) are evaluated at once while summing the leading terms
_BLOCK_BUDGET = 1 << 22


def _leading_terms(xp, s, z):
    """(sum of (z + k)^-s over the k with z + k < 10, z moved past them) for a flat-or-any float array z.

    Summed in blocks of up to 1024 consecutive terms per element, over the elements still below 10 only,
    so a very negative z (torch sums those term by term too) costs |z| / 1024 steps."""
    acc = xp.zeros_like(z)
    z = z.copy()
    flat_acc, flat_z = acc.reshape(-1), z.reshape(-1)
    active = xp.nonzero(flat_z < _SHIFT_TO)[0]
    while active.size:
        block = max(1, min(1024, _BLOCK_BUDGET // int(active.size)))
        za = flat_z[active]
        take = xp.minimum(xp.ceil(_SHIFT_TO - za), block)          # terms of this round, per element
        k = xp.arange(block, dtype=z.dtype)
        terms = xp.where(k < take[:, None], (za[:, None] + k) ** -s, 0.0)
        flat_acc[active] += terms.sum(axis=1)
        flat_z[active] = za + take
        active = active[flat_z[active] < _SHIFT_TO]
    return acc, z


def hurwitz_zeta(xp, s, q):
    """zeta(s, q) = sum_k (q + k)^-s for an integer s >= 2 (q any float array).

    Inf at the non-positive integers q and at q = -inf, NaN at q = +inf (as
    torch's zeta).  The first terms are summed until q + k reaches 10 (for a
    very negative q that is many steps), the rest by Euler-Maclaurin: an
    integral, half the first term, and Bernoulli corrections.
    """
    with _quiet(xp):
        pole = (q <= 0) & (q == xp.floor(q))    # -inf included
        z = xp.where(xp.isfinite(q) & ~pole, q, _SHIFT_TO)
        acc, z = _leading_terms(xp, s, z)
        tail = z ** (1.0 - s) / (s - 1) + 0.5 * z ** -s
        # B_2j / (2j)! * s (s+1) ... (s+2j-2) * z^(-s-2j+1)
        rising, fact = float(s), 2.0
        for j in range(1, len(_BERNOULLI) + 1):
            tail = tail + _BERNOULLI[j - 1] / fact * rising * z ** (-s - 2 * j + 1)
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            fact *= (2 * j + 1) * (2 * j + 2)
        out = acc + tail
        out = xp.where(pole, math.inf, out)
        return xp.where(xp.isnan(q) | (q == math.inf), math.nan, out)


def trigamma(xp, x, sin_pi_x):
    """psi'(x); for x < 0.5 through the reflection psi'(x) + psi'(1 - x) = pi^2 / sin^2(pi x), with
    `sin_pi_x` given by the caller (torch evaluates that sine in the tensor's own precision, which sets
    the huge finite values it returns at the negative integers)."""
    with _quiet(xp):
        low = x < 0.5
        y = xp.where(low, 1.0 - x, x)
        out = hurwitz_zeta(xp, 2, y)
        refl = (math.pi * math.pi) / (sin_pi_x * sin_pi_x) - out
        return xp.where(low, refl, xp.where(x == math.inf, 0.0, out))


def polygamma(xp, n, x):
    """The n-th derivative of digamma for n >= 2: (-1)^(n+1) n! zeta(n + 1, x)."""
    sign = 1.0 if n % 2 else -1.0
    with _quiet(xp):
        return sign * math.factorial(n) * hurwitz_zeta(xp, n + 1, x)


# ------------------------------------------------------------------- I0 --
_I0_SERIES_BELOW = 30.0


def i0(xp, x):
    """The modified Bessel function of the first kind, order 0: a power series for |x| < 30, the
    asymptotic expansion e^x / sqrt(2 pi x) (1 + 1/(8x) + 9/(2 (8x)^2) + ...) beyond; NaN at +-inf."""
    with _quiet(xp):
        ax = xp.abs(x)
        small = xp.where(ax < _I0_SERIES_BELOW, ax, 0.0)
        # sum_k (x^2/4)^k / (k!)^2; at |x| < 30 the terms fall below 1e-17 of the sum by k = 90
        q = small * small / 4.0
        term = xp.ones_like(q)
        series = xp.ones_like(q)
        for k in range(1, 91):
            term = term * q / (k * k)
            series = series + term
        big = xp.where(ax < _I0_SERIES_BELOW, _I0_SERIES_BELOW, ax)
        # the expansion's k-th coefficient is ((2k-1)!!)^2 / (k! 8^k)
        inv = 1.0 / (8.0 * big)
        coef, acc, power = 1.0, xp.ones_like(big), xp.ones_like(big)
        for k in range(1, 16):
            coef *= (2 * k - 1) ** 2 / k
            power = power * inv
            acc = acc + coef * power
        # e^x split in two so the result overflows only when the true value does
        half = xp.exp(big / 2)
        asym = half * (half / xp.sqrt(2 * math.pi * big)) * acc
        out = xp.where(ax < _I0_SERIES_BELOW, series, asym)
        return xp.where(xp.isinf(x), math.nan, out)


# ------------------------------------------------- incomplete gamma --
_MAX_TERMS = 5000
_TINY = 1e-300


def _prefactor(xp, a, x):
    """x^a e^-x / Gamma(a) in logs (no overflow in between)."""
    return xp.exp(a * xp.log(x) - x - lgamma(xp, a))


def _lower_series(xp, a, x):
    """P(a, x) by its power series sum_k x^k / (a (a+1) ... (a+k)) (converges fast for x < a + 1)."""
    term = 1.0 / a
    total = term
    for k in range(1, _MAX_TERMS):
        term = term * x / (a + k)
        total = total + term
        if not bool((xp.abs(term) > xp.abs(total) * 1e-17).any()):
            break
    return total * _prefactor(xp, a, x)


def _upper_fraction(xp, a, x):
    """Q(a, x) by its continued fraction, evaluated with the modified Lentz method (for x >= a + 1)."""
    b = x + 1.0 - a
    c = xp.full_like(x, 1.0 / _TINY)
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < _TINY, _TINY, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < _TINY, _TINY, c)
        d = 1.0 / d
        delta = d * c
        h = h * delta
        if not bool((xp.abs(delta - 1.0) > 1e-16).any()):
            break
    return h * _prefactor(xp, a, x)


# torch's special cases, checked in this order: (condition, P value); Q is 1 - P except for NaN
def _edge_cases(xp, a, x):
    nan = math.nan
    return (
        ((x < 0) | (a < 0), nan),
        (a == 0, xp.where(x > 0, 1.0, nan)),
        (x == 0, 0.0),
        (xp.isinf(a), xp.where(xp.isinf(x), nan, 0.0)),
        (xp.isinf(x), 1.0),
    )


def _incomplete(xp, a, x, upper):
    a, x = xp.broadcast_arrays(a, x)
    with _quiet(xp):
        plain = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
        sa = xp.where(plain, a, 1.0)
        sx = xp.where(plain, x, 1.0)
        use_series = sx < sa + 1.0
        p_series = _lower_series(xp, xp.where(use_series, sa, 1.0), xp.where(use_series, sx, 0.5))
        q_frac = _upper_fraction(xp, xp.where(use_series, 1.0, sa), xp.where(use_series, 2.0, sx))
        if upper:
            out = xp.where(use_series, 1.0 - p_series, q_frac)
        else:
            out = xp.where(use_series, p_series, 1.0 - q_frac)
        out = xp.where(plain, out, math.nan)
        # the edge cases, last rule first so that earlier rules win
        for cond, p_value in reversed(_edge_cases(xp, a, x)):
            value = p_value if not upper else 1.0 - xp.asarray(p_value)
            out = xp.where(cond, value, out)
        return out


def igamma(xp, a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    return _incomplete(xp, a, x, upper=False)


def igammac(xp, a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return _incomplete(xp, a, x, upper=True)
