"""Running XLA executables for the tpu platform (the `tpu` backend's runtime).

No TPU is attached here: XLA's CPU client, through jaxlib's PJRT bindings, stands in for
the chip (one `TpuDevice` per device of the client: N of them with
`--xla_force_host_platform_device_count=N`); on a machine with a TPU the same executables
would be compiled by its client. The results of unplaced calls (jit, eager ops) stay in
PJRT buffers on the first device (`ResidentArray`), which later calls take as they are;
host arrays are put into buffers for each call, and a resident array is copied to the
host only when read there (`np.asarray`, printing, CPU code). Arrays placed on devices
(`device_put` to a device or a sharding, results of placed calls: `TpuArray`) keep one
PJRT buffer per device between calls (`PlacedCall`). `initialize_distributed` joins a
multi-process run (mlax.distributed).

jax is imported on first use (it is an optional dependency, ~1 s to import): the PJRT
client and buffers are jax's (`jax.devices("cpu")`), and inputs are put with
`xla_client.batched_device_put`. jaxlib narrows 64-bit data in its transfers (to and
from PJRT buffers) unless jax's own x64 flag is on, whatever mlax's is: every transfer
runs in `exact_dtypes()`, jax's x64 context, so buffers hold mlax's dtypes.

Under mlax.compat's hook `import jax` gives mlax itself, so the runtime imports jax's
modules inside `jax_import_context()`: a no-op, which `mlax.compat.install()` replaces by
one that suspends the hook while the real modules import.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util

import numpy as np

from . import callbacks
from .array import Array, SingleDeviceSharding
from .sharding import NamedSharding, device_assignment, indices_map

PACKAGE_HINT = "pip install 'mlax[tpu]' (jax and jaxlib)"

# The context the runtime imports jax in (see the module's docstring); set by mlax.compat.
jax_import_context = contextlib.nullcontext


@contextlib.contextmanager
def _importing_jax():
    """`jax_import_context()`, keeping NumPy's global random state: importing jax draws
    from it (`jax._src.clusters.k8s_cluster` calls `np.random.rand` at import), which would
    change the numbers of a program that seeds NumPy before its first tpu call."""
    state = np.random.get_state()
    try:
        with jax_import_context():
            yield
    finally:
        np.random.set_state(state)


class TpuRuntimeError(RuntimeError):
    """XLA could not run an executable; the message says why."""


def available() -> str | None:
    """None when the tpu platform's packages import, else what to install."""
    for name in ("jax", "jaxlib"):
        if importlib.util.find_spec(name) is None:
            return f"the tpu backend needs the {name} package: {PACKAGE_HINT}"
    return None


@functools.cache
def _pjrt():
    """(jax, xla_client, the PJRT devices, the first one's single-device sharding)."""
    with _importing_jax():
        import jax              # optional and slow to import: loaded when first needed
        from jaxlib import lapack, xla_client
        # The LAPACK custom calls of the linear algebra lowering find their routines only
        # once jaxlib has loaded them (as jax's own CPU lowering does first); a call before
        # crashes.
        lapack._lapack.initialize()
        try:
            pjrt_devices = jax.devices("cpu")
        except RuntimeError as e:       # e.g. JAX_PLATFORMS names platforms without cpu
            raise TpuRuntimeError(f"the tpu backend runs on XLA's CPU client, which jax does "
                                  f"not provide here ({e}); set JAX_PLATFORMS=cpu or unset "
                                  "it") from None
    return jax, xla_client, pjrt_devices, jax.sharding.SingleDeviceSharding(pjrt_devices[0])


_distributed = {}


def initialize_distributed(coordinator_address, num_processes, process_id,
                           local_device_ids=None):
    """Join this process to a multi-process run through PJRT's distributed runtime (jax's
    client of it: `jax.distributed.initialize`); on the CPU stand-in, collectives between
    processes go through gloo. Must come before the first use of the tpu platform."""
    if _pjrt.cache_info().currsize:
        raise TpuRuntimeError("mlax.distributed.initialize must be called before the tpu "
                              "platform is first used (its PJRT client exists already)")
    with _importing_jax():
        import jax              # optional and slow to import: loaded when first needed
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address, num_processes, process_id,
                               local_device_ids=local_device_ids)
    _distributed.update(process_id=process_id, num_processes=num_processes)


