"""`jit` and `make_ir`: from Python functions to compiled code and to IR.

A jitted function traces once per signature (static arguments, pytree structure, shapes,
dtypes and weak types of the array leaves, and the config options that change tracing),
compiles through the CPU pipeline, and keeps the executable; later calls with the same
signature only flatten, look up and dispatch. As in JAX, the compiled signatures belong to
the function object (held weakly): `jit(f)` made afresh for each call traces `f` once, and
sees a changed global only after `f` itself changes. Each function keeps its
`jit_cache_size` (config) most recently used signatures.
Called while another function is being traced, a jitted function becomes a private
func.func of the same module and a `func.call` to it.
"""
from __future__ import annotations

import functools
import inspect
import threading
import weakref

import numpy as np
from mlir import ir
from mlir.dialects import func as func_d

from mlax import backends, concrete, core, dtypes, eager, placement, spmd, stages, tracing
from mlax.dialects import structural, tensor_type
from mlax.eager import to_numpy
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.pytree import all_leaves, tree_flatten, tree_map, tree_unflatten


class _Entry:
    """One compiled signature. `guards` are the concrete values its trace branched on
    (mlax.concrete): it serves only calls whose arguments give the same; `other` is the
    entry traced for other branches, tried next."""
    __slots__ = ("exe", "out_tree", "out_weak", "module_text", "guards", "other")

    def __init__(self, exe, out_tree, out_weak, guards=()):
        self.exe, self.out_tree, self.out_weak = exe, out_tree, out_weak
        self.guards, self.other = guards, None

    def for_inputs(self, inputs):
        """The entry of this chain whose guards hold for `inputs` (NumPy arrays), or None."""
        entry = self
        while entry is not None and entry.guards and not concrete.holds(entry.guards, inputs):
            entry = entry.other
        return entry

    def chain(self, head, bound):
        """Put this entry in front of `head`'s chain, keeping at most `bound` entries."""
        self.other = head
        entry, n = self, 1
        while entry.other is not None:
            if n >= bound:
                entry.other.release()
                entry.other = None
                break
            entry, n = entry.other, n + 1
        return self

    def release(self):
        """Evicted from its cache: drop the executables (freed once no call holds them)."""
        self.exe = None
        if self.other is not None:
            self.other.release()


# id(function) -> (weak reference to it, the LRU of its compiled entries)
_CACHES: dict = {}
_CACHES_LOCK = threading.RLock()   # reentrant: a weakref callback may run inside


def _cache_of(fun) -> core.LRU:
    """The compiled entries of `fun`, shared by every jit of the same function object and
    dropped with it. A callable that cannot be weakly referenced gets a cache per jit."""
    k = id(fun)
    with _CACHES_LOCK:
        held = _CACHES.get(k)
        if held is not None and held[0]() is fun:
            return held[1]
        cache = core.LRU("jit_cache_size", on_evict=_Entry.release)
        try:
            ref = weakref.ref(fun, functools.partial(_forget, k))
        except TypeError:
            return cache
        _CACHES[k] = (ref, cache)
        return cache


def _forget(k, ref):
    with _CACHES_LOCK:
        held = _CACHES.get(k)
        if held is not None and held[0] is ref:
            del _CACHES[k]


def _argnums(value, what):
    """An int or a sequence of ints, as a tuple."""
    if value is None:
        return ()
    if not isinstance(value, (int, np.integer, list, tuple)):
        raise TypeError(f"jit: {what} must be an int or a sequence of ints, got {value!r}")
    value = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    for v in value:
        if not isinstance(v, (int, np.integer)):
            raise TypeError(f"jit: {what} must be an int or a sequence of ints, got {v!r} in {value!r}")
    return tuple(int(v) for v in value)


def _argnames(value, what):
    """A str or a sequence of strs, as a tuple."""
    if value is None:
        return ()
    if not isinstance(value, (str, list, tuple)):
        raise TypeError(f"jit: {what} must be a str or a sequence of strs, got {value!r}")
    value = (value,) if isinstance(value, str) else tuple(value)
    for v in value:
        if not isinstance(v, str):
            raise TypeError(f"jit: {what} must be a str or a sequence of strs, got {v!r} in {value!r}")
    return value


