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
import copy
import functools
import inspect
import keyword
import operator
import re
import warnings

from ..dtypes import dtype
from ..utils import _pytree as pytree
from ..ops._targets import target_kind

__all__ = ["Node", "Graph", "map_arg"]

_EMPTY = inspect.Parameter.empty


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
    """One operation of a Graph (see the module docstring).

    Nodes of a graph form a doubly linked list (`prev`/`next`, as torch.fx):
    iterating `graph.nodes` follows the links live, so a loop may insert
    after or erase the node it stands on.
    """

    OPS = ("placeholder", "call_function", "call_method", "call_module", "get_attr", "output")
    __slots__ = ("graph", "op", "name", "target", "_args", "_kwargs", "users", "meta", "_inputs", "_prev", "_next",
                 "_erased", "type")

    def __init__(self, graph, op, name, target, args=(), kwargs=None, meta=None):
        if op not in self.OPS:
            raise ValueError(f"Node op must be one of {', '.join(self.OPS)}; got {op!r}")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Node name must be a Python identifier; got {name!r}")
        self.graph, self.op, self.name, self.target = graph, op, name, target
        self.users = {}
        self.meta = {} if meta is None else meta
        self._prev = self._next = self
        self._erased, self.type = False, None
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
        """Positional arguments (Nodes stand for other nodes' values); setting them updates the use lists."""
        return self._args

    @args.setter
    def args(self, value):
        self._update_args(tuple(value), self._kwargs)

    @property
    def kwargs(self):
        """Keyword arguments; setting them updates the use lists."""
        return self._kwargs

    @kwargs.setter
    def kwargs(self, value):
        self._update_args(self._args, dict(value))

    @property
    def all_input_nodes(self):
        """Nodes this node reads, in first-use order."""
        return list(self._inputs)

    @property
    def stack_trace(self):
        """The user's source location that produced this node (`meta["stack_trace"]`), or None."""
        return self.meta.get("stack_trace")

    @stack_trace.setter
    def stack_trace(self, trace):
        self.meta["stack_trace"] = trace

    # ------------------------------------------------------------ links --
    @property
    def next(self):
        """The node after this one (the graph's root marker after the last)."""
        return self._next

    @property
    def prev(self):
        """The node before this one (the graph's root marker before the first)."""
        return self._prev

    def _unlink(self):
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    def prepend(self, x):
        """Move (or insert) node `x` to just before this node, in the same graph."""
        if self is x:
            warnings.warn("Trying to prepend a node to itself. This behavior has no effect on the graph.")
            return
        if x.graph is not self.graph:
            raise RuntimeError("Attempting to move a Node into a different Graph")
        if x._erased:
            raise RuntimeError(f"Attempting to move erased Node {x.name}")
        if x._next is not x:          # already linked: a move
            x._unlink()
        else:
            self.graph._len += 1
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x):
        """Move (or insert) node `x` to just after this node."""
        self._next.prepend(x)

    # ------------------------------------------------------------ edits --
    def replace_all_uses_with(self, replace_with, delete_user_cb=None, *, propagate_meta=False):
        """Make every user of this node read `replace_with` instead; returns the users changed.

        `delete_user_cb(user)` returning False keeps that user reading this
        node; `propagate_meta=True` copies this node's meta onto
        `replace_with` (which must have none yet)."""
        if propagate_meta:
            if replace_with.meta:
                raise AssertionError("Called node.replace_all_uses_with(replace_with, propagate_meta=True), "
                                     "but replace_with already has .meta keys")
            replace_with.meta.update(self.meta)
        changed = []
        for user in list(self.users):
            if delete_user_cb is not None and not delete_user_cb(user):
                continue
            user.replace_input_with(self, replace_with)
            changed.append(user)
        return changed

    def replace_input_with(self, old_input, new_input):
        """Read `new_input` where this node read `old_input`."""
        def swap(n):
            return new_input if n is old_input else n
        # replace hooks (GraphModule._set_replace_hook) see each replaced use, as torch.fx calls them
        for hook in getattr(self.graph.owning_module, "_replace_hooks", ()):
            hook(old=old_input, new=new_input.name, user=self)
        self._update_args(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    def update_arg(self, idx, arg):
        """Set positional argument `idx` to `arg` (use lists follow)."""
        args = list(self._args)
        args[idx] = arg
        self.args = args

    def insert_arg(self, idx, arg):
        """Insert `arg` as positional argument `idx`."""
        args = list(self._args)
        args.insert(idx, arg)
        self.args = args

    def update_kwarg(self, key, arg):
        """Set keyword argument `key` to `arg` (use lists follow)."""
        self.kwargs = {**self._kwargs, key: arg}

    def is_impure(self, impure_random=True):
        """True when dead-code elimination must keep this node although nobody reads it: placeholders, the
        output, ops that mutate an input (a mutable schema), side-effecting targets (asserts, setitem), random
        ops (when `impure_random`), and call_module of a module marked `_is_impure`."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_module":
            owner = self.graph.owning_module
            if owner is None:
                raise AssertionError("self.graph.owning_module not set for purity check")
            return bool(getattr(owner.get_submodule(self.target), "_is_impure", False))
        if self.op == "call_function":
            return _target_is_impure(self.target, impure_random)
        return False

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


# Targets kept by dead-code elimination whatever their schema says, as torch.fx keeps them.
_SIDE_EFFECT_NAMES = {"_assert_async.msg", "_assert_async.default", "_assert_scalar.default",
                      "_assert_tensor_metadata.default", "sym_constrain_range.default",
                      "sym_constrain_range_for_size.default"}


def _target_is_impure(target, impure_random):
    """A call_function target with side effects (see `Node.is_impure`)."""
    if target is operator.setitem or getattr(target, "_is_impure", False):
        return True
    if target_kind(target) != "op":
        return False
    if target._schema.is_mutable or f"{target.op_name}.{target.overload_name}" in _SIDE_EFFECT_NAMES:
        return True
    return impure_random and "nondeterministic_seeded" in target.tags


class _Root(Node):
    """The marker that closes a graph's ring of nodes (torch.fx's root node)."""
    __slots__ = ()

    def __init__(self, graph):
        self.graph, self.op, self.name, self.target = graph, "root", "", None
        self.users, self.meta, self._inputs = {}, {}, {}
        self._args, self._kwargs = (), {}
        self._prev = self._next = self
        self._erased, self.type = False, None


class _NodeList:
    """`graph.nodes`: the linked nodes seen as a sequence.

    Iteration follows the links live and skips erased nodes (torch.fx's
    semantics: erasing the current node or inserting after it inside a loop
    is fine).  Indexing, slicing, assignment and `index`/`insert`/`remove`/
    `append` are minexport additions that code written against a list uses.
    """
    __slots__ = ("_graph",)

    def __init__(self, graph):
        self._graph = graph

    def __iter__(self):
        root = self._graph._root
        cur = root._next
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = cur._next

    def __reversed__(self):
        root = self._graph._root
        cur = root._prev
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = cur._prev

    def __len__(self):
        return self._graph._len

    def __bool__(self):
        return self._graph._len > 0

    def __contains__(self, node):
        return isinstance(node, Node) and node.graph is self._graph and not node._erased and node._next is not node

    def __eq__(self, other):
        return list(self) == list(other)

    def __repr__(self):
        return repr(list(self))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self)
        if index < -n or index >= n:
            raise IndexError("node index out of range")
        it = reversed(self) if index < 0 else iter(self)
        for _ in range(-index - 1 if index < 0 else index):
            next(it)
        return next(it)

    def __setitem__(self, index, value):
        items = list(self)
        if not isinstance(index, slice):
            # a linked list cannot hold a node twice: the node displaced moves to where `value` was, so the
            # swap idiom `nodes[i], nodes[j] = nodes[j], nodes[i]` ends as it does on a list
            where = next((j for j, n in enumerate(items) if n is value), None)
            if where is not None:
                items[where] = items[index]
        items[index] = value
        self._relink(items)

    def _relink(self, items):
        """Make the graph's node order exactly `items` (nodes of this graph)."""
        root = self._graph._root
        prev = root
        for node in items:
            prev._next, node._prev = node, prev
            prev = node
        prev._next, root._prev = root, prev
        self._graph._len = len(items)

    def index(self, node):
        """Position of node."""
        for i, n in enumerate(self):
            if n is node:
                return i
        raise ValueError(f"{node} is not in the graph")

    def append(self, node):
        """Link node last."""
        self._graph._root.prepend(node)

    def insert(self, index, node):
        """Link node at position `index`."""
        n = len(self)
        if index < 0:
            index = max(0, n + index)
        (self[index] if index < n else self._graph._root).prepend(node)

    def remove(self, node):
        """Unlink node (without erasing it: it may be linked again)."""
        if node not in self:
            raise ValueError(f"{node} is not in the graph")
        node._unlink()
        node._prev = node._next = node
        self._graph._len -= 1


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
                "operator": lambda t: getattr(t, "_torch_name", None) or f"operator.{t.__name__}"}
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