def shutdown_distributed():
    with _importing_jax():
        import jax
    jax.distributed.shutdown()
    _distributed.clear()


def process_index() -> int:
    return _distributed.get("process_id", 0)


def process_count() -> int:
    return _distributed.get("num_processes", 1)


class TpuDevice:
    """One device of the tpu platform: here one of XLA's CPU client's devices standing in
    for a chip (`XLA_FLAGS=--xla_force_host_platform_device_count=N` gives N of them, as a
    TPU host has several chips)."""
    platform = "tpu"
    device_kind = "TPU stand-in (XLA CPU)"

    def __init__(self, id, pjrt):
        self.id = id
        self.pjrt = pjrt
        self.process_index = pjrt.process_index

    def __repr__(self):
        return f"TpuDevice(id={self.id})"

    def __eq__(self, other):
        return isinstance(other, TpuDevice) and other.id == self.id

    def __hash__(self):
        return hash(("tpu", self.id))

    def _put(self, value: np.ndarray, sharding, weak: bool):
        """`value` placed as `sharding` (whose devices include this one) says; None:
        uncommitted on this device."""
        if sharding is None and self.id == 0:
            return ResidentArray(put(value), value.shape, value.dtype, weak)
        if sharding is None:
            return TpuArray.put(value, SingleDeviceSharding(self), weak, committed=False)
        return TpuArray.put(value, sharding, weak)


@functools.cache
def devices() -> tuple:
    """The tpu platform's devices: one per device of XLA's CPU client."""
    return tuple(TpuDevice(i, d) for i, d in enumerate(_pjrt()[2]))


def local_devices() -> list:
    """The devices of this process (all of them, unless mlax.distributed is initialized)."""
    return [d for d in devices() if d.process_index == process_index()]


def client():
    """The PJRT client executables are compiled with and run on."""
    return _pjrt()[2][0].client


def device():
    return _pjrt()[2][0]


def device_list(ids=(0,)):
    """The devices an executable is compiled for, as `client().compile_and_load` takes."""
    xc = _pjrt()[1]
    return xc.DeviceList(tuple(devices()[i].pjrt for i in ids))


def compile_options(ids, propagate=()):
    """XLA's options for a computation over the devices `ids` (partition order): one
    partition per device, XLA's SPMD partitioner splitting the module by its
    `mhlo.sharding` attributes; `propagate`, per result, whether XLA chooses its layout
    (it has none of its own)."""
    xc = _pjrt()[1]
    options = xc.CompileOptions()
    build = options.executable_build_options
    if any(propagate):
        build.allow_spmd_sharding_propagation_to_output = list(propagate)
    options.num_replicas = build.num_replicas = 1
    options.num_partitions = build.num_partitions = len(ids)
    build.use_spmd_partitioning = len(ids) > 1
    pjrt_ids = [devices()[i].pjrt.id for i in ids]      # PJRT's ids (global in a
    build.device_assignment = xc.DeviceAssignment.create(   # multi-process run)
        np.asarray(pjrt_ids).reshape(1, -1))
    return options


def compile_artifact(data, ids=(0,), propagate=(), host_callbacks=()):
    """XLA's loaded executable of the StableHLO portable artifact `data` (its @main; or the
    artifact read into a jaxlib MLIR module, which a module calling host callbacks must
    be) on the devices `ids`, its host-callback custom calls calling `host_callbacks`
    (by index); TpuRuntimeError when XLA rejects it."""
    try:
        if host_callbacks:
            return client().compile_and_load(data, device_list(ids),
                                             compile_options(ids, propagate),
                                             host_callbacks=list(host_callbacks))
        return client().compile_and_load(data, device_list(ids), compile_options(ids, propagate))
    except Exception as e:     # jaxlib's JaxRuntimeError
        raise TpuRuntimeError(f"XLA could not compile the module: {e}") from None


def load_artifact(data: bytes, out_specs) -> "TpuCall":
    """A call of @main of the StableHLO artifact `data` compiled for one device:
    `call(inputs) -> outputs` (NumPy arrays; `out_specs` the results' shapes and dtypes)."""
    return TpuCall(compile_artifact(data), out_specs)


