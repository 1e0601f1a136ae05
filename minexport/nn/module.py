"""`Module`: the container of parameters, buffers and submodules, as in torch.

Attribute assignment routes Parameters, buffers and Modules into their own
ordered tables; `named_*` walk them in registration order with dotted names
(fqns) and drop duplicates; `state_dict`/`load_state_dict` follow torch's
rules (non-persistent buffers excluded; strict loading names missing keys,
unexpected keys and shape mismatches).
"""
import collections
import contextlib
import itertools

import numpy as np

from .._tensor import Tensor
from .._trace_state import trace_state
from .parameter import Buffer, Parameter

__all__ = ["Module"]

_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer and model."""

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; "
                            "Module.__init__ takes none")
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent_buffers_set", set())
        set_(self, "_modules", {})
        set_(self, "_forward_hooks", collections.OrderedDict())
        set_(self, "_forward_pre_hooks", collections.OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; subclasses define it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        tracer = trace_state.tracer
        # Without hooks (nearly every call) forward is called from here: one frame less per module call, and for
        # every stack walk of a trace.  As torch's _call_impl, the hooks are asked for once, before forward.
        # (`f(*args, **{})` would build an empty dict)
        d = self.__dict__
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
            call, args, kwargs = self._call_impl, (args, kwargs), {}
        else:
            call = self.forward
        if tracer is None:
            return call(*args, **kwargs) if kwargs else call(*args)
        key = tracer.enter_module(self)
        try:
            return call(*args, **kwargs) if kwargs else call(*args)
        finally:
            tracer.exit_module(key)

    def _call_impl(self, args, kwargs):
        """forward with the module's forward pre-hooks and hooks around it."""
        for hook, with_kwargs in self.__dict__.get("_forward_pre_hooks", {}).values():
            if with_kwargs:
                r = hook(self, args, kwargs)
                if r is not None:
                    if not (isinstance(r, tuple) and len(r) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {r}.")
                    args, kwargs = r
            else:
                r = hook(self, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        hooks = self.__dict__.get("_forward_hooks", {})
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for hook, with_kwargs, always in list(hooks.values()):   # always_call hooks run on failure too
                if always:
                    with contextlib.suppress(Exception):
                        hook(self, args, kwargs, None) if with_kwargs else hook(self, args, None)
            raise
        for hook, with_kwargs, _ in hooks.values():
            r = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if r is not None:
                out = r
        return out

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call hook(module, args, output) after forward (hook(module, args, kwargs, output) with_kwargs); a
        non-None return replaces the output.  Returns a handle with remove()."""
        return _Handle(self._forward_hooks, (hook, with_kwargs, always_call), prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call hook(module, args) before forward (hook(module, args, kwargs) with_kwargs, returning None or
        (args, kwargs)); a non-None return replaces the inputs.  Returns a handle with remove()."""
        return _Handle(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """Refused: backward hooks need autograd, which minexport does not have."""
        raise NotImplementedError("register_full_backward_hook is not supported by minexport: it has no "
                                  "autograd (export traces forward only); remove the hook for export")

    register_backward_hook = register_full_backward_hook
    register_full_backward_pre_hook = register_full_backward_hook

    # ----------------------------------------------------------- registration --
    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign parameters, buffers or modules before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__}.__init__)")

    def register_parameter(self, name, param):
        """Add a Parameter (or None) under `name`."""
        self._check_init()
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        _drop_mirror(self.__dict__, self._parameters, name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer (state that is not a parameter); non-persistent ones stay out of state_dict."""
        self._check_init()
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        _drop_mirror(self.__dict__, self._buffers, name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a submodule (or None) under `name`."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            self._check_init()
            _discard(self, name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            _drop_mirror(d, params, name)
            params[name] = None
        elif isinstance(value, Module):
            self._check_init()
            _discard(self, name, keep="_modules")
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = None
        elif isinstance(value, Buffer):
            self._check_init()
            _discard(self, name, keep="_buffers")
            self.register_buffer(name, value, value.persistent)
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            _drop_mirror(d, buffers, name)
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            t = d.get(table)
            if t is not None and name in t:
                return t[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                _drop_mirror(self.__dict__, table, name)
                del table[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._buffers) | set(self._modules))

    # --------------------------------------------------------------- walking --
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(fqn, module) for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def module_tree(self, remove_duplicate=True):
        """[(fqn, module)] for this module and every descendant: what `named_modules(remove_duplicate=)`
        yields (each module once, or once per name), as a list made in one walk (a stack, not nested
        generators: export reads it for every module's state, and nested generators cost a frame per level
        for every module)."""
        out, seen, stack = [], set(), [("", self)]
        while stack:
            prefix, m = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            out.append((prefix, m))
            if m._modules:      # most modules are leaves: no comprehension for an empty table
                children = [(prefix + "." + name if prefix else name, c) for name, c in m._modules.items()
                            if c is not None]
                stack.extend(reversed(children))
        return out

    def modules(self):
        """Every module, this one first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """(name, module) of direct submodules."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """Direct submodules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, v in getattr(m, table).items():
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(fqn, Parameter) pairs; shared parameters appear once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Every Parameter."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(fqn, buffer) pairs, persistent or not."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The submodule at dotted path `target` ('' is self)."""
        m = self
        if target == "":
            return m
        for part in target.split("."):
            if part not in m._modules or m._modules[part] is None:
                raise AttributeError(f"{type(m).__name__} has no attribute `{part}`")
            m = m._modules[part]
        return m

    def get_parameter(self, target):
        """The Parameter at dotted path `target`."""
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if name not in m._parameters:
            raise AttributeError(f"{type(m).__name__} has no parameter `{name}`")
        return m._parameters[name]

    def get_buffer(self, target):
        """The buffer at dotted path `target`."""
        mod, _, name = target.rpartition(".")
        m = self.get_submodule(mod)
        if name not in m._buffers:
            raise AttributeError(f"{type(m).__name__} has no buffer `{name}`")
        return m._buffers[name]

    # ----------------------------------------------------------------- state --
    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """fqn -> tensor for parameters and persistent buffers (sharing memory)."""
        out = collections.OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=out, prefix=prefix + name + ".", keep_vars=keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values into this module's parameters and persistent buffers.

        Values may be minexport tensors, NumPy arrays, or anything with
        `__array__` (torch tensors included).  With strict=True, missing or
        unexpected keys are an error, listed all at once as torch lists them.
        """
        state_dict = collections.OrderedDict(state_dict)     # the pre-hooks may rename entries: a copy
        missing, unexpected, errors = self._run_load_pre_hooks(state_dict, strict)
        own = self.state_dict(keep_vars=True)
        missing += [k for k in own if k not in state_dict]
        unexpected += [k for k in state_dict if k not in own]
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _as_tensor(state_dict[key])
            if tuple(value.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                              f"checkpoint, the shape in current model is {target.shape}.")
                continue
            if not errors:
                _load_one(self, key, target, value, assign)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """Call hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs) --
        with this module first when with_module -- before load_state_dict reads this module's entries (`prefix`
        is the module's fqn and a dot); it may rename or replace entries of the state dict being loaded, and
        add to the three lists.  Returns a handle with remove()."""
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", collections.OrderedDict())
        return _Handle(hooks, (hook, with_module))

    def register_load_state_dict_pre_hook(self, hook):
        """`_register_load_state_dict_pre_hook(hook, with_module=True)`: hook(module, state_dict, prefix, ...)."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _run_load_pre_hooks(self, state_dict, strict):
        """Every module's load_state_dict pre-hooks, parents first; the (missing, unexpected, error) lists
        they added to."""
        missing, unexpected, errors = [], [], []
        for name, module in self.named_modules():
            for hook, with_module in module.__dict__.get("_load_state_dict_pre_hooks", {}).values():
                args = (state_dict, f"{name}." if name else "", {}, strict, missing, unexpected, errors)
                hook(module, *args) if with_module else hook(*args)
        return missing, unexpected, errors

    # ----------------------------------------------------------------- modes --
    def train(self, mode=True):
        """Set training mode here and in every submodule."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad on every parameter (a flag only)."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none=True):
        """No-op: there is no autograd."""

    def apply(self, fn):
        """Call fn on every submodule (children first), then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, convert):
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for name, t in table.items():
                    if t is not None:
                        new = convert(t)
                        if new is not t:
                            t._data, t._dtype, t._device = new._data, new._dtype, new._device
        return self

    def to(self, *args, **kwargs):
        """Move/cast parameters and buffers in place (only floating tensors change dtype)."""
        def convert(t):
            dtype_args = [a for a in args if not isinstance(a, (str, int)) and hasattr(a, "is_floating_point")]
            if (dtype_args or "dtype" in kwargs) and not t.is_floating_point():
                keep = [a for a in args if a not in dtype_args]
                kw = {k: v for k, v in kwargs.items() if k != "dtype"}
                return t.to(*keep, **kw) if keep or kw else t
            return t.to(*args, **kwargs)
        return self._apply_to_tensors(convert)

    def float(self):
        """Floating parameters and buffers to float32."""
        from .. import float32
        return self.to(float32)

    def double(self):
        """Floating parameters and buffers to float64."""
        from .. import float64
        return self.to(float64)

    def half(self):
        """Floating parameters and buffers to float16."""
        from .. import float16
        return self.to(float16)

    def cpu(self):
        """Everything to the CPU."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Everything to a CUDA device."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    # ------------------------------------------------------------------ repr --
    def extra_repr(self):
        """Extra text inside this module's repr (its constructor arguments)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


class _Handle:
    """What registering a hook returns: remove() unregisters it; usable as a context manager."""

    _ids = itertools.count()

    def __init__(self, table, entry, prepend=False):
        self.id = next(self._ids)
        self.table = table
        table[self.id] = entry
        if prepend:
            table.move_to_end(self.id, last=False)

    def remove(self):
        """Unregister the hook."""
        self.table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _check_name(module, name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
    if "." in name or name == "":
        raise KeyError(f'{what} name can\'t contain "." or be empty, got: "{name}"')


def _drop_mirror(attrs, table, name):
    """Before table entry `name` changes: drop its copy from the instance dict `attrs`, if it has one.

    While export traces, a parameter or buffer may also sit in its module's
    instance dict, where attribute reads find it at once (see
    export/_trace.py, `_FakeState`); such a mirror is always the very object
    in the table, and must go when the entry changes, or reads would see the
    old value.  (A plain attribute of that name is another object, and stays.)
    """
    if name in attrs and attrs[name] is table.get(name):
        del attrs[name]


def _discard(module, name, keep=None):
    """Remove `name` from every table but `keep` (re-assigning an entry keeps its place, as in torch)."""
    for table in ("_parameters", "_buffers", "_modules"):
        if table != keep:
            module.__dict__[table].pop(name, None)
    module._non_persistent_buffers_set.discard(name)
    module.__dict__.pop(name, None)


def _as_tensor(value):
    from .._factories import tensor
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):   # a torch tensor
        return tensor(np.asarray(value.detach().cpu().numpy()))
    return tensor(np.asarray(value))


def _load_one(module, key, target, value, assign):
    if assign:
        mod, _, name = key.rpartition(".")
        owner = module.get_submodule(mod)
        if name in owner._parameters:
            owner._parameters[name] = Parameter(value, requires_grad=target.requires_grad)
        else:
            owner._buffers[name] = value
        return
    target.copy_(value)
