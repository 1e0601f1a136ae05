"""One validating reader for every type of the archive schema: `read(obj, spec, where)`.

It type-checks a parsed JSON value against a spec from schema.py and returns
it in a form the rest of the loader uses without further checks:

- a Record becomes a dict with exactly the declared fields (defaults filled in;
  fields it does not declare are ignored, as torch does, so that a newer minor
  version of the format still loads);
- a Union becomes a `(tag, value)` pair;
- an Enum code becomes the value its table maps it to (a dtype, "strided", ...);
- lists, dicts and leaves keep their JSON form.

Anything else (a wrong type, a missing field, a union with no or two tags, an
unknown tag, an unknown code, a name that is not an identifier) raises one
SerializationError that names the JSON path, e.g.
`graph.nodes[3].inputs[0].arg: expected exactly one field of a union, got []`.
"""
from . import schema as S
from .errors import SerializationError

__all__ = ["Where", "read"]


class Where:
    """A JSON path, built as `where / "inputs" / 3` (fields and list indices) or `where["x"]` (dict keys)."""

    __slots__ = ("parent", "step")

    def __init__(self, step, parent=None):
        self.parent, self.step = parent, step     # step: a field name, a list index, or (dict key,)

    def __truediv__(self, key):
        return Where(key, self)

    def __getitem__(self, key):
        return Where((key,), self)

    def __str__(self):
        steps, w = [], self
        while w.parent is not None:
            steps.append(_step_text(w.step))
            w = w.parent
        return str(w.step) + "".join(reversed(steps))

    def error(self, message):
        """A SerializationError saying `message` about this place."""
        return SerializationError(f"{self}: {message}")


def _step_text(step):
    if type(step) is int:
        return f"[{step}]"
    if type(step) is tuple:
        return f"[{step[0]!r}]"
    return f".{step}"


def read(obj, spec, where):
    """obj checked against spec (see the module docstring); SerializationError naming the path otherwise."""
    try:
        return _reader(spec)(obj)
    except _Invalid as e:
        for step in reversed(e.path):
            where = Where(step, where)
        raise where.error(e.message) from None
    except RecursionError:
        raise where.error("nested too deeply") from None


# Readers are compiled once per spec into closures, and they do not carry a
# Where: building one per JSON value would cost more than the checks
# themselves.  A failure raises _Invalid, and each enclosing list, dict or
# record adds its step to the path while the exception travels up; `read`
# turns the path into a Where.  Readers are pure functions of their input,
# so a list that fails is read again, item by item, only to find the index.
class _Invalid(Exception):
    def __init__(self, message):
        self.message, self.path = message, []


def _json_type(v):
    return {dict: "object", list: "list", type(None): "null"}.get(type(v), type(v).__name__)


def _reader(spec):
    reader = _COMPILED.get(id(spec))
    if reader is None:
        reader = _COMPILED[id(spec)] = _COMPILERS[type(spec)](spec)
    return reader


_COMPILED = {}


def _plain_type(spec):
    """The Python type a value of spec has when it needs no other check (int, bool, str, float), else None.

    Records and unions test it inline before calling the spec's reader (the
    reader still handles everything else, e.g. an int where a float goes).
    """
    return spec.json_type if type(spec) is S.Leaf and not spec.identifier else None


def _leaf(spec):
    if spec.json_type is float:         # torch writes a float that is whole as an int
        def read_float(v):
            if type(v) is float or type(v) is int:
                return v
            if type(v) is str and v in S.NONFINITE_FLOATS:
                return S.NONFINITE_FLOATS[v]
            raise _Invalid(f"expected float, got {_json_type(v)}")
        return read_float
    kind, identifier = spec.json_type, spec.identifier

    def read_leaf(v):
        if type(v) is not kind:
            raise _Invalid(f"expected {kind.__name__}, got {_json_type(v)}")
        if identifier and not v.isidentifier():
            raise _Invalid(f"{v!r} is not a valid name")
        return v
    return read_leaf


def _enum(spec):
    codes, what, note = spec.codes, spec.what, spec.note

    def read_code(v):
        if type(v) is int and v in codes:
            return codes[v]
        raise _Invalid(f"unsupported {what} code {v!r}{note}")
    return read_code