@functools.lru_cache(maxsize=1024)
def _aval(shape, dtype):
    return _pjrt()[0].core.ShapedArray(shape, dtype)


def exact_dtypes():
    """A context in which jaxlib keeps 64-bit dtypes: its transfers to and from PJRT
    buffers narrow float64/int64/complex128 data to 32 bits unless jax's x64 flag is on,
    and mlax's dtypes (its own x64 mode) are already what the buffers must hold."""
    return _pjrt()[0].enable_x64(True)


def put(x: np.ndarray):
    """A PJRT buffer holding a copy of the NumPy array `x`."""
    _, xc, devs, sharding = _pjrt()
    with exact_dtypes():
        return xc.batched_device_put(_aval(x.shape, x.dtype), sharding, [x], [devs[0]],
                                     True, True)


@functools.lru_cache(maxsize=256)
def _jax_sharding(sharding):
    """jax's sharding of the PJRT arrays holding an mlax array of `sharding`."""
    jax = _pjrt()[0]
    if isinstance(sharding, SingleDeviceSharding):
        return jax.sharding.SingleDeviceSharding(sharding.device.pjrt)
    mesh = sharding.mesh
    pjrt = np.vectorize(lambda d: d.pjrt, otypes=[object])(mesh.devices)
    return jax.sharding.NamedSharding(jax.sharding.Mesh(pjrt, mesh.axis_names),
                                      jax.sharding.PartitionSpec(*sharding.spec))


def put_sharded(x: np.ndarray, sharding):
    """A global PJRT array of `x` laid out as `sharding`: one buffer per device, each
    holding that device's slice (put one by one: `batched_device_put` of the whole
    layout fails for some replicated layouts)."""
    with exact_dtypes():
        return _put_sharded(x, sharding)


def _put_sharded(x: np.ndarray, sharding):
    jax, xc, _, _ = _pjrt()
    index = local_indices(sharding, x.shape)
    if len(index) == 1 and len(device_assignment(sharding)) == 1:
        (dev, _), = index.items()
        return xc.batched_device_put(_aval(x.shape, x.dtype), _jax_sharding(sharding), [x],
                                     [dev.pjrt], True, True)
    bufs = []
    for dev, idx in index.items():
        shard = np.ascontiguousarray(x[idx])
        bufs.append(xc.batched_device_put(_aval(shard.shape, shard.dtype),
                                          _single(dev), [shard], [dev.pjrt], True, True))
    return jax.make_array_from_single_device_arrays(x.shape, _jax_sharding(sharding), bufs)


def local_indices(sharding, shape) -> dict:
    """indices_map restricted to this process's devices."""
    me = process_index()
    return {d: i for d, i in indices_map(sharding, shape).items() if d.process_index == me}


@functools.lru_cache(maxsize=None)
def _single(device):
    return _pjrt()[0].sharding.SingleDeviceSharding(device.pjrt)


class Shard:
    """One device's part of an array (`jax.Shard`)."""

    def __init__(self, device, index, replica_id, data):
        self.device, self.index, self.replica_id, self.data = device, index, replica_id, data

    def __repr__(self):
        return (f"Shard(device={self.device!r}, index={self.index}, "
                f"replica_id={self.replica_id}, data={self.data!r})")


class _DeviceArray(Array):
    """What an Array whose values live in PJRT buffers answers without reading them: its
    metadata, kept as `_shape` and `_dtype`."""
    __slots__ = ()

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    ndim = property(lambda self: len(self._shape))
    size = property(lambda self: int(np.prod(self._shape, dtype=np.int64)))
    nbytes = property(lambda self: self.size * self._dtype.itemsize)
    itemsize = property(lambda self: self._dtype.itemsize)


