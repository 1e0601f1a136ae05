"""The graph IR: `Node` and `Graph`.

A Node is one small record: `op` (one of `Node.OPS`), a unique `name`, a
`target` (an `OpOverload`, `operator.getitem`, a symbolic-int operator, or
an attribute path for get_attr), `args`/`kwargs` that may contain other
Nodes, the set of `users`, and `meta` (`val`: the fake tensor or value the
node produces; `stack_trace`; `nn_module_stack`).  A Graph is the ordered list
of nodes with a name table; names follow torch.fx's rules (an op's packet
name, `_1`, `_2` on collision, and a suffix for names that would shadow a
Python builtin or keyword).
"""
import builtins
import functools
import keyword
import operator
import re

from ..dtypes import dtype
from ..ops._targets import target_kind

__all__ = ["Node", "Graph", "map_arg"]


def map_arg(value, fn):
    """Apply fn to every Node inside value (lists, tuples, dicts, slices), keeping the structure."""
    t = type(value)
    if t is Node:
        return fn(value)
    if t is list or t is tuple:
        return t(map_arg(v, fn) for v in value)
    if t is dict:
        return {k: map_arg(v, fn) for k, v in value.items()}
    if t is slice:
        return slice(map_arg(value.start, fn), map_arg(value.stop, fn), map_arg(value.step, fn))
    return value


def _collect_nodes(value, out):
    """Add every Node inside value to the dict `out`, in first-use order, without rebuilding value (map_arg
    would copy every tuple and list on the way)."""
    t = type(value)
    if t is Node:
        out[value] = None
    elif t is list or t is tuple:
        for v in value:
            if type(v) is Node:
                out[v] = None
            elif type(v) in _CONTAINERS:
                _collect_nodes(v, out)
    elif t is dict:
        for v in value.values():
            _collect_nodes(v, out)
    elif t is slice:
        for v in (value.start, value.stop, value.step):
            _collect_nodes(v, out)
    return out


class Node:
    """One operation of a Graph (see the module docstring)."""

    OPS = ("placeholder", "call_function", "get_attr", "output")
    __slots__ = ("graph", "op", "name", "target", "_args", "_kwargs", "users", "meta", "_inputs")

    def __init__(self, graph, op, name, target, args=(), kwargs=None, meta=None):
        if op not in self.OPS:
            raise ValueError(f"Node op must be one of {', '.join(self.OPS)}; got {op!r}")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Node name must be a Python identifier; got {name!r}")
        self.graph, self.op, self.name, self.target = graph, op, name, target
        self.users = {}
        self.meta = {} if meta is None else meta
        self._args = args = tuple(args)
        self._kwargs = kwargs = dict(kwargs) if kwargs else {}
        self._inputs = inputs = _collect_nodes(kwargs, _collect_nodes(args, {})) if kwargs else \
            _collect_nodes(args, {})
        for n in inputs:
            n.users[self] = None

    def _update_args(self, args, kwargs):
        for n in self._inputs:
            n.users.pop(self, None)
        self._args, self._kwargs = args, kwargs
        self._inputs = _collect_nodes((args, kwargs), {})
        for n in self._inputs:
            n.users[self] = None

    @property
    def args(self):
        """Positional arguments (Nodes stand for other nodes' values)."""
        return self._args

    @args.setter
    def args(self, value):
        self._update_args(tuple(value), self._kwargs)

    @property
    def kwargs(self):
        """Keyword arguments."""
        return self._kwargs

    @kwargs.setter
    def kwargs(self, value):
        self._update_args(self._args, dict(value))

    @property
    def all_input_nodes(self):
        """Nodes this node reads, in first-use order."""
        return list(self._inputs)

    def replace_all_uses_with(self, new):
        """Make every user of this node read `new` instead; returns the users changed."""
        users = list(self.users)
        for u in users:
            u._update_args(map_arg(u._args, lambda n: new if n is self else n),
                           map_arg(u._kwargs, lambda n: new if n is self else n))
        return users

    def replace_input_with(self, old, new):
        """Read `new` where this node read `old`."""
        self._update_args(map_arg(self._args, lambda n: new if n is old else n),
                          map_arg(self._kwargs, lambda n: new if n is old else n))

    def __repr__(self):
        return self.name

    def format_node(self):
        """One line of `str(graph)`, as torch.fx writes it: '%name : [num_users=N] = op[target=...](args = ...,
        kwargs = ...)' for a call, without the call part for a placeholder or get_attr, 'return ...' for the
        output."""
        head = f"%{self.name} : [num_users={len(self.users)}] = {self.op}[target={_pretty_target(self.target)}]"
        if self.op == "placeholder":
            return head + (f"(default={self._args[0]})" if self._args else "")
        if self.op == "get_attr":
            return head
        if self.op == "output":
            return f"return {self._args[0]}"
        return f"{head}(args = {_format_arg(self._args)}, kwargs = {_format_arg(self._kwargs)})"


