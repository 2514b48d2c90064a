"""Tracing Python functions into func.func's of mlax ops.

A `FunctionBuilder` owns one func.func being built; builders nest (a function traced
while another is being traced, as `vmap` inside `jit`) and share one module. A `Tracer`
stands for an SSA value of one builder. When an inner function uses a tracer of an outer
one (a closure), the inner function gets an extra parameter for it and every call site
passes the outer value: closures become explicit arguments, so each function in the
module is closed and a pass can transform it alone. Inside `substituting({outer: new})`
(closure_convert), an outer tracer is lifted as `new` instead.

Every op is emitted with the user's file:line as its location.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import sys
import threading

import numpy as np
from mlir import ir
from mlir.dialects import arith, func

from mlax import backends, compiling, concrete, core
from mlax.core import ShapedArray
from mlax.dialects import create, dense_attr, note_constant, shared_context, spec_of_type, tensor_type
from mlax.runtime import Array
from mlax.runtime import basearray
from mlax.runtime.array import install_stand_ins
from mlax.runtime.config import config
from mlax.pytree import tree_flatten

_MLAX_DIRS = tuple(os.path.dirname(os.path.abspath(m)) + os.sep for m in (
    __file__,
    sys.modules["mlax.dialects"].__file__,
))
_excluded = {"paths": _MLAX_DIRS}


def register_exclusion(path: str):
    """Skip the frames of files under `path` when looking for the user's line (a library's
    own code: flax registers its files, as it does with JAX's source_info_util)."""
    _excluded["paths"] = _excluded["paths"] + (path,)


def user_frame():
    """The innermost stack frame outside mlax (and the excluded paths): where the user's
    code made this op."""
    f = sys._getframe(1)
    excluded = _excluded["paths"]
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(excluded) and "mlax" + os.sep + "runtime" not in fn \
                and not fn.startswith("<frozen"):
            return f
        f = f.f_back
    return None


def user_location() -> ir.Location:
    f = user_frame()
    if f is None:
        return ir.Location.unknown()
    return ir.Location.file(f.f_code.co_filename, f.f_lineno, 1)


def user_site() -> str:
    f = user_frame()
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f else "<unknown>"


class Tracer:
    """An abstract array inside a traced function: a shape, a dtype and an SSA value."""
    __array_priority__ = 100

    def __init__(self, builder, value: ir.Value, aval: ShapedArray, origin=frozenset()):
        self.builder = builder
        self.value = value
        self.aval = aval
        self.origin = origin   # names of the traced arguments this value depends on

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    def __repr__(self):
        return f"Traced<{self.aval.str_short()}>"

    def _origin_text(self):
        if not self.origin:
            return "This value was computed inside the traced function."
        names = ", ".join(sorted(self.origin))
        s = "s" if len(self.origin) > 1 else ""
        return f"This concrete value was not available in Python because it depends on the value of the argument{s} {names}."

    def _concretization(self, cls, what, fix):
        raise cls(f"{what} of traced array with shape {self.aval.str_short()} at {user_site()}. "
                  f"{self._origin_text()} {fix}")

    def with_weak_type(self, weak_type: bool) -> "Tracer":
        """This value with JAX's weak-type bit set to `weak_type` (what jax.numpy's
        promotion gives a converted Python scalar). The bit is the front end's alone: the
        IR has no weak types, so no op is emitted."""
        if weak_type == self.aval.weak_type:
            return self
        aval = ShapedArray(self.aval.shape, self.aval.dtype, weak_type)
        return Tracer(self.builder, self.value, aval, self.origin)

    def concrete(self, derivative_ok=True):
        """This value as an Array where it is known while tracing (the function of a
        transform called outside jit, see mlax.concrete), else None. Not where it carries
        a derivative unless `derivative_ok` (JAX's float() refuses those)."""
        known = getattr(self.builder, "concrete", None)     # None: a stand-in (vmap)
        if known is None or (not derivative_ok and known.differentiated(self)):
            return None
        return known.value(self)

    def __bool__(self):
        v = self.concrete()
        if v is not None:
            return bool(v)
        self._concretization(core.TracerBoolConversionError, "Attempted boolean conversion",
                             "Mark the argument static with static_argnums/static_argnames, "
                             "or use lax.cond / jnp.where for value-dependent choices.")

    def __int__(self):
        v = self.concrete()
        if v is not None:
            return int(v)
        self._concretization(core.TracerIntegerConversionError, "Attempted integer conversion",
                             "Mark the argument static with static_argnums/static_argnames, "
                             "or use lax.fori_loop / lax.dynamic_slice.")

    def __index__(self):
        v = self.concrete()
        if v is not None:
            return v.__index__()
        self._concretization(core.TracerIntegerConversionError, "Attempted integer conversion",
                             "Mark the argument static with static_argnums/static_argnames, "
                             "or use lax.fori_loop / lax.dynamic_slice.")

    def __float__(self):
        v = self.concrete(derivative_ok=False)
        if v is not None:
            return float(v)
        self._concretization(core.ConcretizationTypeError, "Attempted float conversion",
                             "Mark the argument static with static_argnums/static_argnames.")

    def __complex__(self):
        v = self.concrete(derivative_ok=False)
        if v is not None:
            return complex(v)
        self._concretization(core.ConcretizationTypeError, "Attempted complex conversion",
                             "Mark the argument static with static_argnums/static_argnames.")

    def item(self, *args):
        v = self.concrete()
        if v is not None:
            return v.item(*args)
        self._concretization(core.ConcretizationTypeError, "Attempted item() conversion",
                             "Mark the argument static with static_argnums/static_argnames.")

    def tolist(self):
        v = self.concrete(derivative_ok=False)
        if v is not None:
            return v.tolist()
        self._concretization(core.ConcretizationTypeError, "Attempted tolist() conversion",
                             "Mark the argument static with static_argnums/static_argnames.")

    def __array__(self, dtype=None, copy=None):
        self._concretization(core.TracerArrayConversionError, "Attempted conversion to a NumPy array",
                             "Use mlax.numpy functions inside traced code, or compute this outside jit.")

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __hash__(self):
        raise TypeError(f"unhashable type: traced array {self.aval.str_short()}")


