"""Symbolic size expressions in archives: written with sympy's srepr, read back by a small safe parser.

torch writes expressions as srepr text (`Mul(Integer(2), Symbol('s0', positive=True, integer=True))`).
Reading never evaluates the text: a recursive-descent parser accepts only a
whitelist of constructors and builds the sympy objects itself.
"""
import re

from .errors import SerializationError

__all__ = ["dump_expr", "parse_expr"]

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+)|(?P<str>'[A-Za-z_][A-Za-z0-9_]*')"
                    r"|(?P<float>'-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<punct>[(),=]))")
_MAX_LEN = 10000
_MAX_DEPTH = 50


def dump_expr(expr):
    """srepr text of a sympy expression."""
    import sympy
    return sympy.srepr(expr)


def _constructors():
    import sympy
    return {
        "Integer": lambda n: sympy.Integer(n),
        "Float": lambda text, precision=53: sympy.Float(text, precision=precision),
        "ToFloat": lambda a: a, "FloatTrueDiv": lambda a, b: a / b, "IntTrueDiv": lambda a, b: a / b,
        "Add": lambda *a: sympy.Add(*a), "Mul": lambda *a: sympy.Mul(*a),
        "Pow": lambda a, b: sympy.Pow(a, b), "Rational": lambda a, b: sympy.Rational(a, b),
        "Mod": lambda a, b: sympy.Mod(a, b), "floor": lambda a: sympy.floor(a),
        "FloorDiv": lambda a, b: sympy.floor(a / b), "Max": lambda *a: sympy.Max(*a), "Min": lambda *a: sympy.Min(*a),
        "Equality": lambda a, b: sympy.Eq(a, b), "Unequality": lambda a, b: sympy.Ne(a, b),
        "GreaterThan": lambda a, b: sympy.Ge(a, b), "StrictGreaterThan": lambda a, b: sympy.Gt(a, b),
        "LessThan": lambda a, b: sympy.Le(a, b), "StrictLessThan": lambda a, b: sympy.Lt(a, b),
        "Not": lambda a: sympy.Not(a), "And": lambda *a: sympy.And(*a), "Or": lambda *a: sympy.Or(*a),
    }


def parse_expr(text, symbol):
    """The sympy expression of srepr `text`; `symbol(name)` supplies each Symbol."""
    if not isinstance(text, str) or len(text) > _MAX_LEN:
        raise SerializationError("a symbolic expression must be a string of reasonable length")
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
    ctors = _constructors()
    it = _Tokens(tokens, text)

    def value(depth):
        if depth > _MAX_DEPTH:
            raise SerializationError(f"symbolic expression nested too deeply: {text[:80]!r}")
        kind, tok = it.next()
        if kind == "num":
            return int(tok)
        if kind in ("str", "float"):
            return tok[1:-1]
        if kind == "name" and tok in ("True", "False"):
            return tok == "True"
        if kind != "name":
            raise SerializationError(f"unexpected {tok!r} in the symbolic expression {text[:80]!r}")
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
            if len(args) != 1 or not isinstance(args[0], str):
                raise SerializationError(f"bad Symbol in {text[:80]!r}")
            return symbol(args[0])
        ctor = ctors.get(tok)
        if ctor is None:
            raise SerializationError(f"the symbolic expression uses '{tok}', which minexport does not read")
        try:
            return ctor(*args)
        except (TypeError, ValueError) as e:
            raise SerializationError(f"bad symbolic expression {text[:80]!r}: {e}") from None

    result = value(0)
    if not it.done():
        raise SerializationError(f"trailing text in the symbolic expression {text[:80]!r}")
    return result


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