@functools.lru_cache(maxsize=1 << 14)
def _kept_name(name):
    """True when `placeholder_name` keeps `name` as it is if it is free (already sanitized, no keyword)."""
    return _sanitize(name) == name and not keyword.iskeyword(name)


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
    """An ordered list of Nodes with unique names, edited with torch.fx's API."""

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._root = _Root(self)
        self._len = 0
        self._insert = self._at_end = self._root.prepend   # where create_node links a new node: by default last
        self._names = set()
        self._base_count = {}
        self.owning_module = owning_module
        self._pytree_specs = None      # (in_spec, out_spec) when calls flatten inputs / rebuild outputs

    # --------------------------------------------------- input / output --
    def process_inputs(self, *args):
        """The placeholders' values for a call with `args`: flattened by the graph's input spec when it
        has one (ep.module()'s graph does, as torch's pytree codegen), else args as they are."""
        if self._pytree_specs is None:
            return args
        return tuple(pytree.tree_flatten((args, {}))[0])

    def process_outputs(self, out):
        """The call's result from the output node's value: rebuilt by the output spec when there is one."""
        if self._pytree_specs is None:
            return out
        return pytree.tree_unflatten(list(out), self._pytree_specs[1])

    @property
    def nodes(self):
        """The nodes in order (a live view; see `_NodeList`)."""
        return _NodeList(self)

    @nodes.setter
    def nodes(self, items):
        _NodeList(self)._relink(list(items))

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
        names = self._names
        if num is None or name in names:
            num = self._base_count.get(base, 0)
            if name in _RESERVED:      # reserved names never end in `_<digits>`, so `<base>_<n>` is not reserved
                num += 1
                name = f"{base}_{num}"
        while name in names:
            num += 1
            name = f"{base}_{num}"
        names.add(name)
        self._base_count[base] = num
        return name

    def rename_node(self, node, name, moved=()):
        """Give `node` the name `name` (made unique), first freeing the names of the erased nodes `moved`:
        a pass that moves nodes into another graph hands their names on to the nodes that stand for them here,
        as torch's passes, which build the graph anew, do."""
        for n in moved:
            if n._erased and n.name != node.name:
                self._names.discard(n.name)
        self._names.discard(node.name)
        node.name = self._unique_name(name)
        return node

    def placeholder_name(self, candidate):
        """A placeholder keeps its name (even a builtin's, like torch's `input`) unless it is taken."""
        name = _sanitize(candidate)
        if name in self._names or keyword.iskeyword(name):
            return self._unique_name(name)
        self._names.add(name)
        return name

    # ------------------------------------------------------- insertion --
    def inserting_before(self, n=None):
        """Context manager: nodes created inside go just before `n` (before the first node when None).

        As in torch.fx the insertion point moves at the call; leaving the
        `with` block restores the previous one."""
        if n is None:
            return self.inserting_after(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert before is not in graph.")
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n=None):
        """Context manager: nodes created inside go just after `n`, each after the previous one (at the end
        of the graph when None)."""
        if n is None:
            return self.inserting_before(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert after is not in graph.")
        return _InsertPoint(self, n.append)

    # ---------------------------------------------------------- building --
    def create_node(self, op, target, args=None, kwargs=None, name=None, type_expr=None, *, meta=None):
        """A new node at the insertion point; its name is made unique from `name` (or the target's name)."""
        if op not in Node.OPS:
            raise AssertionError(f"Node op must be one of {', '.join(Node.OPS)}; got {op!r}")
        if op == "placeholder":
            name = self.placeholder_name(name or target)
        else:
            name = self._unique_name(_default_name(target) if name is None else name)
        node = Node(self, op, name, target, args or (), kwargs, meta)
        node.type = type_expr
        self._insert(node)
        return node

    def placeholder(self, name, type_expr=None, default_value=_EMPTY, *, meta=None):
        """An input of the graph (`default_value`, when given, becomes its one argument, as torch.fx)."""
        args = () if default_value is _EMPTY else (default_value,)
        return self.create_node("placeholder", name, args, name=name, type_expr=type_expr, meta=meta)

    def insert_placeholder(self, index, name, meta=None):
        """An input of the graph at position `index` of the node list (a tracer keeps its inputs first)."""
        name = self.placeholder_name(name)
        node = _placeholder_node(self, name, meta)
        if index == self._len:      # last (a tracer lifting state before any op): what insert(index) does
            self._root.prepend(node)
        else:
            self.nodes.insert(index, node)
        return node

    def append_placeholder(self, name, meta=None):
        """`insert_placeholder(len(graph.nodes), name, meta)`: an input placed last (export lifts every
        parameter and buffer this way, before the first op).

        A name `placeholder_name` would keep as it is (ASCII letters, digits
        and `_`, no leading digit, no keyword, not taken) is taken directly.
        """
        taken = self._names
        if name in taken or not _kept_name(name):
            name = self.placeholder_name(name)
        else:
            taken.add(name)
        node = _placeholder_node(self, name, meta)
        _link_last(self, node)
        return node

    def append_placeholders(self, names, vals):
        """`[append_placeholder(name, {"val": val}) for name, val in zip(names, vals)]` in one loop (export
        lifts every parameter and buffer so, before the first op): the nodes, linked last in order."""
        taken, nodes, new_node = self._names, [], _new_node
        root = self._root
        for name, val in zip(names, vals):
            if name in taken or not _kept_name(name):
                name = self.placeholder_name(name)
            else:
                taken.add(name)
            # _placeholder_node and _link_last, inlined
            node = new_node(Node)
            node.graph, node.op, node.name, node.target = self, "placeholder", name, name
            node.users, node.meta = {}, {"val": val}
            node._args, node._kwargs, node._inputs = (), {}, {}
            node._erased, node.type = False, None
            last = root._prev
            last._next = node
            node._prev, node._next = last, root
            root._prev = node
            nodes.append(node)
        self._len += len(nodes)
        return nodes

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None, name=None, *, meta=None):
        """A call of a function: an op, operator.getitem, a symbolic-int operator, any Python callable."""
        return self.create_node("call_function", the_function, args, kwargs, name=name, type_expr=type_expr,
                                meta=meta)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        """A method call `args[0].<method_name>(*args[1:], **kwargs)`."""
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        """A call of the owning module's submodule at dotted path `module_name` (warns when it has none)."""
        owner = self.owning_module
        if owner is not None and _lookup(owner, module_name) is None:
            warnings.warn("Attempted to insert a call_module Node with no underlying reference in the owning "
                          "GraphModule! Call GraphModule.add_submodule to add the necessary submodule")
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None, *, name=None, meta=None):
        """Read the owning module's attribute at dotted path `qualified_name` (warns when it has none)."""
        owner = self.owning_module
        if owner is not None and _lookup(owner, qualified_name) is None:
            warnings.warn("Attempted to insert a get_attr Node with no underlying reference in the owning "
                          "GraphModule! Call GraphModule.add_submodule to add the necessary submodule, "
                          "GraphModule.add_parameter to add the necessary Parameter, or nn.Module.register_buffer "
                          "to add the necessary buffer")
        return self.create_node("get_attr", qualified_name, name=name or _snake_case(qualified_name),
                                type_expr=type_expr, meta=meta)

    def output(self, result, type_expr=None):
        """The graph's return value (the output node)."""
        return self.create_node("output", "output", (result,), name="output", type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda x: x):
        """A copy of `node` (from any graph) at the insertion point, its inputs mapped by `arg_transform`
        and its meta copied (shallowly)."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        new = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        new.meta = copy.copy(node.meta)
        return new

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copy every node of `g` not already in `val_map` (old node -> new) into this graph; returns what
        g's output returns, mapped (and the output node itself with `return_output_node`)."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                rv = map_arg(node.args[0], lambda n: val_map[n])
                return (rv, node) if return_output_node else rv
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def erase_node(self, to_erase):
        """Remove a node nobody uses; its name stays taken (torch.fx never gives a name twice)."""
        if to_erase.users:
            raise RuntimeError(f"Tried to erase Node {to_erase.name} but it still had {len(to_erase.users)} users "
                               f"in the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase.name} from wrong graph!")
        if to_erase._erased:
            warnings.warn(f"erase_node({to_erase}) on an already erased node")
            return
        to_erase._unlink()
        to_erase._erased = True
        self._len -= 1
        # its inputs lose it as a user; the argument structure stays, with None for each node (torch.fx's way)
        to_erase._update_args(map_arg(to_erase._args, lambda n: None), map_arg(to_erase._kwargs, lambda n: None))

    def eliminate_dead_code(self, is_impure_node=None):
        """Erase, last to first, every node nobody reads that is not impure (`Node.is_impure`, or the
        given `is_impure_node(node)`); returns whether anything was erased."""
        self.lint()
        changed = False
        for node in reversed(self.nodes):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and not node.users:
                self.erase_node(node)
                changed = True
        return changed

    def find_nodes(self, *, op, target=None, sort=True):
        """Nodes with the given op (and target), in graph order."""
        return [n for n in self.nodes if n.op == op and (target is None or n.target is target or
                                                        (isinstance(target, str) and n.target == target))]

    def output_node(self):
        """The output node (the last node; None for an empty graph)."""
        last = self._root._prev
        if last is self._root:
            return None
        if last.op != "output":
            raise AssertionError(f"Expected output node, got op={last.op}")
        return last

    # ------------------------------------------------------------ checks --
    def lint(self):
        """Check the graph is well formed: known ops, nodes owned by this graph, each input defined before
        it is read, unique names, and (with an owning module) targets of the right kind that exist."""
        seen, names = set(), set()
        for node in self.nodes:
            if node.op not in Node.OPS:
                raise RuntimeError(f"Node {node} had unknown opcode {node.op}!")
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            for arg in node._inputs:
                if arg.graph is not self:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' does not belong to this Graph, but was "
                                       "used as an argument! If you are copying nodes from another graph, make "
                                       f"sure to use ``arg_transform`` on node_copy() to remap values\n{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' was used before it has been defined! "
                                       f"Please check that Nodes in the graph are topologically ordered\n{self}")
            seen.add(node)
            if node.name in names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            names.add(node.name)
        if self.owning_module is not None:
            for node in self.nodes:
                _lint_target(self.owning_module, node)

    def __deepcopy__(self, memo):
        """A copy with new nodes (same names, meta copied shallowly), built node by node: the default deep
        copy would recurse along the node links, one level per node."""
        g = Graph()
        g._pytree_specs = self._pytree_specs
        copied = g.graph_copy(self, {}, return_output_node=True)
        if copied is not None:
            value, old_output = copied
            g.output(value, type_expr=old_output.type).meta = copy.copy(old_output.meta)
        memo[id(self)] = g
        return g

    # ---------------------------------------------------------- printing --
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


class _InsertPoint:
    """Sets a graph's insertion point at once; restores the previous one when its `with` block ends."""

    def __init__(self, graph, insert):
        self.graph, self.orig = graph, graph._insert
        graph._insert = insert

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        self.graph._insert = self.orig