def _list(spec):
    item, kind = _reader(spec.item), _plain_type(spec.item)
    if type(spec.item) is S.Union:
        return _union_list(spec.item, item)

    def read_list(v):
        if type(v) is not list:
            raise _Invalid(f"expected list, got {_json_type(v)}")
        try:
            if kind is not None and all(type(x) is kind for x in v):
                return list(v)
            return [item(x) for x in v]
        except _Invalid as e:
            e.path.append(_failing_index(v, item))
            raise
    return read_list


def _union_list(union, item):
    # Lists of unions are the bulk of a file (sizes, strides, node inputs and outputs), and most of their
    # items hold a plain value ({"as_int": 3}): those are read inline, the rest by the union's reader.
    plain = {tag: _plain_type(s) for tag, s in union.tags.items() if _plain_type(s) is not None}

    def read_union_list(v):
        if type(v) is not list:
            raise _Invalid(f"expected list, got {_json_type(v)}")
        out = []
        for u in v:
            if type(u) is dict and len(u) == 1:
                (tag, x), = u.items()
                if type(x) is plain.get(tag):
                    out.append((tag, x))
                    continue
            out.append(_read_item(item, u, len(out)))
        return out
    return read_union_list


def _read_item(item, x, index):
    try:
        return item(x)
    except _Invalid as e:
        e.path.append(index)
        raise


def _failing_index(items, item):
    for i, x in enumerate(items):
        try:
            item(x)
        except _Invalid:
            return i


def _dict(spec):
    key, value, kind = _reader(spec.key), _reader(spec.value), _plain_type(spec.value)
    plain_keys = spec.key is S.STR

    def read_dict(v):
        if type(v) is not dict:
            raise _Invalid(f"expected object, got {_json_type(v)}")
        if kind is not None and plain_keys and all(type(x) is kind for x in v.values()):
            return dict(v)          # JSON object keys are always strings
        out = {}
        for k, x in v.items():
            try:
                out[key(k)] = value(x)
            except _Invalid as e:
                e.path.append((k,))
                raise
        return out
    return read_dict


def _nullable(spec):
    inner = _reader(spec.inner)
    return lambda v: None if v is None else inner(v)


def _ref(spec):
    return lambda v: _reader(spec.target)(v)


def _enum_codes(spec):
    """The code table of an Enum (or nullable Enum) spec, which records decode inline; else None."""
    spec = spec.inner if type(spec) is S.Nullable else spec
    return spec.codes if type(spec) is S.Enum else None


def _record(spec):
    # per field: (name, plain type or None, enum codes or None, reader, default); a list or dict default is
    # copied per read
    fields = [(name, _plain_type(f.spec), _enum_codes(f.spec), _reader(f.spec), f.default)
              for name, f in spec.fields.items()]
    name_of = spec.name

    def read_record(v):
        if type(v) is not dict:
            raise _Invalid(f"expected {name_of} (an object), got {_json_type(v)}")
        out = {}
        for name, kind, codes, reader, default in fields:
            x = v.get(name, S.REQUIRED)
            if type(x) is kind:
                out[name] = x
            elif codes is not None and type(x) is int and x in codes:
                out[name] = codes[x]
            elif x is S.REQUIRED:
                if default is S.REQUIRED:
                    raise _Invalid(f"missing field '{name}'")
                out[name] = type(default)() if type(default) in (list, dict) else default
            else:
                try:
                    out[name] = reader(x)
                except _Invalid as e:
                    e.path.append(name)
                    raise
        return out
    return read_record


def _union(spec):
    # tag -> (plain type or None, reader)
    tags = {tag: (_plain_type(s), _reader(s)) for tag, s in spec.tags.items()}
    name_of = spec.name

    def read_union(v):
        if type(v) is not dict or len(v) != 1:
            if type(v) is not dict:
                raise _Invalid(f"expected {name_of} (an object with one field), got {_json_type(v)}")
            raise _Invalid(f"expected exactly one field of a union, got {sorted(v)}")
        (tag, x), = v.items()
        kind, reader = tags.get(tag, _UNKNOWN_TAG)
        if type(x) is kind:
            return tag, x
        if reader is None:
            raise _Invalid(f"'{tag}' is not a kind of {name_of}")
        try:
            return tag, reader(x)
        except _Invalid as e:
            e.path.append(tag)
            raise
    return read_union


_UNKNOWN_TAG = (None, None)
_COMPILERS = {S.Leaf: _leaf, S.Enum: _enum, S.ListOf: _list, S.DictOf: _dict, S.Nullable: _nullable, S.Ref: _ref,
              S.Record: _record, S.Union: _union}