def _check_argnums(params, nums, what):
    """Positional indices must name a parameter (JAX's ValueError), unless *args takes any
    number; negative ones count from the end of the positional parameters."""
    kinds = [p.kind for p in params]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return nums
    npos = sum(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
               for k in kinds)
    for i in nums:
        if not -npos <= i < npos:
            raise ValueError(f"PjitFunction function has {what}={nums}, but only accepts {npos} "
                             f"positional arguments.")
    return tuple(i % npos for i in nums)


def _check_argnames(params, names, what):
    """Names must be parameters that can be passed by keyword, unless **kwargs takes any."""
    by_name = {p.name: p for p in params}
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
        return
    bad = sorted(n for n in names if n not in by_name)
    if bad:
        raise ValueError(f"PjitFunction function has invalid argnames {set(bad)} in {what}. Function "
                         f"does not take these args.")
    posonly = sorted(n for n in names if by_name[n].kind == inspect.Parameter.POSITIONAL_ONLY)
    if posonly:
        raise ValueError(f"PjitFunction function has invalid argnames {set(posonly)} in {what}. These "
                         f"are positional-only")


def _normalize_static(fun, static_argnums, static_argnames, donate_argnums=None):
    static_argnums = _argnums(static_argnums, "static_argnums")
    static_argnames = _argnames(static_argnames, "static_argnames")
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = None   # a builtin without a signature: nothing to check against
    if params is not None:
        static_argnums = _check_argnums(params, static_argnums, "static_argnums")
        _check_argnums(params, _argnums(donate_argnums, "donate_argnums"), "donate_argnums")
        _check_argnames(params, static_argnames, "static_argnames")
    params = params or []
    names = [p.name for p in params]
    # JAX infers each from the other where the signature allows.
    nums = set(static_argnums)
    for n in static_argnames:
        if n in names and params[names.index(n)].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            nums.add(names.index(n))
    anames = set(static_argnames)
    for i in static_argnums:
        if 0 <= i < len(params) and params[i].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD:
            anames.add(params[i].name)
    return tuple(sorted(nums)), tuple(sorted(anames)), names