install_stand_ins(Tracer)    # mlax.numpy replaces them with its operators and methods
basearray.Array.register(Tracer)     # isinstance(tracer, mlax.Array), as with jax.Array
# jax.core.Tracer: the tracer class is public under mlax.core too.
core.Tracer = Tracer


class FunctionBuilder:
    """Builds one func.func in a shared module; `parent` is the enclosing builder.
    `inline_calls`: a jitted function called while this one is traced is traced inline."""
    inline_calls = False

    def __init__(self, module: ir.Module, name: str, parent=None, traced_module=None):
        self.module = module
        self.traced_module = traced_module
        self.out_avals = None
        self.parent = parent
        self.name = name
        with ir.InsertionPoint(module.body), ir.Location.unknown():
            self.func = func.FuncOp(name, ([], []))
        self.block = self.func.add_entry_block()
        self.captured = []        # outer Tracers passed in as trailing parameters
        self._captured_args = {}  # id(outer tracer) -> Tracer in this builder
        self._constants = {}
        self.finished = False
        # Where the values of this function's arguments are known (mlax.concrete): the
        # Evaluation that computes its tracers' values, and what each parameter stands for.
        self.concrete = None
        self.sources = None
        self.differentiated = frozenset()   # the parameters a transform differentiates

    def add_argument(self, aval: ShapedArray, origin=frozenset()) -> Tracer:
        v = self.block.add_argument(tensor_type(aval.shape, aval.dtype), ir.Location.unknown())
        return Tracer(self, v, aval, origin)

    def lift(self, x) -> ir.Value:
        """The ir.Value of operand `x` in this function (closures become parameters)."""
        if isinstance(x, Tracer) and getattr(_subst, "table", None):
            x = _substitute(x)
        if isinstance(x, Tracer):
            if x.builder is self:
                return x.value
            if x.builder.finished:
                raise core.UnexpectedTracerError(
                    f"A traced value {x.aval.str_short()} escaped the function it was traced in "
                    f"(an intermediate stored outside a transformed function), used at {user_site()}.")
            key = id(x)
            if key not in self._captured_args:
                self._captured_args[key] = self.add_argument(x.aval, x.origin)
                self.captured.append(x)
            return self._captured_args[key].value
        return self.constant(x)

    def constant(self, x) -> ir.Value:
        arr = _as_numpy(x)
        key = None
        if arr.size == 1 and arr.ndim == 0:
            key = (arr.dtype.str, arr.tobytes())
            if key in self._constants:
                return self._constants[key]
        note_constant(self.traced_module.ctx, arr.nbytes)
        with ir.InsertionPoint(self._constant_point()), ir.Location.unknown():
            attr = dense_attr(arr)
            v = arith.ConstantOp(attr.type, attr).result
        if key is not None:
            self._constants[key] = v
        return v

    def _constant_point(self):
        return self.block

    def emit(self, name, operands, attrs):
        if name == "mlax.broadcast_in_dim" and not isinstance(operands[0], Tracer):
            return self._broadcast_constant(operands[0], attrs)
        return self._emit(name, operands, attrs)

    def _broadcast_constant(self, x, attrs):
        """A scalar constant broadcast to a shape, emitted once per (value, shape) like the
        scalar itself: every Python scalar in `x * 2.0 + 1.0` is broadcast to x's shape, and
        a chain of N such ops traced and verified N broadcasts of a few constants."""
        arr = _as_numpy(x)
        if arr.ndim != 0:
            return self._emit("mlax.broadcast_in_dim", [x], attrs)
        key = ("mlax.broadcast_in_dim", arr.dtype, arr.tobytes(), attrs["shape"],
               attrs["broadcast_dimensions"])
        if key not in self._constants:
            [out] = self._emit("mlax.broadcast_in_dim", [x], attrs)
            self._constants[key] = out.value
        value = self._constants[key]
        return [Tracer(self, value, ShapedArray(*spec_of_type(value.type), _weak(x)))]

    def _emit(self, name, operands, attrs):
        values = [self.lift(x) for x in operands]
        origin = frozenset().union(*[x.origin for x in operands if isinstance(x, Tracer)])
        weak = _result_weak(name, operands)
        with ir.InsertionPoint(self.block):
            try:
                results = create(name, values, attrs, loc=user_location())
            except TypeError as e:
                raise TypeError(f"{e} (at {user_site()})") from None
        return [Tracer(self, r, ShapedArray(*spec_of_type(r.type), weak), origin) for r in results]

    def finish(self, outputs):
        """Return `outputs` (Tracers or constants) and seal the function's signature."""
        values = [self.lift(o) for o in outputs]
        self.out_avals = [o.aval if isinstance(o, Tracer) else
                          ShapedArray(*spec_of_type(v.type), core.is_python_scalar(o) and not isinstance(o, bool))
                          for o, v in zip(outputs, values)]
        with ir.InsertionPoint(self.block), ir.Location.unknown():
            func.ReturnOp(values)
        arg_types = [a.type for a in self.block.arguments]
        self.func.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(arg_types, [v.type for v in values]))
        self.finished = True
        return values


def _all_weak(operands):
    ws = [_weak(x) for x in operands]
    return bool(ws) and all(ws)


def _strong(operands):
    return False


# Op name -> rule(operands) -> whether its results are weakly typed: JAX's weak_type_rule
# of the matching primitive. Any other op's results are weak when all its operands are
# (comparisons included: `1.0 < 2.0` is a weak bool). `convert_element_type`'s results are
# strong; `lax._convert_element_type` sets the bit it asks for afterwards.
WEAK_TYPE_RULES = {
    "mlax.convert_element_type": _strong,
    "mlax.bitcast_convert_type": _strong,
    "mlax.iota": _strong,
    "mlax.argmax": _strong,
    "mlax.argmin": _strong,
    "mlax.reduce_and": _strong,
    "mlax.reduce_or": _strong,
    "mlax.select": lambda operands: _all_weak(operands[1:]),      # the cases, not the predicate
    "mlax.dynamic_slice": lambda operands: _weak(operands[0]),
    "mlax.gather": lambda operands: _weak(operands[0]),
    "mlax.scatter": lambda operands: _weak(operands[0]),
}


def _result_weak(name, operands):
    return WEAK_TYPE_RULES.get(name, _all_weak)(operands)


def _weak(x):
    if isinstance(x, Tracer):
        return x.aval.weak_type
    if core.is_python_scalar(x):
        return not isinstance(x, bool)
    return bool(getattr(x, "weak_type", False))


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, "_value"):
        return x._value
    if core.is_python_scalar(x):
        aval = core.aval_of_python_scalar(x)
        return np.asarray(x, dtype=aval.dtype)
    arr = np.asarray(x)
    return arr.astype(core.canonicalize_dtype(arr.dtype), copy=False)


