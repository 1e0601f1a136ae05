"""A bounded reader of torch's srepr expressions: whitelisted grammar, bounded numbers, then sympy.

Grammar (no other text is accepted):

    value  := INT | 'name' | 'float text' | True | False | NAME '(' [arg {',' arg}] ')'
    arg    := [NAME '='] value

NAME must be one of _RULES (or Symbol).  Before a constructor runs, the
parser bounds the size of what it will compute: every node carries an upper
bound on the bits of the constant it may evaluate to (a symbol counts 0), and
a bound above `limits.max_expr_int_bits`, a division by a constant zero, a
huge exponent or a Float of absurd precision is refused.  So sympy only ever
evaluates arithmetic on numbers already known to be small.
"""
import re

from .errors import SerializationError
from .limits import DEFAULT_LIMITS

__all__ = ["parse_expr"]

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+)|(?P<str>'[A-Za-z_][A-Za-z0-9_]*')"
                    r"|(?P<float>'-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<punct>[(),=]))")
_MAX_DEPTH = 50
_MAX_FLOAT_TEXT = 40


def _int_bits(args):
    return max((b for _, b in args), default=0)


def _sum_bits(args):
    return sum(b for _, b in args)


def _add_bits(args):
    return _int_bits(args) + len(args).bit_length()


def _pow_bits(args):
    (base, base_bits), (exp, exp_bits) = args
    if _is_integer(exp):
        return base_bits * abs(int(exp))
    return base_bits + exp_bits


def _is_integer(value):
    return type(value) is int or getattr(value, "is_Integer", False)


# name -> (arity: int or None for any, bits bound of the result from [(value, bits)], constructor of sympy values)
def _rules():
    import sympy

    from ..symbolic import FloorDiv
    return {
        "Integer": (1, _int_bits, sympy.Integer),
        "Float": (None, _int_bits, lambda text, precision=53: sympy.Float(text, precision=precision)),
        "ToFloat": (1, _int_bits, lambda a: a),
        "FloatTrueDiv": (2, _sum_bits, lambda a, b: a / b),
        "IntTrueDiv": (2, _sum_bits, lambda a, b: a / b),
        "Add": (None, _add_bits, sympy.Add), "Mul": (None, _sum_bits, sympy.Mul),
        "Pow": (2, _pow_bits, sympy.Pow), "Rational": (2, _sum_bits, sympy.Rational),
        "Mod": (2, _int_bits, sympy.Mod), "floor": (1, _int_bits, sympy.floor),
        "FloorDiv": (2, _sum_bits, lambda a, b: FloorDiv(a / b)),
        "Max": (None, _int_bits, sympy.Max), "Min": (None, _int_bits, sympy.Min),
        "Equality": (2, _int_bits, sympy.Eq), "Unequality": (2, _int_bits, sympy.Ne),
        "GreaterThan": (2, _int_bits, sympy.Ge), "StrictGreaterThan": (2, _int_bits, sympy.Gt),
        "LessThan": (2, _int_bits, sympy.Le), "StrictLessThan": (2, _int_bits, sympy.Lt),
        "Not": (1, _int_bits, sympy.Not), "And": (None, _int_bits, sympy.And), "Or": (None, _int_bits, sympy.Or),
        # torch's own size functions (torch/utils/_sympy/functions.py), read as the sympy they mean
        "CeilToInt": (1, _int_bits, sympy.ceiling), "FloorToInt": (1, _int_bits, sympy.floor),
        "TruncToInt": (1, _int_bits, _trunc), "TruncToFloat": (1, _int_bits, _trunc),
        "PythonMod": (2, _int_bits, sympy.Mod), "CleanDiv": (2, _sum_bits, lambda a, b: a / b),
        "CeilDiv": (2, _sum_bits, lambda a, b: sympy.ceiling(a / b)),
        "PowByNatural": (2, _pow_bits, sympy.Pow), "FloatPow": (2, _pow_bits, sympy.Pow),
        "Identity": (1, _int_bits, lambda a: a),
    }


def _trunc(x):
    """Rounding toward zero: floor for what is known non-negative, else floor or ceiling by sign."""
    import sympy
    x = sympy.sympify(x)
    if x.is_nonnegative:
        return sympy.floor(x)
    if x.is_nonpositive:
        return sympy.ceiling(x)
    return sympy.Piecewise((sympy.floor(x), x >= 0), (sympy.ceiling(x), True))


_RULES = None
_POWERS = frozenset(("Pow", "PowByNatural", "FloatPow"))
_DIVISORS = {"FloatTrueDiv": 1, "IntTrueDiv": 1, "Rational": 1, "Mod": 1, "FloorDiv": 1, "PythonMod": 1,
             "CleanDiv": 1, "CeilDiv": 1}


_ARITHMETIC = frozenset(("Integer", "ToFloat", "FloatTrueDiv", "IntTrueDiv", "Add", "Mul", "Pow", "Rational", "Mod",
                         "floor", "FloorDiv", "Max", "Min", "CeilToInt", "FloorToInt", "TruncToInt", "TruncToFloat",
                         "PythonMod", "CleanDiv", "CeilDiv", "PowByNatural", "FloatPow", "Identity"))


def _is_boolean(value):
    """True for truth values and relations (a Symbol is both an Expr and a Boolean: not one)."""
    from sympy import Expr
    from sympy.logic.boolalg import Boolean
    return isinstance(value, bool) or isinstance(value, Boolean) and not isinstance(value, Expr)