def _lookup(module, qualified_name):
    """The attribute at a dotted path of module, or None."""
    obj = module
    for atom in qualified_name.split("."):
        obj = getattr(obj, atom, None)
        if obj is None:
            return None
    return obj


def _lint_target(owner, node):
    """`Graph.lint`'s target checks for one node of a graph with an owning module."""
    if node.op == "call_function":
        if not callable(node.target):
            raise ValueError(f"Node {node} target {node.target} has type {type(node.target).__name__} but a "
                             "Callable is expected")
        return
    if not isinstance(node.target, str):
        raise ValueError(f"Node {node} target {node.target} has type {type(node.target).__name__} but a str "
                         "is expected")
    if node.op not in ("get_attr", "call_module"):
        return
    from ..nn.module import Module
    obj, atoms = owner, node.target.split(".")
    for i, atom in enumerate(atoms):
        nxt = getattr(obj, atom, None)
        where = ".".join(atoms[:i])
        if nxt is None:
            raise RuntimeError(f"Node {node} target {node.target} references nonexistent attribute {atom} of "
                               f"{where}")
        if node.op == "call_module" and not isinstance(nxt, Module):
            raise RuntimeError(f"Node {node} target {node.target} {atom} of {where} does not reference an "
                               "nn.Module")
        obj = nxt