# ---------------------------------------------------------------------------------------
# Arguments

def leaf_signature(x, name):
    """(shape, dtype, weak_type) of an argument leaf; TypeError naming `name` for a value
    that is not an array."""
    if isinstance(x, Array):
        return (x.shape, x.dtype, x.weak_type)
    if isinstance(x, np.ndarray):
        return (x.shape, core.canonicalize_dtype(x.dtype), False)
    if isinstance(x, np.generic):
        return ((), core.canonicalize_dtype(x.dtype), False)
    if core.is_python_scalar(x):
        a = core.aval_of_python_scalar(x)
        return ((), a.dtype, a.weak_type)
    raise TypeError(f"Argument '{name}' of type {type(x).__name__} is not a valid mlax type: "
                    "pass arrays, Python scalars, or pytrees of them, or mark it static with "
                    "static_argnums/static_argnames.")


def aval_of(x):
    """The abstract value of a Tracer or of a concrete leaf."""
    if isinstance(x, Tracer):
        return x.aval
    shape, dtype, weak = leaf_signature(x, "output")
    return ShapedArray(shape, dtype, weak)


def leaf_names(dyn_args, dyn_names, dyn_kwargs):
    """The argument name of each leaf of (dyn_args, dyn_kwargs), for error messages."""
    names = []
    for a, n in zip(dyn_args, dyn_names):
        names += [n] * len(tree_flatten(a)[0])
    for k, v in dyn_kwargs.items():
        names += [k] * len(tree_flatten(v)[0])
    return names


# ---------------------------------------------------------------------------------------
# Substituted closures (closure_convert)

_subst = threading.local()


@contextlib.contextmanager
def substituting(pairs):
    """While active (in this thread), a closure over the tracer `old` of each pair
    `(old, new)` uses `new` instead: how `closure_convert` makes closed-over values
    explicit arguments."""
    table = getattr(_subst, "table", {})
    _subst.table = {**table, **{id(old): (old, new) for old, new in pairs}}
    try:
        yield
    finally:
        _subst.table = table


def _substitute(x):
    hit = getattr(_subst, "table", {}).get(id(x))
    return hit[1] if hit is not None and hit[0] is x else x


# ---------------------------------------------------------------------------------------
# The trace stack

def current():
    stack = core.trace_stack()
    return stack[-1] if stack else None


_RESERVED = {
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh",
    "acosh", "atanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt",
    "pow", "erf", "erfc", "floor", "ceil", "round", "trunc", "fabs", "fmod", "copysign",
    "malloc", "free", "memcpy", "memset", "memrefCopy", "main", "abs", "rsqrt", "lgamma",
    "tgamma", "nextafter", "hypot",
}
_RESERVED |= {n + "f" for n in list(_RESERVED)}


class TracedModule:
    """A module under construction; `trace` builds one function of it from a Python callable."""

    def __init__(self):
        self.ctx = shared_context()
        self.ctx.__enter__()
        try:
            with ir.Location.unknown():
                self.module = ir.Module.create()
        finally:
            self.ctx.__exit__(None, None, None)
        self.names = set()

    def unique_name(self, base: str) -> str:
        base = "".join(c if c.isalnum() or c == "_" else "_" for c in base) or "fn"
        if base in _RESERVED:   # would capture calls that lowering makes to libm
            base += "_fn"
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def compile(self, builder, out_avals, backend=None, opt_level=None):
        """Compile this module, `builder`'s function its entry point, on `backend` (a name;
        None: the default platform's, see `default_backend`); the executable."""
        with self.ctx:
            out_specs = [(a.shape, a.dtype) for a in out_avals]
            exes, _ = compiling.backend_compile(compute_backend(backend), self.module,
                                                {builder.name: out_specs}, opt_level)
            return exes[builder.name]


def default_backend(name=None) -> backends.Backend:
    """The backend `name`, else the one `mlax.config`'s jax_platform_name names, else the
    default platform's (MLAX_PLATFORMS, or cpu)."""
    return backends.get(name or config.read("jax_platform_name"))


