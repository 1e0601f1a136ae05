"""Utilities (`minexport.utils._pytree`, at torch's module path)."""