_SNAKE = re.compile(r"(?<=[a-z])([A-Z])")


def _snake_case(s):
    """A target path as a variable name base: camelCase parts become snake_case (`mod.pascalCase` ->
    `mod.pascal_case`), as torch.fx names them."""
    return _SNAKE.sub(r"_\1", s).lower()


def _placeholder_node(graph, name, meta):
    """`Node(graph, "placeholder", name, name, (), None, meta)` for a name `placeholder_name` made (an
    identifier by construction), without the checks and argument walks a node with inputs needs: export
    makes one per parameter and buffer."""
    node = _new_node(Node)
    node.graph, node.op, node.name, node.target = graph, "placeholder", name, name
    node.users = {}
    node.meta = {} if meta is None else meta
    node._args, node._kwargs, node._inputs = (), {}, {}
    node._prev = node._next = node
    node._erased, node.type = False, None
    return node


def _call_node(graph, target, args, kwargs, name, meta, inputs=None):
    """`graph.call_function(target, args, kwargs, name=name, meta=meta)` for a tracer that already holds args
    as a tuple and kwargs as a dict of its own (neither is copied): the op is known, and the name comes from
    `_unique_name` (sanitized, hence an identifier), so Node's checks of both are skipped.  Export makes one
    per op call.  `inputs`, when the caller knows them: the nodes in args and kwargs in first-use order, as a
    dict {node: None} of the new node's own."""
    name = graph._unique_name(_default_name(target) if name is None else name)
    node = _new_node(Node)
    node.graph = graph
    node.op = "call_function"
    node.name = name
    node.target = target
    node.users = {}
    node.meta = meta
    node._erased = False
    node.type = None
    node._args = args
    node._kwargs = kwargs
    if inputs is None:
        if kwargs:
            inputs = _collect_nodes(kwargs, _collect_nodes(args, {}))
        else:       # _collect_nodes(args, {}), one call less
            inputs = {}
            for v in args:
                if type(v) is Node:
                    inputs[v] = None
                elif type(v) in _CONTAINERS:
                    _collect_nodes(v, inputs)
    node._inputs = inputs
    for n in inputs:
        n.users[node] = None
    if graph._insert is graph._at_end:
        _link_last(graph, node)
    else:
        node._prev = node._next = node
        graph._insert(node)
    return node


def _link_last(graph, node):
    """Link a new node last in graph: `Node.prepend` on the root, without its checks."""
    root = graph._root
    last = root._prev
    last._next = node
    node._prev = last
    node._next = root
    root._prev = node
    graph._len += 1


_new_node = object.__new__


def _default_name(target):
    if isinstance(target, str):
        return _snake_case(target)
    if target is operator.getitem:
        return "getitem"
    if target_kind(target) == "op":      # the packet name, as export names nodes (torch.fx: 'add_tensor')
        return target.op_name
    return getattr(target, "__name__", None) or "node"


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
