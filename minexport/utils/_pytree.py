"""Pytrees: flatten nested containers to leaves and a `TreeSpec`, and back.

Containers known out of the box: tuple, list, dict (insertion order),
namedtuple, OrderedDict, defaultdict, deque; anything else (None included,
as in torch 2.13) is a leaf unless registered with `register_pytree_node`.
`treespec_dumps`/`treespec_loads` write and read torch's JSON form
(protocol 1), so specs interchange with torch's archives.
"""
import collections
import dataclasses
import json

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_map",
           "tree_structure", "tree_flatten_with_path", "tree_map_only", "register_pytree_node",
           "treespec_dumps", "treespec_loads", "keystr", "SequenceKey", "MappingKey", "GetAttrKey",
           "tree_all", "tree_any", "is_namedtuple"]


@dataclasses.dataclass(frozen=True)
class _Node:
    cls: type
    flatten: object          # obj -> (children, context)
    unflatten: object        # (children, context) -> obj
    serialized_type_name: str
    to_dumpable: object      # context -> str, or None: the context is JSON-encoded as is
    from_dumpable: object    # str -> context, or None: the text is JSON-decoded
    keys: object             # (obj, context) -> key entries for paths


SUPPORTED_NODES = {}
_BY_SERIALIZED_NAME = {}
_NAMEDTUPLE_NAMES = {}     # namedtuple class -> serialized name


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """Path entry for a sequence position."""
    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def get(self, seq):
        """seq[idx]."""
        return seq[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    """Path entry for a mapping key."""
    key: object

    def __str__(self):
        return f"[{self.key!r}]"

    def get(self, mapping):
        """mapping[key]."""
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """Path entry for an attribute."""
    name: str

    def __str__(self):
        return f".{self.name}"

    def get(self, obj):
        """getattr(obj, name)."""
        return getattr(obj, self.name)


def keystr(kp):
    """A key path as source text: "['a'][1].x"."""
    return "".join(str(k) for k in kp)


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
                         to_dumpable_context=None, from_dumpable_context=None, flatten_with_keys_fn=None):
    """Make `cls` a container: flatten_fn(obj) -> (children, context); unflatten_fn(children, context) -> obj."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    name = serialized_type_name or f"{cls.__module__}.{cls.__qualname__}"

    def keys(obj, ctx):
        if flatten_with_keys_fn is not None:
            return [k for k, _ in flatten_with_keys_fn(obj)[0]]
        return [SequenceKey(i) for i in range(len(flatten_fn(obj)[0]))]

    node = _Node(cls, flatten_fn, lambda children, ctx: unflatten_fn(children, ctx), name,
                 to_dumpable_context, from_dumpable_context, keys)
    SUPPORTED_NODES[cls] = node
    _BY_SERIALIZED_NAME[name] = node


def _register_builtin(cls, flatten, unflatten, name, keys, to_d=None, from_d=None):
    node = _Node(cls, flatten, unflatten, name, to_d, from_d, keys)
    SUPPORTED_NODES[cls] = node
    _BY_SERIALIZED_NAME[name] = node


# SequenceKey(i) for small i, made once: key entries are frozen values, so one instance serves every path
# (export names every input and output leaf by its path, mostly positions 0, 1, 2...).
_SEQUENCE_KEYS = tuple(SequenceKey(i) for i in range(64))


def _sequence_keys(o, ctx):
    """[SequenceKey(i)] for each position of a sequence."""
    n = len(o)
    return list(_SEQUENCE_KEYS[:n]) if n <= len(_SEQUENCE_KEYS) else [SequenceKey(i) for i in range(n)]


_register_builtin(tuple, lambda t: (list(t), None), lambda ch, ctx: tuple(ch), "builtins.tuple", _sequence_keys)
_register_builtin(list, lambda t: (list(t), None), lambda ch, ctx: list(ch), "builtins.list", _sequence_keys)
_register_builtin(dict, lambda d: (list(d.values()), list(d.keys())), lambda ch, ctx: dict(zip(ctx, ch)),
                  "builtins.dict", lambda o, c: [MappingKey(k) for k in c])
_register_builtin(collections.OrderedDict, lambda d: (list(d.values()), list(d.keys())),
                  lambda ch, ctx: collections.OrderedDict(zip(ctx, ch)), "collections.OrderedDict",
                  lambda o, c: [MappingKey(k) for k in c])
_register_builtin(collections.deque, lambda d: (list(d), d.maxlen),
                  lambda ch, ctx: collections.deque(ch, maxlen=ctx), "collections.deque", _sequence_keys)


def is_namedtuple(obj):
    """True for namedtuple classes and instances."""
    cls = obj if isinstance(obj, type) else type(obj)
    return issubclass(cls, tuple) and hasattr(cls, "_fields") and cls is not tuple


def _namedtuple_name(cls):
    name = _NAMEDTUPLE_NAMES.get(cls)
    if name is None:
        raise NotImplementedError(
            f"Can't serialize TreeSpec of namedtuple class {cls} because it has no serialized_type_name; "
            "register it with minexport.utils._pytree._register_namedtuple(cls, serialized_type_name=...)")
    return name


def _namedtuple_from_name(name):
    for cls, n in _NAMEDTUPLE_NAMES.items():
        if n == name:
            return cls
    raise NotImplementedError(f"namedtuple '{name}' is not registered (use _register_namedtuple)")


_NAMEDTUPLE_NODE = _Node(collections.namedtuple, lambda t: (list(t), type(t)), lambda ch, ctx: ctx(*ch),
                         "collections.namedtuple", _namedtuple_name, _namedtuple_from_name,
                         lambda o, c: [GetAttrKey(f) for f in c._fields])
_BY_SERIALIZED_NAME["collections.namedtuple"] = _NAMEDTUPLE_NODE


def _register_namedtuple(cls, *, serialized_type_name):
    """Give a namedtuple class the name its specs serialize under."""
    _NAMEDTUPLE_NAMES[cls] = serialized_type_name


def _node_for(obj):
    node = SUPPORTED_NODES.get(type(obj))
    if node is None and is_namedtuple(obj):
        return _NAMEDTUPLE_NODE
    return node


class TreeSpec:
    """The structure of a pytree: node type, its context, and child specs (leaves are `LeafSpec`)."""

    __slots__ = ("type", "context", "children_specs", "num_leaves", "num_nodes")

    def __init__(self, type, context, children_specs):
        self.type, self.context, self.children_specs = type, context, list(children_specs)
        leaves = nodes = 0
        for c in self.children_specs:
            leaves += c.num_leaves
            nodes += c.num_nodes
        self.num_leaves, self.num_nodes = leaves, 1 + nodes

    @property
    def num_children(self):
        """Number of direct children."""
        return len(self.children_specs)

    def is_leaf(self):
        """True for a LeafSpec."""
        return False

    def unflatten(self, leaves):
        """tree_unflatten(leaves, self)."""
        return tree_unflatten(leaves, self)

    def _node(self):
        return _NAMEDTUPLE_NODE if self.type is collections.namedtuple else SUPPORTED_NODES[self.type]

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and not other.is_leaf() and self.type is other.type
                and self.context == other.context and self.children_specs == other.children_specs)

    def __hash__(self):
        return hash((self.type, self.num_leaves))

    def __repr__(self, indent=0):
        name = "namedtuple" if self.type is collections.namedtuple else self.type.__name__
        ctx = self.context
        inner = [c.__repr__(indent + 2) for c in self.children_specs]
        sep = ",\n" + " " * (indent + 2)
        return f"TreeSpec({name}, {ctx!r}, [{sep.join(inner)}])"


class LeafSpec(TreeSpec):
    """The spec of a leaf."""

    __slots__ = ()

    def __init__(self):
        self.type, self.context, self.children_specs = None, None, []
        self.num_leaves, self.num_nodes = 1, 1

    def is_leaf(self):
        """True."""
        return True

    def __eq__(self, other):
        return isinstance(other, LeafSpec)

    def __hash__(self):
        return 1

    def __repr__(self, indent=0):
        return "*"


_LEAF = LeafSpec()
_new = object.__new__


def _spec(type, context, children):
    """TreeSpec(type, context, children) for a fresh list of child specs (kept, not copied): the walks below
    make one per container."""
    spec = _new(TreeSpec)
    spec.type, spec.context, spec.children_specs = type, context, children
    leaves = nodes = 0
    for c in children:
        leaves += c.num_leaves
        nodes += c.num_nodes
    spec.num_leaves, spec.num_nodes = leaves, 1 + nodes
    return spec


def tree_flatten(tree, is_leaf=None):
    """(leaves, spec) of a pytree."""
    leaves = []
    if is_leaf is None:
        return leaves, _flatten(tree, leaves)

    def walk(obj):
        if is_leaf(obj):
            leaves.append(obj)
            return _LEAF
        node = _node_for(obj)
        if node is None:
            leaves.append(obj)
            return _LEAF
        children, ctx = node.flatten(obj)
        return TreeSpec(collections.namedtuple if node is _NAMEDTUPLE_NODE else type(obj), ctx,
                        [walk(c) for c in children])

    spec = walk(tree)
    return leaves, spec


def _flatten(obj, leaves):
    """The spec of obj, its leaves appended to `leaves` (tree_flatten with no is_leaf)."""
    cls = type(obj)
    node = SUPPORTED_NODES.get(cls)
    if node is None:
        if not is_namedtuple(obj):
            leaves.append(obj)
            return _LEAF
        node = _NAMEDTUPLE_NODE
    elif cls is tuple or cls is list:     # their flatten is (list(obj), None): the items are walked as they are
        return _spec(cls, None, [_flatten(c, leaves) for c in obj])
    elif cls is dict:       # its flatten is (values, keys)
        return _spec(dict, list(obj), [_flatten(c, leaves) for c in obj.values()])
    children, ctx = node.flatten(obj)
    return _spec(collections.namedtuple if node is _NAMEDTUPLE_NODE else cls, ctx,
                 [_flatten(c, leaves) for c in children])


def tree_flatten_with_path(tree, is_leaf=None):
    """([(key path, leaf)], spec)."""
    out = []

    # One walk makes the pairs and the spec.  A registered node whose keys function gives fewer or more
    # keys than it has children (a wrong registration) takes the two walks instead: the pairs then follow
    # the keys given (zip) and the spec every child, as they always did.
    def walk(obj, path):
        if is_leaf is not None and is_leaf(obj):
            out.append((path, obj))
            return _LEAF
        cls = type(obj)
        node = SUPPORTED_NODES.get(cls)
        if node is None:
            if not is_namedtuple(obj):
                out.append((path, obj))
                return _LEAF
            node = _NAMEDTUPLE_NODE
        elif (cls is tuple or cls is list) and len(obj) <= len(_SEQUENCE_KEYS):
            # their flatten is (list(obj), None) and their keys the shared SequenceKeys of the positions
            return _spec(cls, None, [walk(child, path + (key,)) for key, child in zip(_SEQUENCE_KEYS, obj)])
        elif cls is dict:       # its flatten is (values, keys), its key entries MappingKey(key)
            return _spec(dict, list(obj), [walk(child, path + (MappingKey(key),)) for key, child in obj.items()])
        children, ctx = node.flatten(obj)
        keys = node.keys(obj, ctx)
        if len(keys) != len(children):
            raise _KeysMismatch
        return _spec(collections.namedtuple if node is _NAMEDTUPLE_NODE else cls, ctx,
                     [walk(child, path + (key,)) for key, child in zip(keys, children)])

    try:
        spec = walk(tree, ())
    except _KeysMismatch:
        return _paths_by_keys(tree, is_leaf), tree_flatten(tree, is_leaf)[1]
    return out, spec


class _KeysMismatch(Exception):
    """A node's keys function disagrees with its flatten function on the number of children."""