def _format_arg(value):
    """An argument inside `format_node`: an input node as '%name', containers recursively, a dtype as torch's
    ('torch.float32', as the graph's code writes it), the rest by str()."""
    t = type(value)
    if t is Node:
        return "%" + value.name
    if t is dtype:
        return f"torch.{value.name}"
    if t is list:
        return "[" + ", ".join(map(_format_arg, value)) + "]"
    if t is tuple:
        return "(" + ", ".join(map(_format_arg, value)) + ("," if len(value) == 1 else "") + ")"
    if t is dict:
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in value.items()) + "}"
    return str(value)


_CONTAINERS = (list, tuple, dict, slice)


def _pretty_target(target):
    """A node's target as `format_node` names it: an op by its full path ('torch.ops.aten.neg.default'), a
    Python operator as 'operator.getitem', a builtin as 'builtins.len', an attribute path as itself."""
    if isinstance(target, str):
        return target
    kind = target_kind(target)
    if kind in _TARGET_TEXT:
        return _TARGET_TEXT[kind](target)
    module, name = getattr(target, "__module__", None), getattr(target, "__name__", None)
    if module is None or name is None:
        return str(target)
    return f"{_MODULE_ALIASES.get(module, module)}.{name}"


_TARGET_TEXT = {"op": lambda t: f"torch.ops.{t}", "higher_order": lambda t: t.qualified_name,
                "operator": lambda t: f"operator.{t.__name__}"}
_MODULE_ALIASES = {"_operator": "operator"}


_ILLEGAL = re.compile(r"[^0-9a-zA-Z_]+")
# A legal name, split into a base and an optional numeric suffix: the lazy base leaves the last `_<digits>`
# to the suffix ('add_1_2' -> 'add_1', '2'), and a name that is all suffix keeps it ('_1' -> '_1', None).
_NAME = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")
# Names a node never takes bare, as torch.fx: keywords, builtins, and the globals its code relies on.  (torch.fx
# lets a node be named 'None', whose builtins entry is None itself; that name could never be assigned, so
# here it is reserved like the other keywords.)
_RESERVED = set(keyword.kwlist) | set(vars(builtins)) | {"inf", "nan", "NoneType", "torch", "device", "fx_pytree",
                                                          "pytree"}


def _sanitize(candidate):
    """A candidate name as an identifier: runs of other characters become `_`; a leading digit gets `_`."""
    if candidate.isascii() and candidate.replace("_", "a").isalnum():     # already [0-9a-zA-Z_]+
        name = candidate
    else:
        name = _ILLEGAL.sub("_", candidate) or "_unnamed"
    return "_" + name if name[0].isdigit() else name


@functools.lru_cache(maxsize=4096)
def _split_name(candidate):
    """(sanitized name, base, numeric suffix or None) of a candidate: `add_3` -> ('add_3', 'add', 3).

    A graph asks this for every node it names, mostly with the same few op
    names, so the regular expressions run once per distinct candidate.
    """
    name = _sanitize(candidate)
    base, num = _NAME.match(name).group(1, 2)
    return name, base, None if num is None else int(num)


