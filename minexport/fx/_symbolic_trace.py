"""`symbolic_trace`: a plain module's forward recorded as a graph by running it on Proxies.

As torch.fx: each forward argument becomes a placeholder; a call of a leaf
submodule (minexport's own `nn` layers, except Sequential) becomes one
call_module node, other submodules are traced through; a parameter read
becomes a get_attr node, and a buffer or tensor attribute used in a call
becomes one too.  While tracing, the public functions of `minexport` (torch's
namespace) and `minexport.nn.functional` record a call_function when any
argument is a Proxy, and `Module.__call__`/`__getattr__` are diverted to the
tracer; everything is restored afterwards.  Branching on a traced value is
refused (`TraceError`), as torch.fx refuses it.
"""
import contextlib
import functools
import inspect
import types

from ..nn.module import Module
from ..ops._registry import OpOverload
from ..nn.parameter import Parameter
from .._tensor import Tensor
from .graph import Graph
from .graph_module import GraphModule
from .proxy import Proxy, TracerBase, _contains_proxy

__all__ = ["Tracer", "symbolic_trace"]


class Tracer(TracerBase):
    """Records a module's forward into a Graph (see the module docstring); override `is_leaf_module` to
    choose which submodules stay calls."""

    def __init__(self, autowrap_modules=(), autowrap_functions=()):
        super().__init__()
        self.root = None
        self._attr_proxies = {}

    def is_leaf_module(self, m, module_qualified_name):
        """True for minexport's own layers (torch.nn's), except Sequential: they stay one call_module."""
        from ..nn.modules.container import Sequential
        return type(m).__module__.startswith("minexport.nn") and not isinstance(m, Sequential)

    def path_of_module(self, mod):
        """The dotted path of submodule mod in the root."""
        for name, m in self.root.named_modules():
            if m is mod:
                return name
        raise NameError("module is not installed as a submodule")

    def call_module(self, m, forward, args, kwargs):
        """A leaf module's call as a call_module node; any other module's forward traced through."""
        path = self.path_of_module(m)
        if not self.is_leaf_module(m, path):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", path, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache=None):
        """A parameter of the root read in forward: a get_attr Proxy (one per parameter)."""
        if isinstance(attr_val, Parameter):
            for name, p in self.root.named_parameters():
                if p is attr_val:
                    return self._attr_proxy(name)
        return attr_val

    def _attr_proxy(self, path):
        proxy = self._attr_proxies.get(path)
        if proxy is None:
            proxy = self._attr_proxies[path] = self.create_proxy("get_attr", path, (), {})
        return proxy

    def create_arg(self, a):
        """As TracerBase's, with the root's tensors (buffers, constants) as get_attr nodes."""
        if isinstance(a, Tensor) and self.root is not None:
            for name, t in self.root.named_buffers():       # a buffer: a new get_attr per use, as torch
                if t is a:
                    return self.create_node("get_attr", name, (), {})
            for name, t in self.root.named_parameters():
                if t is a:
                    return self._attr_proxy(name).node
            i = 0
            while hasattr(self.root, f"_tensor_constant{i}"):
                i += 1
            setattr(self.root, f"_tensor_constant{i}", a)
            return self.create_node("get_attr", f"_tensor_constant{i}", (), {})
        return super().create_arg(a)

    def trace(self, root, concrete_args=None):
        """The Graph of root's forward (or of a plain function)."""
        if isinstance(root, Module):
            self.root, fn = root, type(root).forward
        else:
            self.root, fn = Module(), root
        self.graph = Graph()
        self._attr_proxies = {}
        params = list(inspect.signature(fn).parameters.values())
        if isinstance(root, Module):
            params = params[1:]
        concrete_args = concrete_args or {}
        args = []
        for p in params:
            if p.name in concrete_args:
                args.append(concrete_args[p.name])
            elif p.kind is p.VAR_POSITIONAL:
                raise NotImplementedError("symbolic_trace: *args in forward are not supported")
            elif p.kind is p.VAR_KEYWORD:
                raise NotImplementedError("symbolic_trace: **kwargs in forward are not supported")
            else:
                default = () if p.default is p.empty else (p.default,)
                args.append(self.create_proxy("placeholder", p.name, default, {}))
        with self._patched():
            result = fn(root, *args) if isinstance(root, Module) else fn(*args)
        self.create_node("output", "output", (self.create_arg(result),), {})
        return self.graph

    @contextlib.contextmanager
    def _patched(self):
        """Divert module calls, parameter reads and the public functions to this tracer while tracing."""
        tracer = self
        saved = []

        def module_call(mod, *args, **kwargs):
            return tracer.call_module(mod, functools.partial(type(mod).forward, mod), args, kwargs)

        original_getattr = Module.__getattr__

        def module_getattr(mod, name):
            return tracer.getattr(name, original_getattr(mod, name))

        saved += [(Module, "__call__", Module.__dict__["__call__"]), (Module, "__getattr__", original_getattr)]
        Module.__call__, Module.__getattr__ = module_call, module_getattr
        op_call = OpOverload.__dict__["__call__"]

        def op_overload_call(op, *args, **kwargs):
            if _contains_proxy(args) or _contains_proxy(kwargs):
                return tracer.create_proxy("call_function", op, args, kwargs)
            return op_call(op, *args, **kwargs)
        saved.append((OpOverload, "__call__", op_call))
        OpOverload.__call__ = op_overload_call
        for dunder, method in _TENSOR_DUNDERS.items():
            original = Tensor.__dict__.get(dunder)
            if original is not None:
                saved.append((Tensor, dunder, original))
                setattr(Tensor, dunder, _tensor_dunder(tracer, original, method))
        for namespace in _namespaces():
            for name, fn in list(vars(namespace).items()):
                if isinstance(fn, types.FunctionType) and not name.startswith("_") and \
                        fn.__module__.startswith("minexport"):
                    saved.append((namespace, name, fn))
                    setattr(namespace, name, _recording(tracer, fn))
        try:
            yield
        finally:
            for owner, name, value in reversed(saved):
                setattr(owner, name, value)


# A Tensor operator whose other operand is a Proxy (`self.buffer + x`) is recorded as torch records it: a
# call_method of the Tensor method torch dispatches to.
_TENSOR_DUNDERS = {"__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
                   "__floordiv__": "__floordiv__", "__mod__": "remainder", "__pow__": "pow", "__matmul__": "matmul",
                   "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge"}


def _tensor_dunder(tracer, original, method):
    def dunder(self, other):
        if isinstance(other, Proxy):
            return tracer.create_proxy("call_method", method, (self, other), {})
        return original(self, other)
    return dunder


def _namespaces():
    import minexport
    from ..nn import functional
    return (minexport, functional)


def _recording(tracer, fn):
    """fn, recording a call_function of it instead when an argument is a Proxy."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _contains_proxy(args) or _contains_proxy(kwargs):
            return tracer.create_proxy("call_function", fn, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper


def symbolic_trace(root, concrete_args=None):
    """A GraphModule recording root's forward (or a function) on Proxies (see the module docstring)."""
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if isinstance(root, Module) else root.__name__
    return GraphModule(tracer.root, graph, name)

