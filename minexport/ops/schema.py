"""Parse torch's operator schema strings into typed records.

A schema looks like
    add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor
Types may carry alias annotations: `Tensor(a)` (a view of alias set a),
`Tensor(a!)` (written in place), `Tensor(a -> *)` (outputs alias into a).
The parser keeps everything torch's parser keeps that our passes need:
names, types, defaults, keyword-only markers, and alias/mutation info.
"""
import re

__all__ = ["FunctionSchema", "Argument", "Return", "SchemaType", "AliasInfo", "parse_schema"]


class SchemaError(ValueError):
    """A schema string that does not parse."""


class AliasInfo:
    """Alias annotation of one argument or return: its set names and whether it is written."""

    __slots__ = ("before", "after", "is_write")

    def __init__(self, before, after, is_write):
        self.before, self.after, self.is_write = before, after, is_write

    def __str__(self):
        s = "|".join(self.before) + ("!" if self.is_write else "")
        if self.after != self.before:
            s += " -> " + "|".join(self.after)
        return "(" + s + ")"

    def __eq__(self, other):
        return (isinstance(other, AliasInfo) and self.before == other.before
                and self.after == other.after and self.is_write == other.is_write)

    def __hash__(self):
        return hash((tuple(self.before), tuple(self.after), self.is_write))


class SchemaType:
    """An argument type: base name, list length (None = not a list, -1 = any), optionality."""

    __slots__ = ("base", "list_len", "optional", "elem_optional", "alias")

    def __init__(self, base, list_len=None, optional=False, elem_optional=False, alias=None):
        self.base, self.list_len, self.optional = base, list_len, optional
        self.elem_optional, self.alias = elem_optional, alias

    @property
    def is_tensor(self):
        """True for Tensor / Tensor? (not lists)."""
        return self.base == "Tensor" and self.list_len is None

    @property
    def is_tensor_list(self):
        """True for Tensor[] / Tensor?[]."""
        return self.base == "Tensor" and self.list_len is not None

    def __str__(self):
        s = self.base
        if self.elem_optional:
            s += "?"
        if self.alias is not None and self.list_len is None:
            s += str(self.alias)
        if self.list_len is not None:
            s += "[]" if self.list_len == -1 else f"[{self.list_len}]"
            if self.alias is not None:
                s = s[: len(self.base) + self.elem_optional] + str(self.alias) + s[len(self.base) + self.elem_optional:]
        if self.optional:
            s += "?"
        return s


class Argument:
    """One schema argument: name, SchemaType, default (a Python value), keyword-only flag."""

    __slots__ = ("name", "type", "default", "has_default", "kwarg_only", "default_text")

    def __init__(self, name, type, default, has_default, kwarg_only, default_text):
        self.name, self.type, self.default = name, type, default
        self.has_default, self.kwarg_only, self.default_text = has_default, kwarg_only, default_text

    @property
    def alias_info(self):
        """The type's AliasInfo or None."""
        return self.type.alias

    @property
    def is_write(self):
        """True when the op mutates this argument (`Tensor(a!)`)."""
        return self.type.alias is not None and self.type.alias.is_write

    def __str__(self):
        s = f"{self.type} {self.name}"
        if self.has_default:
            s += "=" + self.default_text
        return s


class Return:
    """One return value: its type and optional name."""

    __slots__ = ("name", "type")

    def __init__(self, name, type):
        self.name, self.type = name, type

    @property
    def alias_info(self):
        """The type's AliasInfo or None."""
        return self.type.alias

    def __str__(self):
        return f"{self.type} {self.name}" if self.name else str(self.type)


class FunctionSchema:
    """A parsed schema: `name`, `overload_name`, `arguments`, `returns`."""

    __slots__ = ("name", "overload_name", "arguments", "returns", "_text")

    def __init__(self, name, overload_name, arguments, returns, text):
        self.name, self.overload_name = name, overload_name
        self.arguments, self.returns, self._text = arguments, returns, text

    @property
    def is_mutable(self):
        """True when any argument is written (`Tensor(a!)`)."""
        return any(a.is_write for a in self.arguments)

    @property
    def is_view(self):
        """True when some return aliases an input without writing it."""
        return any(r.type.alias is not None and not r.type.alias.is_write for r in self.returns)

    @property
    def positional(self):
        """Arguments that may be given positionally."""
        return [a for a in self.arguments if not a.kwarg_only]

    def __str__(self):
        name = self.name + ("." + self.overload_name if self.overload_name else "")
        parts, star = [], False
        for a in self.arguments:
            if a.kwarg_only and not star:
                parts.append("*")
                star = True
            parts.append(str(a))
        if len(self.returns) == 1 and not self.returns[0].name:
            rets = str(self.returns[0])
        else:
            rets = "(" + ", ".join(str(r) for r in self.returns) + ")"
        return f"{name}({', '.join(parts)}) -> {rets}"

    __repr__ = __str__