class PjitFunction:
    """The result of `mlax.jit(fun)`. Named as the type of JAX's jitted functions, which
    libraries recognise by that name (chex.assert_max_traces refuses to wrap one)."""

    def __init__(self, fun, static_argnums=None, static_argnames=None, donate_argnums=None,
                 backend=None, concrete=False, in_shardings=None, out_shardings=None):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._backend = backend
        self._in_shardings, self._out_shardings = in_shardings, out_shardings
        # A transform run as a jit of itself: its function sees the arguments' values
        # where JAX's would (mlax.concrete). Not for the user's jit, which abstracts them.
        self._concrete = concrete
        self._static_argnums, self._static_argnames, self._param_names = \
            _normalize_static(fun, static_argnums, static_argnames, donate_argnums)
        # The cache is the function's, shared by its jits: the backend is part of the key.
        self._options = (self._static_argnums, self._static_argnames, backend,
                         _shardings_key(in_shardings), _shardings_key(out_shardings))
        self._cache = _cache_of(fun)
        # Signature of top-level Array args -> _Entry (no pytrees, no statics), an index
        # into the cache that is valid while the config is unchanged.
        self._fast = {}
        self._fast_generation = core.config.generation

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _split(self, args, kwargs):
        nums, names = self._static_argnums, self._static_argnames
        static = []
        dyn_args = []
        dyn_names = []
        for i, a in enumerate(args):
            if i in nums or i - len(args) in nums:   # negative: counted from the end (f(*args))
                static.append((i, _hashable(a, self._arg_name(i))))
            else:
                dyn_args.append(a)
                dyn_names.append(self._arg_name(i))
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in names:
                static.append((k, _hashable(v, k)))
            else:
                dyn_kwargs[k] = v
        return tuple(static), dyn_args, dyn_names, dyn_kwargs

    def _arg_name(self, i):
        return self._param_names[i] if i < len(self._param_names) else f"args[{i}]"

    def _rebuild(self, static, dyn_args, dyn_kwargs):
        args = list(dyn_args)
        kwargs = dict(dyn_kwargs)
        for k, v in static:
            if isinstance(k, int):
                args.insert(k, v)
            else:
                kwargs[k] = v
        return args, kwargs

    def __call__(self, *args, **kwargs):
        if not kwargs and self._fast and self._fast_generation == core.config.generation \
                and not core.trace_stack():
            # The hot path: a signature seen before, of Arrays and Python scalars in
            # tuples, lists and dicts (or of arrays committed to devices, whose layouts
            # are part of it: _placed_signature).
            leaves = []
            try:
                sig = tuple([_hot_signature(a, leaves) for a in args])
            except (_NotHot, TypeError):
                sig, leaves = self._placed_signature(args), args
            hot = self._fast.get(sig) if sig is not None else None
            if hot is not None:
                entry, scalars = hot
                exe = entry.exe
                if exe is not None:
                    try:
                        for i, dtype in scalars:
                            leaves[i] = _scalar_array(leaves[i], dtype)
                    except OverflowError:
                        pass      # an int out of its dtype's range: the slow path says so
                    else:
                        outs = exe.call.call_arrays(leaves, entry.out_weak)
                        return entry.out_tree.unflatten(outs)
        if core.config.values["jax_disable_jit"] and not self._concrete:
            return self._fun(*args, **kwargs)   # a transform's jit is not the user's
        current = tracing.current()
        frames = core.check_frames()
        if current is not None and (getattr(current, "inline_calls", False)
                                    or frames and frames[-1].builder is current):
            # Traced inline (calls are equivalent to inlined code): under checkify, so that
            # the nested jit's checks reach the checkified function's error; under partial
            # evaluation, so that its ops on known values are computed at once.
            return self._fun(*args, **kwargs)
        static, dyn_args, dyn_names, dyn_kwargs = self._split(args, kwargs)
        leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
        if core.trace_stack():
            return self._call_traced(static, leaves, treedef, dyn_names, dyn_args)
        state = core.config.trace_state()
        # The arrays' layouts and the mesh PartitionSpecs refer to (mlax.spmd) are part of
        # the key.
        layouts = (spmd.current_mesh(), tuple([placement.committed(x) for x in leaves]))
        try:
            key = (self._options, static, treedef,
                   tuple(tracing.leaf_signature(x, "") for x in leaves), state, layouts)
            entry = self._cache.get(key)
        except TypeError:
            key, entry = None, None
        head = entry
        if entry is not None and entry.guards:
            entry = entry.for_inputs([to_numpy(x) for x in leaves])
        exe = entry.exe if entry is not None else None
        if exe is None:
            names = tracing.leaf_names(dyn_args, dyn_names, dyn_kwargs)
            key = (self._options, static, treedef,
                   tuple(tracing.leaf_signature(x, n) for x, n in zip(leaves, names)), state,
                   layouts)
            entry = self._compile(static, leaves, treedef, names,
                                  [to_numpy(x) for x in leaves])
            exe = entry.exe
            if entry.guards and head is not None and head.guards and head.exe is not None:
                entry.chain(head, core.config.read("jit_cache_size"))
            self._cache.put(key, entry)
        if not entry.guards and not kwargs and not static and layouts[0] is None:
            self._index(args, leaves, entry)
        call_leaves = getattr(exe, "call_leaves", None)
        if call_leaves is not None:      # a placed computation: Arrays on its devices
            outs = call_leaves([x if placement.committed(x) is not None else to_numpy(x)
                                for x in leaves], entry.out_weak)
            return entry.out_tree.unflatten(outs)
        outs = exe.call.call_arrays([eager.as_array(x) for x in leaves], entry.out_weak)
        if eager.checking_finite():
            eager.check_finite([o._value for o in outs],
                               f"jit({getattr(self._fun, '__name__', 'fn')})")
        return entry.out_tree.unflatten(outs)

    @staticmethod
    def _placed_signature(args):
        """The hot path's key for Arrays some of which are committed to devices: their
        layouts join the signature (mlax.spmd); None if any argument is no Array."""
        try:
            return tuple([(a.shape, a.dtype, a.weak_type, placement.committed(a))
                          if type(a) is not Array else (a._value.shape, a._value.dtype,
                                                        a.weak_type)
                          for a in args if isinstance(a, Array)]) \
                if all(isinstance(a, Array) for a in args) else None
        except AttributeError:
            return None

    def _index(self, args, leaves, entry):
        """Make `entry` the hot path's for calls with arguments of the signature of
        `args` (whose flattened leaves are `leaves`), where the hot path can serve them."""
        values = core.config.values
        if values["jax_debug_nans"] or values["jax_debug_infs"]:
            return      # the hot path does not check results
        try:
            sig = tuple([_hot_signature(a, []) for a in args])
            scalars = tuple((i, tracing.aval_of(x).dtype) for i, x in enumerate(leaves)
                            if type(x) in _HOT_SCALARS)
        except (_NotHot, TypeError):
            if not hasattr(entry.exe, "call_leaves"):
                return
            sig, scalars = self._placed_signature(args), ()   # placed: its call takes
            if sig is None:                                   # the arrays
                return
        generation = core.config.generation
        if self._fast_generation != generation or \
                len(self._fast) >= core.config.read("jit_cache_size"):
            self._fast = {}
            self._fast_generation = generation
        self._fast[sig] = (entry, scalars)

    def _flat_fun(self, static, treedef):
        def flat(*leaves):
            dyn_args, dyn_kwargs = tree_unflatten(treedef, leaves)
            args, kwargs = self._rebuild(static, dyn_args, dyn_kwargs)
            return self._fun(*args, **kwargs)
        return flat

    def _trace(self, static, leaves, treedef, names, tm, parent=None, inputs=None):
        avals = [tracing.aval_of(x) for x in leaves]
        builder, out = tracing.trace_function(self._flat_fun(static, treedef), avals, names,
                                              getattr(self._fun, "__name__", "fn"), tm, parent,
                                              inputs=inputs, backend=self._backend)
        out_leaves, out_tree = tree_flatten(out)
        fixed = {i: o for i, o in enumerate(out_leaves) if _is_float0(o)}
        if fixed:
            out_tree = _WithFixed(out_tree, fixed)
            out_leaves = [o for i, o in enumerate(out_leaves) if i not in fixed]
        for o in out_leaves:
            if not isinstance(o, Tracer):
                tracing.leaf_signature(o, "output")
        with tm.ctx:
            builder.finish(out_leaves)
        return builder, out_leaves, out_tree

    def _compile(self, static, leaves, treedef, names, inputs):
        tm = tracing.TracedModule()
        builder, out_leaves, out_tree = self._trace(static, leaves, treedef, names, tm,
                                                    inputs=inputs if self._concrete else None)
        out_avals = [tracing.aval_of(o) for o in out_leaves]
        guards = tuple(builder.concrete.guards) if builder.concrete is not None else ()
        where = self._place(tm, builder, leaves, treedef, names, out_leaves, out_tree,
                            out_avals)
        backend = self._backend
        if where is not None:
            backend = self._placed_backend(where)
        exe = tm.compile(builder, out_avals, backend)
        if where is not None:
            exe = placement.placed_executable(exe, where, out_avals, self._fun_name())
        return _Entry(exe, out_tree, [a.weak_type for a in out_avals], guards)

    def _fun_name(self):
        return getattr(self._fun, "__name__", "fn")

    def _place(self, tm, builder, leaves, treedef, names, out_leaves, out_tree, out_avals):
        """The placement of this call on devices (mlax.spmd), written into the module; None
        for a call on the default device."""
        dyn_args, dyn_kwargs = tree_unflatten(treedef, leaves)
        parts = list(dyn_args) + [dyn_kwargs[k] for k in sorted(dyn_kwargs)]
        in_specs = [None] * len(leaves) if self._in_shardings is None else \
            spmd.broadcast(self._in_shardings, parts, [f"argument '{n}'" for n in names],
                           f"jit of {self._fun_name()}: in_shardings")
        out_specs = [None] * len(out_leaves)
        if self._out_shardings is not None:
            out = out_tree.unflatten(list(out_leaves)) if not isinstance(out_tree, _WithFixed) \
                else out_leaves
            out_parts = list(out) if isinstance(out, (tuple, list)) else [out]
            out_specs = spmd.broadcast(self._out_shardings, out_parts,
                                       [f"output {i}" for i in range(len(out_leaves))],
                                       f"jit of {self._fun_name()}: out_shardings")
        return placement.place(tm, builder, self._fun_name(), leaves, names, in_specs,
                               out_specs, out_avals,
                               None if self._backend else placement.default_placement())

    def _placed_backend(self, placement):
        """The backend of the placement's devices (the one named, if it is theirs)."""
        name = backends.platform_backend(placement.platform)
        if self._backend is not None and self._backend != name:
            raise ValueError(f"jit of {self._fun_name()}: backend={self._backend!r}, but its "
                             f"arrays are placed on {placement.platform} devices")
        return name

    def _call_traced(self, static, leaves, treedef, dyn_names, dyn_args):
        parent = tracing.current()
        tm = parent.traced_module
        names = tracing.leaf_names(dyn_args, dyn_names, {})
        names += [""] * (len(leaves) - len(names))
        builder, out_leaves, out_tree = self._trace(static, leaves, treedef, names, tm, parent)
        results = call_function(parent, builder, leaves)
        return out_tree.unflatten(results)

    def lower(self, *args, **kwargs):
        """Ahead-of-time: trace for these (possibly abstract) arguments -> mlax.stages.Lowered."""
        return stages.lower(self, *args, **kwargs)

    def trace_ir(self, *args, **kwargs):
        """Trace (without compiling) and return the module."""
        static, dyn_args, dyn_names, dyn_kwargs = self._split(args, kwargs)
        leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
        tm = tracing.TracedModule()
        names = tracing.leaf_names(dyn_args, dyn_names, dyn_kwargs)
        self._trace(static, leaves, treedef, names, tm)
        return tm.module


class _NotHot(Exception):
    """An argument the jit hot path does not take (see `_hot_signature`)."""


_HOT_SCALARS = (float, int, bool)


# (type, value, dtype) -> the weakly typed 0-d Array of a Python scalar argument: a
# learning rate passed on every call is converted (and put on a device) once. Zeros are
# not kept (0.0 and -0.0 are equal keys); past _SCALARS_KEPT values it starts afresh.
_SCALARS: dict = {}
_SCALARS_KEPT = 256


def _scalar_array(x, dtype) -> Array:
    key = (type(x), x, dtype)
    arr = _SCALARS.get(key)
    if arr is None:
        arr = Array.scalar(x, dtype, True)
        if x:
            if len(_SCALARS) >= _SCALARS_KEPT:
                _SCALARS.clear()
            _SCALARS[key] = arr
    return arr


def _hot_signature(x, leaves):
    """The hot path's key for argument `x`, its leaves appended to `leaves`: mlax Arrays
    not committed to devices and Python scalars in tuples, lists and dicts, flattened as
    tree_flatten does (dict keys sorted). Raises _NotHot for anything else (other
    pytrees, NumPy arrays, committed arrays), which the full path handles."""
    t = type(x)
    if t is Array:
        leaves.append(x)
        v = x._value
        return (v.shape, v.dtype, x.weak_type)
    if isinstance(x, Array) and placement.committed(x) is None:   # resident on a device, ...
        leaves.append(x)
        return (x.shape, x.dtype, x.weak_type)
    if t is tuple or t is list:
        return (t, tuple([_hot_signature(c, leaves) for c in x]))
    if t is dict:
        keys = sorted(x)
        return (dict, tuple(keys), tuple([_hot_signature(x[k], leaves) for k in keys]))
    if t is float or t is int or t is bool:
        leaves.append(x)
        return t
    raise _NotHot


