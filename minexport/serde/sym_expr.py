"""Symbolic size expressions in archives: written with sympy's srepr, read back by expr_parser's bounded parser.

torch writes expressions as srepr text (`Mul(Integer(2), Symbol('s0', positive=True, integer=True))`).
Reading never evaluates the text: expr_parser.py accepts only a whitelist of
constructors, bounds every number before sympy computes with it, and builds
the sympy objects itself.
"""
from .expr_parser import parse_expr

__all__ = ["dump_expr", "parse_expr"]


def dump_expr(expr):
    """srepr text of a sympy expression."""
    import sympy
    return sympy.srepr(expr)