_ALIAS_RE = re.compile(r"\(([a-z0-9*|]+)(!?)(?:\s*->\s*([a-z0-9*|]+))?\)")
_TYPE_RE = re.compile(
    r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(?P<eopt>\?)?(?P<alias1>\([^)]*\))?"
    r"(?P<list>\[\d*\])?(?P<alias2>\([^)]*\))?(?P<opt>\?)?$")


def _parse_alias(text):
    if not text:
        return None
    m = _ALIAS_RE.fullmatch(text)
    if not m:
        raise SchemaError(f"bad alias annotation {text!r}")
    before = m.group(1).split("|")
    after = m.group(3).split("|") if m.group(3) else before
    return AliasInfo(before, after, bool(m.group(2)))


def _parse_type(text):
    m = _TYPE_RE.match(text.replace(" ", ""))
    if not m:
        raise SchemaError(f"bad type {text!r}")
    lst = m.group("list")
    list_len = None if lst is None else (-1 if lst == "[]" else int(lst[1:-1]))
    alias = _parse_alias(m.group("alias1") or m.group("alias2"))
    elem_opt = bool(m.group("eopt")) and lst is not None
    optional = bool(m.group("opt")) or (bool(m.group("eopt")) and lst is None)
    return SchemaType(m.group("base"), list_len, optional, elem_opt, alias)


def _split_top(text, sep=","):
    """Split on `sep` outside brackets, parentheses and quotes."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    tail = "".join(cur).strip()
    if tail:
        parts.append(tail)
    return parts


_NAMED_DEFAULTS = {"None": None, "True": True, "False": False,
                   "contiguous_format": "contiguous_format", "Mean": 1, "Sum": 0,
                   "long": "long"}


def _parse_default(text, typ):
    text = text.strip()
    if text in _NAMED_DEFAULTS:
        value = _NAMED_DEFAULTS[text]
    elif text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        value = [_parse_default(t, SchemaType(typ.base)) for t in _split_top(inner)] if inner else []
    elif text[0] in "\"'":
        value = text[1:-1]
    else:
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise SchemaError(f"bad default {text!r}") from None
    # `int[2] stride=1` means [1, 1], as in torch
    if typ.list_len not in (None, -1) and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value] * typ.list_len
    return value


def _parse_arg(text, kwarg_only):
    default_text, has_default = None, "=" in text
    if has_default:
        text, default_text = text.split("=", 1)
        default_text = default_text.strip()
    text = text.strip()
    # the name is the last word; the type is everything before it
    m = re.match(r"^(.*\S)\s+([A-Za-z_][A-Za-z0-9_]*)$", text)
    if not m:
        raise SchemaError(f"bad argument {text!r}")
    typ = _parse_type(m.group(1))
    default = _parse_default(default_text, typ) if has_default else None
    return Argument(m.group(2), typ, default, has_default, kwarg_only, default_text)


def _parse_returns(text):
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and not _ALIAS_RE.fullmatch(text):
        items = _split_top(text[1:-1])
    else:
        items = [text] if text else []
    rets = []
    for item in items:
        m = re.match(r"^(.*\S)\s+([A-Za-z_][A-Za-z0-9_]*)$", item)
        if m and not m.group(2)[0].isupper():
            rets.append(Return(m.group(2), _parse_type(m.group(1))))
        else:
            rets.append(Return(None, _parse_type(item)))
    return rets


def parse_schema(text):
    """Parse one schema string (with or without the `aten::` prefix)."""
    src = text
    if "::" in text.split("(", 1)[0]:
        text = text.split("::", 1)[1]
    try:
        head, rest = text.split("(", 1)
        depth, i = 1, 0
        while depth:
            ch = rest[i]
            depth += ch == "(" or -(ch == ")")
            i += 1
        arg_text, ret_text = rest[: i - 1], rest[i:].strip()
        if not ret_text.startswith("->"):
            raise SchemaError("missing '->'")
        name, _, overload = head.strip().partition(".")
        args, kwarg_only = [], False
        for part in _split_top(arg_text):
            if part == "*":
                kwarg_only = True
                continue
            args.append(_parse_arg(part, kwarg_only))
        returns = _parse_returns(ret_text[2:])
    except SchemaError as e:
        raise SchemaError(f"cannot parse schema {src!r}: {e}") from None
    except (IndexError, ValueError) as e:
        raise SchemaError(f"cannot parse schema {src!r}: {e}") from None
    return FunctionSchema(name, overload, args, returns, src)
