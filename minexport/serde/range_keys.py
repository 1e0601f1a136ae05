"""The keys of an archive's range_constraints: a symbol's name, or a derived dim as torch prints it.

torch writes one range entry per derived dim of `dynamic_shapes` (`2*d`, `d + 1`, `2*d - 3`), keyed by
the expression's printed text, e.g. `2*s77 + 1`.  Derived dims are linear in one symbol, so the
grammar read here is exactly that (nothing is evaluated; every integer is bounded first):

    key  := ['-'] term {('+' | '-') term}
    term := INT | [INT '*'] SYMBOL
"""
import re

from .errors import SerializationError

__all__ = ["parse_range_key"]

_TOKEN = re.compile(r"\s*(?:(?P<int>\d+)|(?P<sym>(?:s|u)\d+)|(?P<op>[-+*]))")


def parse_range_key(text, symbol, limits):
    """The sympy expression a range_constraints key names; `symbol(name)` supplies each symbol."""
    import sympy
    if not isinstance(text, str) or len(text) > limits.max_expr_chars:
        raise SerializationError(f"a range_constraints key must be a string of at most {limits.max_expr_chars} "
                                 "characters")

    def fail(rule):
        return SerializationError(f"range_constraints key {text[:80]!r}: {rule} (expected a symbol such as "
                                  "'s0' or a derived dim such as '2*s0 + 1')")

    tokens, pos = [], 0
    max_digits = limits.max_expr_int_bits * 30103 // 100000 + 1
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if not m:
            raise fail(f"unexpected text at {pos}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    if not tokens:
        raise fail("empty")
    total, sign, i = sympy.Integer(0), 1, 0
    if tokens[0] == ("op", "-"):
        sign, i = -1, 1
    while True:
        # one term: INT, SYMBOL or INT '*' SYMBOL
        kind, tok = tokens[i] if i < len(tokens) else (None, None)
        if kind == "int":
            if len(tok) > max_digits:
                raise fail(f"an integer of more than {limits.max_expr_int_bits} bits")
            value, i = sympy.Integer(int(tok)), i + 1
            if i < len(tokens) and tokens[i] == ("op", "*"):
                if i + 1 >= len(tokens) or tokens[i + 1][0] != "sym":
                    raise fail("'*' must be followed by a symbol")
                value, i = value * symbol(tokens[i + 1][1]), i + 2
        elif kind == "sym":
            value, i = symbol(tok), i + 1
        else:
            raise fail("expected a number or a symbol")
        total += sign * value
        if i == len(tokens):
            return total
        if tokens[i] not in (("op", "+"), ("op", "-")) or i + 1 == len(tokens):
            raise fail("expected '+' or '-' between terms")
        sign, i = (1 if tokens[i][1] == "+" else -1), i + 1