class Graph:
    """An ordered list of Nodes with unique names."""

    def __init__(self):
        self.nodes = []
        self._names = set()
        self._base_count = {}
        self.owning_module = None

    # ------------------------------------------------------------ naming --
    def _unique_name(self, candidate):
        """torch.fx's naming: a free, legal candidate is kept as given (`add_01` too); otherwise the name is
        `<base>_<n>` with n counting on from the last number given to that base.

        The counter per base is what torch.fx keeps: every name sets it to
        its own number (0 for an unsuffixed one), so `foo_7, foo_1, foo_7`
        gives `foo_7, foo_1, foo_2`.  A name once given is never given
        again, even after its node is erased.
        """
        name, base, num = _split_name(candidate)
        if num is None or name in self._names:
            num = self._base_count.get(base, 0)
            if name in _RESERVED:      # reserved names never end in `_<digits>`, so `<base>_<n>` is not reserved
                num += 1
                name = f"{base}_{num}"
        while name in self._names:
            num += 1
            name = f"{base}_{num}"
        self._names.add(name)
        self._base_count[base] = num
        return name

    def placeholder_name(self, candidate):
        """A placeholder keeps its name (even a builtin's, like torch's `input`) unless it is taken."""
        name = _sanitize(candidate)
        if name in self._names or keyword.iskeyword(name):
            return self._unique_name(name)
        self._names.add(name)
        return name

    # ---------------------------------------------------------- building --
    def create_node(self, op, target, args=(), kwargs=None, name=None, meta=None):
        """Append a node; its name is made unique from `name` (or the target's name)."""
        if op == "placeholder":
            name = self.placeholder_name(name or target)
        else:
            name = self._unique_name(_default_name(target) if name is None else name)
        node = Node(self, op, name, target, args, kwargs, meta)
        self.nodes.append(node)
        return node

    def placeholder(self, name, meta=None):
        """An input of the graph."""
        return self.create_node("placeholder", name, name=name, meta=meta)

    def insert_placeholder(self, index, name, meta=None):
        """An input of the graph at position `index` of the node list (a tracer keeps its inputs first)."""
        name = self.placeholder_name(name)
        node = _placeholder_node(self, name, meta)
        self.nodes.insert(index, node)
        return node

    def call_function(self, target, args=(), kwargs=None, name=None, meta=None):
        """A call of an op (or operator.getitem / a symbolic-int operator)."""
        return self.create_node("call_function", target, args, kwargs, name=name, meta=meta)

    def get_attr(self, qualified_name, name=None, meta=None):
        """Read an attribute (a submodule for a higher-order op's subgraph) of the owning module."""
        return self.create_node("get_attr", qualified_name, name=name or qualified_name.replace(".", "_"), meta=meta)

    def output(self, result):
        """The graph's return value (one output node, last)."""
        return self.create_node("output", "output", (result,), name="output")

    def erase_node(self, node):
        """Remove a node nobody uses; its name stays taken (torch.fx never gives a name twice)."""
        if node.users:
            raise RuntimeError(f"Tried to erase Node {node.name} but it still had {len(node.users)} users "
                               f"in the graph: {node.users}!")
        if node.graph is not self:
            raise RuntimeError(f"Attempting to remove {node.name} from wrong graph!")
        node._update_args((), {})
        self.nodes.remove(node)

    def find_nodes(self, *, op, target=None):
        """Nodes with the given op (and target)."""
        return [n for n in self.nodes if n.op == op and (target is None or n.target is target)]

    @property
    def output_node(self):
        """The output node."""
        return self.nodes[-1] if self.nodes and self.nodes[-1].op == "output" else None

    def print_tabular(self):
        """Print one row per node: opcode, name, target, args, kwargs."""
        rows = [("opcode", "name", "target", "args", "kwargs")]
        for n in self.nodes:
            rows.append((n.op, n.name, str(n.target), str(n.args), str(n.kwargs)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        print("\n".join(lines))

    def __str__(self):
        return "graph():" + "".join("\n    " + n.format_node() for n in self.nodes)


def _placeholder_node(graph, name, meta):
    """`Node(graph, "placeholder", name, name, (), None, meta)` for a name `placeholder_name` made (an
    identifier by construction), without the checks and argument walks a node with inputs needs: export
    makes one per parameter and buffer."""
    node = _new_node(Node)
    node.graph, node.op, node.name, node.target = graph, "placeholder", name, name
    node.users = {}
    node.meta = {} if meta is None else meta
    node._args, node._kwargs, node._inputs = (), {}, {}
    return node


_new_node = object.__new__


def _default_name(target):
    if isinstance(target, str):
        return target
    if target is operator.getitem:
        return "getitem"
    name = target.op_name if target_kind(target) == "op" else getattr(target, "__name__", None) or "node"
    return name


def last_uses(graph):
    """node -> the values whose last use is that node, in the node's argument order."""
    seen, frees = set(), {}
    for n in reversed(graph.nodes):
        for inp in n.all_input_nodes:
            if inp not in seen:
                seen.add(inp)
                frees.setdefault(n, []).append(inp)
    return frees


def frame_line(stack_trace):
    """'# File: path:line in fn, code: text' from the last frame of a stack trace."""
    lines = stack_trace.strip().split("\n")
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i].strip()
        if line.startswith("File "):
            try:
                path = line.split('"')[1]
                lineno = line.split(", line ")[1].split(",")[0]
                fn = line.split(", in ")[1]
            except IndexError:
                return None
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return f"# File: {path}:{lineno} in {fn}, code: {code}"
    return None


def get_attr_path(module, target):
    """The attribute at dotted path `target` of `module` (`"sub.weight"`)."""
    obj = module
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj
