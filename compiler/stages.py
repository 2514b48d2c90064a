"""Ahead-of-time compilation in Python, as in JAX: trace, lower, compile, save.

    lowered = mlax.jit(f).lower(x, mlax.ShapeDtypeStruct((3,), jnp.float32))
    print(lowered.as_text())                  # the mlax dialect, as traced
    print(lowered.as_text(stage="linalg"))    # any stage: mlax-opt, linalg, llvm, llvm-ir, asm
    compiled = lowered.compile()
    compiled(x, y)                            # dynamic arguments only, checked
    compiled.save("f_module")                 # the importable module mlax-compile writes

Arguments to `lower` are arrays, Python scalars, `ShapeDtypeStruct`s, or pytrees of them;
static arguments (static_argnums/static_argnames) are given as values and are fixed in
the result, so a Compiled takes only the dynamic ones. `save_module` writes several
compiled functions as one module.
"""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax import backends, compiling, core, placement, tracing
from mlax.core import ShapedArray
from mlax.dialects import privatize
from mlax.passes import run_pipeline
from mlax.runtime import Array, aot
from mlax.runtime.aot import leaf_meta, treedef_to_json
from mlax.tracing import Tracer
from mlax.transforms import MLAX_OPT
from mlax.pytree import tree_flatten, tree_unflatten


class ShapeDtypeStruct:
    """An abstract array argument: a shape and a dtype, no data."""
    __slots__ = ("shape", "dtype", "weak_type", "sharding")

    def __init__(self, shape, dtype, *, weak_type=False, sharding=None):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self.sharding = sharding

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


def _aval(x, name) -> ShapedArray:
    if isinstance(x, ShapeDtypeStruct):
        return ShapedArray(x.shape, core.canonicalize_dtype(x.dtype), x.weak_type)
    if isinstance(x, (Array, np.ndarray, np.generic)) or core.is_python_scalar(x):
        shape, dtype, weak = tracing.leaf_signature(x, name)
        return ShapedArray(shape, dtype, weak)
    if hasattr(x, "shape") and hasattr(x, "dtype"):   # other arrays (jax.Array, ...)
        return ShapedArray(tuple(x.shape), core.canonicalize_dtype(x.dtype), False)
    tracing.leaf_signature(x, name)   # raises the usual "not a valid mlax type" error
    raise TypeError(f"Argument '{name}' is not a valid mlax type")


# ---------------------------------------------------------------------------------------
# Tracing an entry point

class Entry:
    """One traced function of a Lowered module."""

    def __init__(self, name, symbol, in_avals, in_tree, arg_names, out_avals, out_tree, static):
        self.name = name                # the entry point's name in a saved module
        self.symbol = symbol            # its func.func symbol
        self.in_avals, self.in_tree = in_avals, in_tree
        self.arg_names = arg_names      # names of the dynamic positional arguments
        self.out_avals, self.out_tree = out_avals, out_tree
        self.static = static            # ((parameter name, value), ...)

    @property
    def out_specs(self):
        return [(a.shape, a.dtype) for a in self.out_avals]

    def metadata(self, symbol=None) -> dict:
        return {
            "symbol": symbol or self.symbol,
            "arg_names": list(self.arg_names),
            "in_tree": treedef_to_json(self.in_tree),
            "out_tree": treedef_to_json(self.out_tree),
            "inputs": [leaf_meta(a.shape, a.dtype, a.weak_type) for a in self.in_avals],
            "outputs": [leaf_meta(a.shape, a.dtype, a.weak_type) for a in self.out_avals],
            "static": {str(k): repr(v) for k, v in self.static},
        }


def trace_entry(jitted, args, kwargs, tm, name=None) -> Entry:
    """Trace `jitted` (an mlax.jit of the function) for `args`/`kwargs` (values or
    ShapeDtypeStructs) into `tm`."""
    static, dyn_args, dyn_names, dyn_kwargs = jitted._split(args, kwargs)
    leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
    names = tracing.leaf_names(dyn_args, dyn_names, dyn_kwargs)
    avals = [_aval(x, n) for x, n in zip(leaves, names)]
    fname = getattr(jitted._fun, "__name__", "fn")
    builder, out = tracing.trace_function(jitted._flat_fun(static, treedef), avals, names,
                                          fname, tm)
    out_leaves, out_tree = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tracer):
            tracing.leaf_signature(o, "output")
    with tm.ctx:
        builder.finish(out_leaves)
    static = tuple((jitted._arg_name(k) if isinstance(k, int) else k, v) for k, v in static)
    entry = Entry(name or fname, builder.name, avals, treedef, list(dyn_names),
                  list(builder.out_avals), out_tree, static)
    entry.placement = jitted._place(tm, builder, leaves, treedef, names, out_leaves, out_tree,
                                    list(builder.out_avals))
    return entry


def lower(jitted, *args, **kwargs) -> "Lowered":
    """`jit(f).lower(*args, **kwargs)`."""
    tm = tracing.TracedModule()
    entry = trace_entry(jitted, args, kwargs, tm)
    backend = jitted._backend
    if entry.placement is not None:      # on a mesh's devices (mlax.placement)
        backend = jitted._placed_backend(entry.placement)
    return Lowered(tm.module, tm.ctx, [entry], backend=backend)


# ---------------------------------------------------------------------------------------
# Stages

def stage_pipelines(backend, upto: str, passes: str | None = None):
    """[(stage, pipeline)] that take a traced module to MLIR stage `upto` of `backend`
    ("mlax", "mlax-opt", then the backend's stages). A custom pipeline (`passes`) replaces
    the whole path and ends at the backend's last MLIR stage."""
    if upto == "mlax":
        return []
    if passes is not None:
        return [(mlir_stages(backend)[-1], passes)]
    out = [("mlax-opt", MLAX_OPT)]
    for st in backend.stages:
        if out[-1][0] == upto or not st.pipeline:
            break
        out.append((st.name, st.pipeline))
    return out


def mlir_stages(backend) -> tuple[str, ...]:
    """The MLIR stages of `backend`, in order, mlax and mlax-opt first."""
    return ("mlax", "mlax-opt") + tuple(st.name for st in backend.stages if st.pipeline)


def clone_module(module, ctx) -> ir.Module:
    """A copy of `module` in `ctx`, locations included."""
    op = module.operation if hasattr(module, "operation") else module
    return ir.Module.parse(op.get_asm(enable_debug_info=True), context=ctx)