class TpuArray(_DeviceArray):
    """An mlax Array resident on tpu devices: one PJRT buffer per device of its sharding
    (a jax global array holds them). The host copy (`_value`) is made on first use.
    `committed` is false for the results of a call the default device placed (JAX leaves
    them uncommitted: a later call elsewhere copies them there)."""
    __slots__ = ("_global", "_sharding", "_host", "_shape", "_dtype", "_committed")

    def __init__(self, global_array, sharding, weak_type=False, shape=None, dtype=None,
                 committed=True):
        self._global = global_array
        self._sharding = sharding
        self._committed = committed
        self._host = None
        self._shape = tuple(global_array.shape) if shape is None else shape
        self._dtype = np.dtype(global_array.dtype) if dtype is None else dtype
        self.weak_type = weak_type
        self._ptr = None
        self._buffer = None

    @classmethod
    def put(cls, value: np.ndarray, sharding, weak=False, committed=True):
        if isinstance(sharding, NamedSharding):
            sharding.check(value.shape)
        return cls(put_sharded(value, sharding), sharding, weak, committed=committed)

    @property
    def _value(self):
        host = self._host
        if host is None:
            with exact_dtypes():
                host = self._read()
            host.flags.writeable = False
            self._host = host
        return host

    def _read(self) -> np.ndarray:
        if self._global.is_fully_addressable:
            return np.array(self._global, copy=True)
        if self._sharding.is_fully_replicated:          # every process holds it all
            return np.array(self._global.addressable_shards[0].data, copy=True)
        raise TpuRuntimeError(
            f"this array ({self._sharding}) spans devices of other processes: read "
            f"this process's part from addressable_shards")

    def devices(self):
        return set(device_assignment(self._sharding))

    @property
    def committed(self) -> bool:
        return self._committed

    @property
    def device(self):
        if isinstance(self._sharding, SingleDeviceSharding):
            return self._sharding.device
        raise ValueError("Length of devices is greater than 1. Please use `.devices()`.")

    @property
    def sharding(self):
        return self._sharding

    @property
    def addressable_shards(self) -> list:
        index = local_indices(self._sharding, self._shape)
        by_device = {s.device.id: s.data for s in self._global.addressable_shards}
        seen = {}
        shards = []
        for dev, idx in index.items():
            key = tuple((s.start, s.stop) for s in idx)
            replica = seen[key] = seen.get(key, -1) + 1
            data = TpuArray(by_device[dev.pjrt.id], SingleDeviceSharding(dev), self.weak_type)
            shards.append(Shard(dev, idx, replica, data))
        return shards

    def block_until_ready(self):
        self._global.block_until_ready()
        return self

    def copy(self):
        return TpuArray(self._global, self._sharding, self.weak_type,
                        committed=self._committed)

    def with_weak_type(self, weak_type: bool) -> "Array":
        return TpuArray(self._global, self._sharding, weak_type, self._shape, self._dtype,
                        self._committed)

    def committed_to(self, sharding) -> "TpuArray":
        return TpuArray(self._global, sharding, self.weak_type, self._shape, self._dtype)


def device_ids_of(sharding) -> tuple:
    return tuple(d.id for d in device_assignment(sharding))


class ResidentArray(_DeviceArray):
    """An mlax Array left by an unplaced call in a PJRT buffer of the tpu platform's first
    device, uncommitted (as JAX leaves the results of such calls): a later call on the
    tpu platform takes the buffer as it is; the host copy (`_value`, which
    `np.asarray`, printing and CPU code read) is made on first use."""
    __slots__ = ("_host", "_shape", "_dtype")

    def __init__(self, buffer, shape, dtype, weak_type=False):
        self._buffer = buffer
        self._host = None
        self._shape = shape
        self._dtype = dtype
        self.weak_type = weak_type
        self._ptr = None

    def with_weak_type(self, weak_type: bool) -> "Array":
        return ResidentArray(self._buffer, self._shape, self._dtype, weak_type)

    def committed_to(self, sharding) -> TpuArray:
        """This array, its buffer shared, committed to `sharding` (its device's)."""
        return TpuArray(self._buffer, sharding, self.weak_type, self._shape, self._dtype)

    @property
    def _value(self):
        host = self._host
        if host is None:
            with exact_dtypes():
                host = np.array(self._buffer, dtype=self._dtype, copy=True).reshape(self._shape)
            host.flags.writeable = False
            self._host = host
        return host

    def devices(self):
        return {devices()[0]}

    @property
    def device(self):
        return devices()[0]

    @property
    def sharding(self):
        return SingleDeviceSharding(devices()[0])

    def block_until_ready(self):
        self._buffer.block_until_ready()
        return self


def _buffer(a: Array):
    """The PJRT buffer on the first device holding Array `a`'s values."""
    buf = a._buffer
    if buf is None:
        buf = a._buffer = put(a._value)
    return buf


# The dtypes jaxlib narrows to 32 bits unless jax's x64 flag is on (see exact_dtypes).
_WIDE = frozenset(np.dtype(d) for d in ("float64", "int64", "uint64", "complex128"))


class TpuCall:
    """Calls a loaded XLA executable: `call(inputs) -> outputs` on NumPy arrays, and
    `call_arrays` on mlax Arrays. An executable that calls host callbacks (`host_calls`)
    is waited for, so that an exception of a host function is raised at the call."""
    __slots__ = ("loaded", "out_specs", "wide", "host_calls", "_handlers")

    def __init__(self, loaded, out_specs, host_calls=False):
        self.loaded = loaded
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
        # Entering jax's x64 context costs ~4 us a call: only results that need it do.
        self.wide = any(d in _WIDE for _, d in self.out_specs)
        self.host_calls = host_calls
        self._handlers = None

    def _result_handlers(self):
        """One result handler per output: jaxlib's C++ handlers make each result array
        with the sharding given here (`disassemble_into_single_device_arrays` asked jax's
        Python for a sharding per output per call: ~5 us of a small call)."""
        handlers = self._handlers
        if handlers is None:
            xc, sharding = _pjrt()[1], _pjrt()[3]
            with exact_dtypes():
                handlers = self._handlers = [
                    xc.array_result_handler(_aval(s, d), sharding, committed=False,
                                            _skip_checks=True) for s, d in self.out_specs]
        return handlers

    def _execute(self, buffers):
        """The result arrays (PJRT buffers on the first device) of one run on `buffers`."""
        handlers = self._result_handlers()
        try:
            if not self.host_calls:
                return self.loaded.execute_sharded(buffers).consume_with_handlers(handlers)
            results = self.loaded.execute_sharded(buffers, with_tokens=True)
            results.consume_token().block_until_ready()
            outs = results.consume_with_handlers(handlers)
        except Exception as e:       # jaxlib's JaxRuntimeError and friends
            callbacks.raise_pending()
            raise TpuRuntimeError(f"XLA failed to run the executable: {e}") from None
        callbacks.raise_pending()
        return outs

    def __call__(self, inputs):
        with exact_dtypes():
            outs = self._execute([put(np.asarray(x)) for x in inputs])
            return [np.array(o, dtype=d, copy=True).reshape(s)
                    for o, (s, d) in zip(outs, self.out_specs)]

    def call_arrays(self, arrays, weak):
        """jit's hot path and eager ops: mlax Arrays in, each as its buffer (a host
        array is put into one, which it keeps for later calls: it is immutable),
        ResidentArrays out: nothing is copied back."""
        if self.wide:
            with exact_dtypes():
                outs = self._execute([_buffer(a) for a in arrays])
        else:
            outs = self._execute([_buffer(a) for a in arrays])   # put() keeps 64-bit inputs
        return [ResidentArray(o, s, d, w) for o, (s, d), w in zip(outs, self.out_specs, weak)]


@functools.cache
def _jax_private():
    """jax's private array constructor and aval helper (jax is pinned by the extra)."""
    with _importing_jax():
        from jax._src import core   # optional and slow to import: loaded when first needed
        from jax._src.array import ArrayImpl
    return core, ArrayImpl


@functools.lru_cache(maxsize=1024)
def _global_layout(shape, dtype, sharding):
    """(aval, jax sharding) of a global array of `shape`, `dtype` laid out as `sharding`."""
    core, _ = _jax_private()
    js = _jax_sharding(sharding)
    return core.update_aval_with_sharding(core.ShapedArray(shape, dtype), js), js