def _paths_by_keys(tree, is_leaf):
    """[(key path, leaf)] pairing each node's keys with its children (zip: the shorter decides)."""
    out = []

    def walk(obj, path):
        if is_leaf is not None and is_leaf(obj):
            out.append((path, obj))
            return
        node = _node_for(obj)
        if node is None:
            out.append((path, obj))
            return
        children, ctx = node.flatten(obj)
        for key, child in zip(node.keys(obj, ctx), children):
            walk(child, path + (key,))

    walk(tree, ())
    return out


def tree_unflatten(leaves, treespec):
    """Rebuild the pytree of `treespec` from `leaves`."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of "
                        f"TreeSpec but got item of type {type(treespec)}.")
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
                         f"refers to a pytree that holds {treespec.num_leaves} items ({treespec}).")
    return _build(treespec, iter(leaves))


def _build(spec, it):
    """The pytree of `spec`, its leaves taken from the iterator `it` in order."""
    cls = type(spec)
    if cls is LeafSpec or cls is not TreeSpec and spec.is_leaf():
        return next(it)
    t = spec.type
    if t is tuple:      # the builtin sequences' unflatten: the children in a tuple / list
        return tuple([_build(c, it) for c in spec.children_specs])
    if t is list:
        return [_build(c, it) for c in spec.children_specs]
    if t is dict:       # its unflatten: dict(zip(keys, children))
        return dict(zip(spec.context, [_build(c, it) for c in spec.children_specs]))
    return spec._node().unflatten([_build(c, it) for c in spec.children_specs], spec.context)


def tree_leaves(tree, is_leaf=None):
    """The leaves of a pytree."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    """The TreeSpec of a pytree."""
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """Apply func to every leaf (leafwise over several trees of the same structure)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [_flatten_up_to(spec, r) for r in rests]
    return tree_unflatten([func(*xs) for xs in zip(leaves, *others)], spec)