def _shardings_key(specs):
    """A hashable stand-in for jit's in_shardings / out_shardings (part of cache keys)."""
    if specs is None:
        return None
    leaves, tree = tree_flatten(specs, is_leaf=lambda x: x is None or not isinstance(
        x, (tuple, list, dict)) or isinstance(x, spmd.PartitionSpec))
    return (tuple(leaves), str(tree))


def _is_float0(x):
    return isinstance(x, np.ndarray) and x.dtype == dtypes.float0


class _WithFixed:
    """The output structure of a function some of whose results are fixed values the
    compiled function does not compute: the float0 cotangents of integer inputs, which
    JAX returns as NumPy arrays."""

    def __init__(self, treedef, fixed):
        self.treedef, self.fixed = treedef, fixed

    def unflatten(self, outs):
        it = iter(outs)
        return self.treedef.unflatten([self.fixed[i] if i in self.fixed else next(it)
                                       for i in range(self.treedef.num_leaves)])


def call_function(parent, builder, leaves):
    """Emit a func.call in `parent` to the finished function of `builder`."""
    with parent.traced_module.ctx:
        builder.func.attributes["sym_visibility"] = ir.StringAttr.get("private")
        values = [parent.lift(x) for x in leaves] + [parent.lift(c) for c in builder.captured]
        ftype = ir.FunctionType(ir.TypeAttr(builder.func.attributes["function_type"]).value)
        with ir.InsertionPoint(parent.block), tracing.user_location():
            call = func_d.CallOp(list(ftype.results), builder.name, values)
    origin = frozenset().union(*[x.origin for x in leaves if isinstance(x, Tracer)]) \
        if leaves else frozenset()
    outs = []
    for r, aval in zip(call.results, builder.out_avals):
        outs.append(Tracer(parent, r, aval, origin))
    return outs


