"""`Proxy` and `Tracer`: record Python code as graph nodes (what `symbolic_trace` and `Transformer` use).

A Proxy stands for a node's value while code runs: an operator on it
(`p + 1`, `p[0]`) records a call_function of the `operator` function, a
method call (`p.relu()`) records a call_method, and a public minexport
function called with a Proxy records a call_function of that function (the
tracer wraps them while it traces, as torch.fx's `wrap` does).  Asking a
Proxy for a Python truth value or its length is refused, as torch.fx
refuses it: the value is not known while tracing.
"""
import operator

from .graph import Graph

__all__ = ["Proxy", "Attribute", "TracerBase", "TraceError"]


class TraceError(ValueError):
    """Code asked a traced value for something only a real value has (a branch on it, its length)."""


def _contains_proxy(value):
    if isinstance(value, Proxy):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_proxy(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_proxy(v) for v in value.values())
    if isinstance(value, slice):
        return any(_contains_proxy(v) for v in (value.start, value.stop, value.step))
    return False


class TracerBase:
    """Makes nodes of `graph` from calls on Proxies."""

    def __init__(self, graph=None):
        self.graph = Graph() if graph is None else graph

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        """A node of the graph (at its insertion point)."""
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node):
        """The Proxy standing for node."""
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        """Record a node whose arguments may hold Proxies; returns its Proxy."""
        node = self.create_node(kind, target, self.create_arg(args), self.create_arg(kwargs), name, type_expr)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a):
        """An argument as a node may hold it: Proxies become their nodes (inside containers too)."""
        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, tuple) and hasattr(a, "_fields"):       # a namedtuple keeps its type
            return type(a)(*(self.create_arg(v) for v in a))
        if isinstance(a, (list, tuple)):
            return type(a)(self.create_arg(v) for v in a)
        if isinstance(a, dict):
            return {k: self.create_arg(v) for k, v in a.items()}
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        return a

    def iter(self, obj):
        """Iterating a Proxy: refused (its length is unknown while tracing)."""
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a "
                         "loop or as a *args or **kwargs function argument. See the torch.fx docs on "
                         "pytorch.org for a more detailed explanation of what types of control flow can be "
                         "traced, and check out the Proxy docstring for help troubleshooting Proxy iteration "
                         "errors")

    def to_bool(self, obj):
        """A branch on a Proxy: refused."""
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")


class Proxy:
    """A traced value: operations on it become nodes (see the module docstring)."""

    def __init__(self, node, tracer=None):
        self.node = node
        self.tracer = tracer if tracer is not None else TracerBase(node.graph)

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Attribute(self, name)

    def __getitem__(self, key):
        return self.tracer.create_proxy("call_function", operator.getitem, (self, key), {})

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this call to be "
                           "recorded, please call torch.fx.wrap('len') at module scope")

    def keys(self):
        """`**proxy`: recorded as a keys() method call."""
        return self.tracer.create_proxy("call_method", "keys", (self,), {})

    __hash__ = object.__hash__


class Attribute(Proxy):
    """`proxy.name`: a method call when called, else a getattr node (made on first use)."""

    def __init__(self, root, attr):
        self.root, self.attr, self.tracer = root, attr, root.tracer
        self._node = None

    @property
    def node(self):
        """The getattr node, recorded on first use."""
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _binary(fn, reflected=False):
    def method(self, other):
        args = (other, self) if reflected else (self, other)
        return self.tracer.create_proxy("call_function", fn, args, {})
    return method


def _unary(fn):
    def method(self):
        return self.tracer.create_proxy("call_function", fn, (self,), {})
    return method


# The operators a Proxy records (as torch.fx's magic methods), by dunder name.
_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
           "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "matmul": operator.matmul,
           "and": operator.and_, "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
           "rshift": operator.rshift}
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
            "ge": operator.ge}
_UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert}

for _name, _fn in _BINARY.items():
    setattr(Proxy, f"__{_name}__", _binary(_fn))
    setattr(Proxy, f"__r{_name}__", _binary(_fn, reflected=True))
for _name, _fn in _COMPARE.items():
    setattr(Proxy, f"__{_name}__", _binary(_fn))
for _name, _fn in _UNARY.items():
    setattr(Proxy, f"__{_name}__", _unary(_fn))
Proxy.__hash__ = object.__hash__