def _assemble(shape, dtype, sharding, bufs):
    """The global PJRT array of an executable's per-device result buffers: jax's ArrayImpl
    built directly (XLA laid the buffers out as `sharding`, so jax's checks are skipped;
    `make_array_from_single_device_arrays` repeats them at ~50 us per array)."""
    aval, js = _global_layout(shape, dtype, sharding)
    return _jax_private()[1](aval, js, bufs, committed=True, _skip_checks=True)


class PlacedCall:
    """Calls a loaded XLA executable compiled for several devices (or one chosen device):
    each input laid out as `in_shardings` says (an array already laid out so is passed as
    its buffers; anything else is put from the host), outputs as TpuArrays of
    `out_shardings`, `committed` or not."""
    __slots__ = ("loaded", "in_shardings", "out_shardings", "out_specs", "committed")

    def __init__(self, loaded, in_shardings, out_shardings, out_specs, committed=True):
        self.committed = committed
        self.loaded = loaded
        self.in_shardings = tuple(in_shardings)
        self.out_shardings = tuple(out_shardings)
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]

    def __call__(self, leaves, weak):
        args = []
        for x, s in zip(leaves, self.in_shardings):
            if isinstance(x, TpuArray) and x._sharding == s:
                args.append(x._global)
            else:
                args.append(put_sharded(np.asarray(x), s))
        try:
            outs = self.loaded.execute_sharded(args).disassemble_into_single_device_arrays()
        except Exception as e:       # jaxlib's JaxRuntimeError and friends
            callbacks.raise_pending()    # a host function's exception failed the run
            raise TpuRuntimeError(f"XLA failed to run the executable: {e}") from None
        return [TpuArray(_assemble(shape, dtype, s, bufs), s, w, shape, dtype, self.committed)
                for bufs, (shape, dtype), s, w in zip(outs, self.out_specs, self.out_shardings,
                                                      weak)]

    def call_arrays(self, arrays, weak):
        return self(arrays, weak)


class PlacedExecutable:
    """An executable whose inputs and outputs have shardings: `exe.call_leaves(leaves,
    weak)` and jit's hot path `exe.call.call_arrays(arrays, weak)` return mlax Arrays."""

    def __init__(self, call):
        self.call = call

    def call_leaves(self, leaves, weak):
        return self.call(leaves, weak)

    def hlo_text(self) -> str:
        """The optimized HLO XLA compiled (after SPMD partitioning: its collectives)."""
        return _hlo_text(self.call.loaded)


def _hlo_text(loaded) -> str:
    return "\n".join(m.to_string() for m in loaded.hlo_modules())


class TpuExecutable:
    """One entry point compiled by XLA: `exe(inputs) -> outputs`, `exe.call.call_arrays`."""

    def __init__(self, loaded, out_specs, device_ids=(0,), host_calls=False):
        self.call = TpuCall(loaded, out_specs, host_calls)
        self.device_ids = tuple(device_ids)

    def __call__(self, inputs):
        return self.call(inputs)

    def output_tiles(self):
        """Per output, the layout XLA chose: (tile counts, device ids in tile order)."""
        xc = _pjrt()[1]
        tiles = []
        shardings = self.call.loaded.get_output_shardings()   # None on one device
        if shardings is None:
            return [((1,) * len(shape), self.device_ids[:1]) for shape, _ in self.call.out_specs]
        for op, (shape, _) in zip(shardings, self.call.out_specs):
            hlo = xc.HloSharding.from_proto(op)
            if hlo.is_replicated() or not hlo.is_tiled():
                tiles.append(((1,) * len(shape) + (len(self.device_ids),), self.device_ids))
                continue
            counts = tuple(hlo.tile_assignment_dimensions())
            ids = tuple(self.device_ids[i] for i in hlo.tile_assignment_devices())
            tiles.append((counts, ids))
        return tiles

    def placed(self, in_shardings, out_shardings, committed=True):
        """This executable called with inputs and outputs laid out as these say, its
        results `committed` or not."""
        return PlacedExecutable(PlacedCall(self.call.loaded, in_shardings, out_shardings,
                                           self.call.out_specs, committed))

    def hlo_text(self) -> str:
        """The optimized HLO XLA compiled (after SPMD partitioning: its collectives)."""
        return _hlo_text(self.call.loaded)