def _hashable(v, name):
    if isinstance(v, Tracer):
        raise ValueError(
            f"Static argument '{name}' is a traced value ({v!r}): an enclosing jit or "
            "transform traces it, so it has no value when this function is traced. Make it "
            "static there too (static_argnums/static_argnames of the enclosing jit), or pass "
            f"a Python value (at {tracing.user_site()}).")
    try:
        hash(v)
    except TypeError:
        raise ValueError(f"Non-hashable static argument '{name}' of type {type(v).__name__}: "
                         "static arguments must be hashable (use a tuple instead of a list, or "
                         "pass arrays as non-static arguments).") from None
    return v


def clear_caches():
    """Drop every compiled function held in memory (jit and eager caches), as
    `jax.clear_caches` does; the persistent compilation cache on disk stays."""
    with _CACHES_LOCK:
        caches = [cache for _, cache in _CACHES.values()]
    for cache in caches:
        cache.clear()
    eager._cache.clear()


_NO_FUN = object()   # jit(static_argnums=...) without a function: a decorator


def jit(fun=_NO_FUN, *, static_argnums=None, static_argnames=None, donate_argnums=None,
        donate_argnames=None, keep_unused=False, device=None, backend=None, inline=False,
        in_shardings=None, out_shardings=None, compiler_options=None):
    """Compile `fun`; usable as `@jit`, `jit(f, ...)`, `@jit(static_argnums=...)` and with
    functools.partial.

    `backend` names the target ("cpu"; None: the default platform's). Accepted as JAX
    takes them, without effect here: `donate_argnums`/`donate_argnames` (checked; the
    runtime allocates every result fresh, so no buffer is reused), `keep_unused`
    (unused arguments are always kept in the signature), `inline` (a jitted function
    called under a trace is always a function of its own that the inliner inlines),
    `compiler_options`. `in_shardings` / `out_shardings` (a Sharding for every array, or
    a pytree prefix of the arguments / results) place the call on a mesh's devices
    (mlax.spmd); `device` is not implemented (it raises)."""
    if fun is _NO_FUN:
        return functools.partial(jit, static_argnums=static_argnums,
                                 static_argnames=static_argnames, donate_argnums=donate_argnums,
                                 donate_argnames=donate_argnames, keep_unused=keep_unused,
                                 device=device, backend=backend, inline=inline,
                                 in_shardings=in_shardings, out_shardings=out_shardings,
                                 compiler_options=compiler_options)
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}: jit compiles a function "
                        "(use @jit, jit(f) or jit(f, static_argnums=...))")
    if device is not None:
        raise NotImplementedError("mlax does not implement jax.jit's device (deprecated in "
                                  "JAX): pass in_shardings, or device_put the arguments")
    _argnames(donate_argnames, "donate_argnames")
    if backend is not None:
        tracing.default_backend(backend)    # an unavailable backend is an error here
    return PjitFunction(fun, static_argnums, static_argnames, donate_argnums, backend,
                  in_shardings=in_shardings, out_shardings=out_shardings)


class IR:
    """The result of `make_ir(f)(*args)`: the traced module, printable."""

    def __init__(self, module):
        self.module = module

    def __str__(self):
        return str(self.module)

    __repr__ = __str__

    def as_text(self, debug_info=False):
        return self.module.operation.get_asm(enable_debug_info=debug_info)