def present_backend(name=None) -> backends.Backend:
    """`default_backend(name)` for JAX's device queries (`devices`, `device_count`,
    `local_devices`). JAX sees a platform there when it has devices: the default backend
    is the first present platform in priority order, TPU first, so programs and libraries
    (chex's restrict_backends tests) read `devices('tpu')` succeeding as "the TPU is the
    default backend". A stand-in platform (the tpu backend on XLA's CPU client) is
    therefore present only where it is requested: listed in MLAX_PLATFORMS (e.g.
    `cpu,tpu`, cpu the default) or named by jax_platform_name. `jit(f, backend=...)`
    and `device_put` to its devices use it either way."""
    backend = default_backend(name)
    requested = backends.requested_platforms() + [config.read("jax_platform_name")]
    if backend.stand_in and backend.name not in requested:
        raise backends.BackendUnavailable(
            f"Backend {backend.name!r} is not present: mlax's {backend.name} platform runs on "
            f"{backend.stand_in} standing in for its devices, and is present only when "
            f"requested (MLAX_PLATFORMS=cpu,{backend.name}, or jax_platform_name); "
            f"jit(f, backend={backend.name!r}) uses it without")
    return backend


def compute_backend(name=None) -> backends.Backend:
    """The backend a computation with no argument committed to a device compiles for:
    `name`, else the default device's (jax_default_device), else the default platform's.
    As in JAX, the default device moves computations, not `devices()` or
    `default_backend()`."""
    device = config.values["jax_default_device"]
    if name is None and device is not None:
        name = backends.platform_backend(device if isinstance(device, str) else device.platform)
    return default_backend(name)


def placed_default_device():
    """jax_default_device when it is a device other than its platform's first (calls that
    nothing else places are placed on it), else None (they run unplaced, on the first)."""
    device = config.values["jax_default_device"]
    if device is None or isinstance(device, str) or device == compute_backend().devices()[0]:
        return None
    return device


def default_device():
    """The device uncommitted computations and new arrays go to: jax_default_device (a
    platform's name standing for its first device), else the default platform's first."""
    device = config.values["jax_default_device"]
    if device is None or isinstance(device, str):
        return compute_backend().devices()[0]
    return device


def trace_function(fn, in_avals, arg_names, name, traced_module=None, parent=None,
                   inputs=None, sources=None, backend=None, differentiated=()):
    """Trace `fn` on tracers of `in_avals` into a new func.func.

    Returns (builder, outputs), where outputs is what `fn` returned (a pytree whose
    leaves are Tracers or constants); the caller flattens it and calls `finish`.
    `parent` is the builder of an enclosing trace, for closures.

    Concrete values (mlax.concrete): `inputs`, the arguments' values, make the function's
    tracers convertible to Python values (`bool`, `int`, ...) by evaluating them (a
    transform called outside jit, compiled on `backend`); `sources`, one per parameter,
    the values of `parent` (or constants; None: unknown) that the parameters stand for,
    make them convertible where the parent's are (the function of a derivative), or where
    they are all constants. `differentiated`: the parameters the derivative is taken
    with respect to (JAX's float() refuses values computed from them)."""
    tm = traced_module
    builder = FunctionBuilder(tm.module, tm.unique_name(name), parent, tm)
    if inputs is not None:
        builder.concrete = concrete.Evaluation(builder, list(inputs),
                                               compute_backend(backend))
    elif sources is not None:
        builder.differentiated = frozenset(differentiated)
        sources = [s if s is None or isinstance(s, Tracer) else _as_numpy(s) for s in sources]
        if parent is not None and parent.concrete is not None:
            builder.concrete = parent.concrete
            builder.sources = sources
        elif sources and all(isinstance(s, np.ndarray) for s in sources):
            # Constants (`grad(f)(3.0)` under jit): known whatever the enclosing trace.
            builder.concrete = concrete.Evaluation(builder, sources, compute_backend(backend))
    with tm.ctx, ir.Location.unknown():
        args = [builder.add_argument(a, frozenset([n]) if n else frozenset())
                for a, n in zip(in_avals, arg_names)]
    stack = core.trace_stack()
    stack.append(builder)
    try:
        with tm.ctx:
            out = fn(*args)
    finally:
        stack.pop()
    return builder, out


def arg_names_of(fn, n):
    """Names for the first n positional parameters of fn (for error messages)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(n):
        if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                                   params[i].POSITIONAL_OR_KEYWORD):
            names.append(params[i].name)
        elif params and params[-1].kind == params[-1].VAR_POSITIONAL:
            names.append(f"{params[-1].name}[{i - len(params) + 1}]")
        else:
            names.append(f"arg{i}")
    return names