def _flatten_up_to(spec, tree):
    leaves, other = tree_flatten(tree)
    if other != spec:
        raise ValueError(f"tree_map: trees differ in structure: {spec} vs {other}")
    return leaves


def tree_map_only(type_or_types, func, tree, is_leaf=None):
    """Apply func only to leaves of the given type(s)."""
    return tree_map(lambda x: func(x) if isinstance(x, type_or_types) else x, tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    """True when pred holds for every leaf."""
    return all(pred(x) for x in tree_leaves(tree, is_leaf))


def tree_any(pred, tree, is_leaf=None):
    """True when pred holds for some leaf."""
    return any(pred(x) for x in tree_leaves(tree, is_leaf))


# ------------------------------------------------------------ JSON form ----
def _spec_to_json(spec):
    if spec.is_leaf():
        return {"type": None, "context": None, "children_spec": []}
    node = spec._node()
    ctx = json.dumps(spec.context) if node.to_dumpable is None else node.to_dumpable(spec.context)
    return {"type": node.serialized_type_name, "context": ctx,
            "children_spec": [_spec_to_json(c) for c in spec.children_specs]}


def _spec_from_json(obj):
    if not isinstance(obj, dict) or set(obj) != {"type", "context", "children_spec"}:
        raise ValueError(f"invalid TreeSpec JSON node: {obj!r:.200}")
    if obj["type"] is None:
        if obj["children_spec"]:
            raise ValueError("invalid TreeSpec JSON: a leaf with children")
        return _LEAF
    node = _BY_SERIALIZED_NAME.get(obj["type"])
    if node is None:
        raise ValueError(f"TreeSpec JSON names the unregistered pytree type '{obj['type']}'; register "
                         f"it (register_pytree_node / register_dataclass) with that serialized_type_name")
    if not isinstance(obj["context"], str) or not isinstance(obj["children_spec"], list):
        raise ValueError("invalid TreeSpec JSON: context must be a string and children_spec a list")
    ctx = json.loads(obj["context"]) if node.from_dumpable is None else node.from_dumpable(obj["context"])
    spec_type = collections.namedtuple if node is _NAMEDTUPLE_NODE else node.cls
    return TreeSpec(spec_type, ctx, [_spec_from_json(c) for c in obj["children_spec"]])


def treespec_dumps(treespec, protocol=None):
    """The spec as torch's JSON text (protocol 1)."""
    return json.dumps([1, _spec_to_json(treespec)])


def treespec_loads(serialized):
    """Read torch's JSON text back into a TreeSpec."""
    data = json.loads(serialized)
    if not isinstance(data, list) or len(data) != 2 or data[0] != 1:
        raise ValueError(f"unsupported TreeSpec serialization (expected [1, {{...}}], protocol 1): {serialized:.100}")
    return _spec_from_json(data[1])