def make_ir(fun, static_argnums=None, static_argnames=None):
    """Like jax.make_jaxpr: `make_ir(f)(*args)` returns f traced to mlax IR."""
    j = fun if isinstance(fun, PjitFunction) else PjitFunction(fun, static_argnums, static_argnames)

    def wrapped(*args, **kwargs):
        return IR(j.trace_ir(*args, **kwargs))
    return wrapped


def device_put(x, device=None):
    """`x` as mlax Arrays: on the default device, uncommitted (no `device`; an Array
    stays where it is), or committed to `device`, a device or a Sharding (mlax.spmd)."""
    if device is not None:
        return spmd.device_put(x, device)
    if isinstance(x, Array):
        return x
    if isinstance(x, Tracer):
        return x
    if not isinstance(x, (np.ndarray, np.generic)) and not core.is_python_scalar(x):
        if all_leaves([x]):
            # A leaf that is no array (a dtype, a string): JAX's TypeError.
            raise TypeError(f"Argument {x!r} of type {type(x)} is not a valid JAX type")
        return tree_map(lambda l: device_put(l, device), x)
    weak = core.is_python_scalar(x) and not isinstance(x, bool)
    return tracing.default_device()._put(np.asarray(to_numpy(x)), None, weak)


def typeof(x) -> core.ShapedArray:
    """The abstract value of `x` (jax.typeof): its shape, dtype and weak type."""
    return tracing.aval_of(x)


def devices(backend=None):
    """The devices of `backend` (None: the default platform's), where it is present
    (`tracing.present_backend`)."""
    return tracing.present_backend(backend).devices()   # raises where it is not present


# ---------------------------------------------------------------------------------------
# Shared machinery of the function transforms (grad, jvp, vjp, vmap, ...)

def trace_callee(fun, leaves, in_tree, names, parent, name=None, sources=None):
    """Trace `fun(*in_tree.unflatten(leaves))` into a private func.func of `parent`'s module.

    `leaves` are the operands at the call site (Tracers of `parent`, or constants); the
    callee gets one parameter per leaf, plus trailing parameters for the outer tracers it
    closes over (`builder.captured`). `sources`: see `trace_avals`. Returns (builder,
    out_leaves, out_tree)."""
    return trace_avals(fun, [tracing.aval_of(x) for x in leaves], in_tree, names, parent,
                       name or getattr(fun, "__name__", "fn"), sources)


def trace_avals(fun, avals, in_tree, names, parent, name, sources=None, differentiated=()):
    """Like `trace_callee`, with the parameters given by their abstract values. `sources`
    (a derivative's function: see mlax.concrete) are the values of `parent` that the
    parameters stand for, where the function sees them as JAX's transforms do."""
    tm = parent.traced_module

    def flat(*xs):
        return fun(*tree_unflatten(in_tree, xs))
    builder, out = tracing.trace_function(flat, avals, names, name, tm, parent,
                                          sources=sources, differentiated=differentiated)
    out_leaves, out_tree = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tracer):
            tracing.leaf_signature(o, "output")
    with tm.ctx:
        builder.finish(out_leaves)
        builder.func.attributes["sym_visibility"] = ir.StringAttr.get("private")
    return builder, out_leaves, out_tree


def emit_call(parent, callee: str, operands, result_avals, origin=frozenset()):
    """Emit `func.call @callee(operands)` in `parent`; returns Tracers of `result_avals`."""
    with parent.traced_module.ctx:
        values = [parent.lift(x) for x in operands]
        types = [tensor_type(a.shape, a.dtype) for a in result_avals]
        with ir.InsertionPoint(parent.block), tracing.user_location():
            call = func_d.CallOp(types, callee, values)
    return [Tracer(parent, r, a, origin) for r, a in zip(call.results, result_avals)]


def declare(parent, decl: structural.Declaration, name, operand_avals, result_avals):
    """Declare `decl` (a structural kind of mlax.dialects.structural: `Grad(...)`,
    `Scan(...)`, ...) as a function named after `name` in parent's module. Returns the
    declaration's symbol name."""
    tm = parent.traced_module
    sym = tm.unique_name(name)
    with tm.ctx, ir.Location.unknown():
        decl.declare(tm.module, sym, [tensor_type(a.shape, a.dtype) for a in operand_avals],
                     [tensor_type(a.shape, a.dtype) for a in result_avals])
    return sym