class Lowered:
    """Traced functions (one entry point, or several from mlax-compile) ready to compile."""

    def __init__(self, module, ctx, entries, pipeline=None, backend=None):
        self._module = module
        self._ctx = ctx
        self.entries = entries
        self._pipeline = pipeline
        self.backend = tracing.compute_backend(backend)
        with ctx:
            privatize(module, {e.symbol for e in entries})

    @property
    def _entry(self) -> Entry:
        if len(self.entries) != 1:
            raise ValueError("this Lowered has several entry points: use .entries")
        return self.entries[0]

    @property
    def in_tree(self):
        return self._entry.in_tree

    @property
    def out_tree(self):
        return self._entry.out_tree

    @property
    def out_info(self):
        e = self._entry
        return tree_unflatten(e.out_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                                           for a in e.out_avals])

    @property
    def args_info(self):
        e = self._entry
        return tree_unflatten(e.in_tree, [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                                          for a in e.in_avals])

    def _stage_backend(self, stage: str):
        """This Lowered's backend when it has `stage`, else the first usable backend that
        does (JAX's "stablehlo" and "hlo" from a function jitted for the CPU)."""
        if stage in ("mlax", "mlax-opt") or any(st.name == stage for st in self.backend.stages):
            return self.backend
        try:
            return backends.stage_backend(stage)
        except backends.BackendUnavailable as e:
            raise ValueError(f"unknown stage {stage!r}: the {self.backend.name} backend's are "
                             f"{', '.join(st.name for st in self.backend.stages)}, after mlax "
                             f"and mlax-opt; {e}") from None

    def compiler_ir(self, stage: str = "mlax", *, dialect: str | None = None):
        """A copy of the module at MLIR stage `stage` (mlax, mlax-opt, then the backend's:
        linalg, llvm on the CPU). `dialect` is JAX's keyword for the same. A stage of
        another backend is that backend's lowering of the same module: "stablehlo" (the
        tpu backend's) on any backend, and JAX's "hlo", XLA's HLO before optimization as
        jaxlib converts the StableHLO (an `HloComputation`, JAX's `as_hlo_text()`)."""
        stage = dialect or stage
        backend = self._stage_backend(stage)
        stages = mlir_stages(backend)
        if stage == "hlo" and stage not in stages:
            return HloComputation(self.as_text(stage))
        if stage not in stages:
            text = [st.name for st in backend.stages if not st.pipeline]
            raise ValueError(f"unknown MLIR stage {stage!r}: one of {', '.join(stages)} "
                             f"(as_text also has {', '.join(text)})")
        with self._ctx:
            m = clone_module(self._module, self._ctx)
            custom = self._pipeline if backend is self.backend else None
            for _, p in stage_pipelines(backend, stage, custom):
                run_pipeline(m, p)
        return m

    def as_text(self, stage: str = "mlax", debug_info: bool = False, *,
                dialect: str | None = None) -> str:
        """The module at `stage` (`dialect`, JAX's keyword): an MLIR stage (`compiler_ir`),
        or one the backend translates to from its last MLIR stage (llvm-ir, asm on the
        CPU; hlo on the tpu backend's path)."""
        stage = dialect or stage
        backend = self._stage_backend(stage)
        if stage not in mlir_stages(backend):
            m = self.compiler_ir(mlir_stages(backend)[-1])
            with self._ctx:
                return backend.translate(m, stage).decode()
        m = self.compiler_ir(stage)
        return m.operation.get_asm(enable_debug_info=debug_info)

    def __str__(self):
        return self.as_text()

    def compile(self, opt_level: int | None = None) -> "Compiled":
        """Compile for this machine (through the persistent cache when it is on).
        `opt_level` None: the level jit chooses (Backend.default_opt_level), so the compiled
        code is the code jit runs, rounding included."""
        with self._ctx:
            m = clone_module(self._module, self._ctx)
            if opt_level is None:
                opt_level = self.backend.default_opt_level(m)
            specs = {e.symbol: e.out_specs for e in self.entries}
            exes, lowered = compiling.backend_compile(self.backend, m, specs, opt_level,
                                                         self._pipeline)
        for e in self.entries:
            if getattr(e, "placement", None) is not None:
                exes[e.symbol] = placement.placed_executable(exes[e.symbol], e.placement,
                                                        e.out_avals, e.name)
        return Compiled(self, exes, m if lowered else None, opt_level)


class HloComputation:
    """XLA's HLO of an entry point, as text: what JAX's `compiler_ir(dialect="hlo")`
    (an XlaComputation) gives to callers that print it."""

    def __init__(self, text: str):
        self._text = text

    def as_hlo_text(self) -> str:
        return self._text

    def __str__(self):
        return self._text


