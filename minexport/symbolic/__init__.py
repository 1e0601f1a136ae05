"""Symbolic sizes: SymInt/SymBool over sympy, and the ShapeEnv that owns symbols, ranges and guards.

Imported only when a program has dynamic dimensions: `import minexport` never
loads sympy.
"""
from .core import FloorDiv, ShapeEnv, SymBool, SymFloat, SymInt, ValueRange, int_oo, is_symbolic