_ARRAYS = (Tracer, Array, np.ndarray, np.generic)


def pass_kind(x) -> str:
    """How a transform gives its function `x`, an argument it passes through untouched.
    Under JAX's transforms the function sees such arguments as they are (usable as a jit's
    static argument, in Python control flow); so it does here, except for arrays:
    - "traced": arrays and numbers (a pytree of them that is not hashable), parameters;
    - "static": a hashable value with no array in it (a Python number, a string, a tuple
      of them, a frozen dataclass): closed over, a static argument of the transform's jit;
    - "closed": any other value holding something that is no array nor number (a dict of
      objects): closed over; nothing identifies it for a cache, so it is traced afresh."""
    if isinstance(x, _ARRAYS):
        return "traced"
    leaves = tree_flatten(x)[0]
    if not any(isinstance(leaf, _ARRAYS) for leaf in leaves):
        try:
            hash(x)
            return "static"
        except TypeError:
            pass
    if all(isinstance(leaf, _ARRAYS) or core.is_python_scalar(leaf) for leaf in leaves):
        return "traced"
    return "closed"


def closed_over(x) -> bool:
    """Whether a transform gives `x`, an argument it passes through untouched, to its
    function as it is instead of tracing it (see `pass_kind`)."""
    return pass_kind(x) != "traced"


class Transformed:
    """Base of the callables that transforms return (`grad(f)`, `vmap(f)`, ...).

    Subclasses implement `_traced(*args, **kwargs)`, which runs inside a trace and emits IR
    (typically: trace_callee, declare, emit_call), and `_passed_through(args, kwargs)`, the
    positions and keyword names of the arguments the transform hands to the function
    untouched. Called outside any trace, the transform runs as `jit` of itself: traced and
    compiled once per signature, like every transform in mlax; the passed-through
    arguments of `pass_kind` "static" are that jit's static arguments (concrete inside,
    as in JAX; a new value compiles again)."""

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._jits = {}          # (static_argnums, static_argnames) -> PjitFunction

    def __call__(self, *args, **kwargs):
        if core.trace_stack():
            return self._traced(*args, **kwargs)
        static = self._static_options(args, kwargs)
        if static is None:
            return self._call_closed(args, kwargs)
        j = self._jits.get(static)
        if j is None:
            def run(*a, **k):
                return self._traced(*a, **k)
            run.__name__ = self._name()
            j = self._jits[static] = PjitFunction(run, *static, concrete=True)
        return j(*args, **kwargs)

    def _static_options(self, args, kwargs):
        """(static_argnums, static_argnames) of this call run as a jit (see above); None
        where a passed-through argument must be closed over (`pass_kind` "closed")."""
        nums, names = self._passed_through(args, kwargs)
        kinds = {i: pass_kind(args[i]) for i in nums}
        kinds.update({k: pass_kind(kwargs[k]) for k in names})
        if "closed" in kinds.values():
            return None
        return (tuple(i for i in sorted(nums) if kinds[i] == "static"),
                tuple(sorted(k for k in names if kinds[k] == "static")))

    def _call_closed(self, args, kwargs):
        """Call with the passed-through arguments that are not arrays closed over, as JAX's
        transforms close over them, traced and compiled afresh (see `pass_kind`)."""
        nums, names = self._passed_through(args, kwargs)
        fixed = {i: args[i] for i in nums if closed_over(args[i])}
        fixed_kw = {k: kwargs[k] for k in names if closed_over(kwargs[k])}

        def run(*a, **k):
            it = iter(a)
            full = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
            return self._traced(*full, **k, **fixed_kw)
        run.__name__ = self._name()
        return PjitFunction(run, concrete=True)(*[a for i, a in enumerate(args) if i not in fixed],
                                          **{k: v for k, v in kwargs.items() if k not in fixed_kw})

    def _passed_through(self, args, kwargs):
        return (), ()

    def _name(self):
        return f"{type(self).__name__.lower()}_{getattr(self._fun, '__name__', 'fn')}"

    def _traced(self, *args, **kwargs):
        raise NotImplementedError