class Compiled:
    """Compiled code for this machine, callable with the dynamic arguments of the traced
    call (static ones are fixed); arguments are checked against the compiled signature."""

    def __init__(self, lowered: Lowered, exes, llvm_module, opt_level):
        self.lowered = lowered
        self.entries = lowered.entries
        self._exes = exes
        self._llvm = llvm_module
        self._opt_level = opt_level
        self._checks = {}

    @property
    def in_tree(self):
        return self.lowered.in_tree

    @property
    def out_tree(self):
        return self.lowered.out_tree

    def llvm_module(self) -> ir.Module:
        """The compiled module in the LLVM dialect."""
        if self._llvm is None:
            self._llvm = self.lowered.compiler_ir(mlir_stages(self.lowered.backend)[-1])
        return self._llvm

    def as_text(self, stage: str | None = None) -> str:
        """The compiled code: the backend's last MLIR stage (None: llvm on the CPU), or a
        stage it translates to (llvm-ir, asm)."""
        backend = self.lowered.backend
        last = mlir_stages(backend)[-1]
        stage = stage or last
        if stage == "hlo":     # XLA's optimized HLO (partitioned, with its collectives)
            texts = [getattr(exe, "hlo_text", None) for exe in self._exes.values()]
            if None in texts:
                raise ValueError(f"the {backend.name} backend compiles no HLO")
            return "\n".join(t() for t in texts)
        if stage not in mlir_stages(backend):
            with self.lowered._ctx:
                return backend.translate(self.llvm_module(), stage, self._opt_level).decode()
        if stage != last:
            return self.lowered.as_text(stage)
        return self.llvm_module().operation.get_asm()

    def _call_entry(self, entry: Entry, args, kwargs):
        check = self._checks.get(entry.symbol)
        if check is None:
            meta = entry.metadata()
            check = self._checks[entry.symbol] = [aot.Leaf(i["shape"], i["dtype"])
                                                  for i in meta["inputs"]]
        leaves, treedef = tree_flatten((list(args), dict(kwargs)))
        if treedef != entry.in_tree:
            raise TypeError(f"{entry.name}: the arguments' structure {treedef} differs from the "
                            f"compiled one {entry.in_tree} (static arguments are not passed "
                            "to a Compiled)")
        names = tracing.leaf_names(list(args), entry.arg_names, dict(kwargs))
        exe = self._exes[entry.symbol]
        if hasattr(exe, "call_leaves"):      # placed on devices (mlax.placement)
            arrays = [x if placement.committed(x) is not None else
                      leaf.convert(x, f"{entry.name}(): argument '{n}'")
                      for leaf, x, n in zip(check, leaves, names)]
            return tree_unflatten(entry.out_tree, exe.call_leaves(
                arrays, [a.weak_type for a in entry.out_avals]))
        arrays = [leaf.convert(x, f"{entry.name}(): argument '{n}'")
                  for leaf, x, n in zip(check, leaves, names)]
        outs = exe(arrays)
        return tree_unflatten(entry.out_tree, [Array(o, a.weak_type)
                                               for o, a in zip(outs, entry.out_avals)])

    def __call__(self, *args, **kwargs):
        return self._call_entry(self.lowered._entry, args, kwargs)

    def save(self, path, name=None):
        """Write this function as an importable compiled module (a package directory)."""
        entry = self.lowered._entry
        return save_module(path, {name or entry.name: self})


def save_module(path, functions: dict, machine=None, opt_level=None):
    """Write Compiled functions as one importable module: {entry point name: Compiled}.

    Each function's symbol becomes its entry point's name (functions traced apart may
    share one, as two lambdas do). A Compiled with several entry points keeps theirs.
    The functions share one backend, which writes its artifact for `machine` (the
    backend's `machine_target`; None: this machine)."""
    backends_ = {c.lowered.backend.name for c in functions.values()}
    if len(backends_) > 1:
        raise ValueError(f"cannot save functions of several backends in one module: "
                         f"{sorted(backends_)}")
    modules, metas = [], {}
    for name, c in functions.items():
        m = c.llvm_module()
        if len(c.entries) == 1:
            e = c.entries[0]
            if e.symbol != name:
                with c.lowered._ctx:
                    m = clone_module(m, c.lowered._ctx)
                    _rename_function(m, e.symbol, name)
            metas[name] = e.metadata(symbol=name)
        else:
            metas.update({e.name: e.metadata() for e in c.entries})
        modules.append(m)
    backend = next(iter(functions.values())).lowered.backend
    if opt_level is None:
        opt_level = max(c._opt_level for c in functions.values())
    return backend.save(path, modules, metas, opt_level, machine,
                        creator="mlax.stages.save_module")


def _rename_function(module, old, new):
    """Rename the public function @old (an entry point: nothing in the module calls it)."""
    ops = [o.operation for o in module.operation.regions[0].blocks[0].operations
           if o.operation.name in ("llvm.func", "func.func")]
    names = [ir.StringAttr(o.attributes["sym_name"]).value for o in ops]
    if new in names:
        raise ValueError(f"cannot name entry point {new!r}: the module already has a function "
                         "of that name")
    ops[names.index(old)].attributes["sym_name"] = ir.StringAttr.get(new)