def _is_zero(value):
    return value == 0 and not isinstance(value, bool) and getattr(value, "is_zero", value == 0) is True


def parse_expr(text, symbol, limits=DEFAULT_LIMITS):
    """The sympy expression of srepr `text`; `symbol(name)` supplies each Symbol; SerializationError if hostile."""
    global _RULES
    if not isinstance(text, str) or len(text) > limits.max_expr_chars:
        raise SerializationError(f"a symbolic expression must be a string of at most {limits.max_expr_chars} "
                                 "characters")
    if _RULES is None:
        _RULES = _rules()
    it = _Tokens(_tokenize(text), text)
    short = text[:80]
    # an integer literal's digits are bounded before int() runs (int() of 4,300+ digits is itself an error)
    max_digits = limits.max_expr_int_bits * 30103 // 100000 + 2

    def fail(rule):
        return SerializationError(f"symbolic expression {short!r}: {rule}")

    def value(depth):
        """(value, bound on its constant's bits)."""
        if depth > _MAX_DEPTH:
            raise fail(f"nested more than {_MAX_DEPTH} deep")
        kind, tok = it.next()
        if kind == "num":
            if len(tok.lstrip("-")) > max_digits:
                raise fail(f"an integer of {len(tok)} digits exceeds {limits.max_expr_int_bits} bits")
            n = int(tok)
            return n, n.bit_length()
        if kind == "str":
            return tok[1:-1], 0
        if kind == "float":
            if len(tok) > _MAX_FLOAT_TEXT:
                raise fail(f"a Float literal longer than {_MAX_FLOAT_TEXT} characters")
            return tok[1:-1], 0
        if kind == "name" and tok in ("True", "False"):
            return tok == "True", 1
        if kind != "name":
            raise fail(f"unexpected {tok!r}")
        it.expect("(")
        args, kwargs = [], {}
        if not it.peek(")"):
            while True:
                if it.peek_kwarg():
                    key = it.next()[1]
                    it.expect("=")
                    kwargs[key] = value(depth + 1)
                else:
                    args.append(value(depth + 1))
                if it.peek(")"):
                    break
                it.expect(",")
        it.expect(")")
        if tok == "Symbol":
            if len(args) != 1 or not isinstance(args[0][0], str):
                raise fail("bad Symbol")
            return symbol(args[0][0]), 0
        return apply(tok, args, kwargs)

    def apply(name, args, kwargs):
        rule = _RULES.get(name)
        if rule is None:
            raise fail(f"uses '{name}', which minexport does not read")
        arity, bits_of, ctor = rule
        if arity is not None and len(args) != arity:
            raise fail(f"{name} takes {arity} arguments, got {len(args)}")
        if name == "Float":
            precision = kwargs.get("precision", (53, 0))[0]
            if type(precision) is not int or not 1 <= precision <= limits.max_float_precision:
                raise fail(f"Float precision {precision!r} is outside [1, {limits.max_float_precision}]")
        elif kwargs:
            raise fail(f"{name} takes no keyword arguments")
        if name in _ARITHMETIC and any(_is_boolean(v) for v, _ in args):
            raise fail(f"{name} of a truth value")
        if name in _DIVISORS and _is_zero(args[1][0]):
            raise fail(f"division by zero in {name}")
        if name in _POWERS:
            exp = args[1][0]
            base = args[0][0]
            if _is_integer(exp):
                if abs(int(exp)) > limits.max_expr_int_bits:
                    raise fail(f"exponent {int(exp)} exceeds {limits.max_expr_int_bits}")
                if int(exp) < 0 and _is_zero(base):
                    raise fail("0 raised to a negative power")
            elif getattr(exp, "is_number", False) and not getattr(exp, "is_Rational", False) \
                    and getattr(base, "is_number", type(base) is int):
                # a number to a non-integer, non-rational power would be evaluated to arbitrary precision
                raise fail("a constant raised to a non-rational power")
        bits = bits_of(args)
        if bits > limits.max_expr_int_bits:
            raise fail(f"{name} may compute a number of {bits} bits, more than {limits.max_expr_int_bits}")
        try:
            return ctor(*(v for v, _ in args), **{k: v for k, (v, _) in kwargs.items()}), bits
        except (TypeError, ValueError, ArithmeticError, AttributeError) as e:
            raise fail(f"{name}: {type(e).__name__}: {e}") from None

    result, _ = value(0)
    if not it.done():
        raise fail("trailing text")
    return result


def _tokenize(text):
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise SerializationError(f"cannot parse the symbolic expression {text[:80]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Tokens:
    def __init__(self, tokens, text):
        self.tokens, self.i, self.text = tokens, 0, text

    def next(self):
        if self.i >= len(self.tokens):
            raise SerializationError(f"the symbolic expression {self.text[:80]!r} ends early")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def peek(self, punct):
        return self.i < len(self.tokens) and self.tokens[self.i] == ("punct", punct)

    def peek_kwarg(self):
        return (self.i + 1 < len(self.tokens) and self.tokens[self.i][0] == "name"
                and self.tokens[self.i + 1] == ("punct", "="))

    def expect(self, punct):
        kind, tok = self.next()
        if (kind, tok) != ("punct", punct):
            raise SerializationError(f"expected {punct!r} in the symbolic expression {self.text[:80]!r}")

    def done(self):
        return self.i == len(self.tokens)
