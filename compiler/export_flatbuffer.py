"""JAX's serialized `Exported`: its flatbuffer schema, written and read without JAX.

`jax.export.Exported.serialize()` writes a flatbuffer whose schema is jax's
`serialization.fbs` (jax/_src/export/serialization.py reads and writes it). This module
holds the parts of that schema mlax writes and reads, as tables of field slots, so that
bytes written here load with `jax.export.deserialize`, and bytes JAX writes load here.

    blob = write(record)          # record: the plain data of an Exported (Record)
    record = read(blob)           # ValueError naming what is wrong, for any other bytes

Writing uses the `flatbuffers` package's Builder (the tpu extra's, as jax.export's). Reading
is a bounds-checked walk over the bytes: every offset is checked against the buffer and
nesting is bounded, so a corrupt or truncated blob is a ValueError, never a crash.

Pytree structures are mlax.runtime.aot's JSON form ("*", None, {"tuple": [...]},
{"list": [...]}, {"dict": [[key, tree], ...]}); avals are (shape, dtype) pairs.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from mlax.runtime.aot import tree_num_leaves
from mlax.runtime.dtypes import bfloat16

# The schema version JAX writes into the blob (serialization.py stores 3 for the sake
# of older readers, whatever its own version) and the range it reads.
SERIALIZATION_VERSION = 3
CALLING_CONVENTION_VERSION = 10          # jax 0.10's default (jax_export_calling_convention_version)
CALLING_CONVENTION_VERSIONS = (9, 10)    # what jax 0.10 loads and mlax runs

# Field slots of each table (the order of fields in serialization.fbs).
EXPORTED = {
    "serialization_version": 0, "function_name": 1, "in_tree": 2, "in_avals": 3,
    "out_tree": 4, "out_avals": 5, "nr_devices_short": 6, "in_shardings": 7,
    "out_shardings": 8, "platforms": 9, "ordered_effects": 10, "unordered_effects": 11,
    "disabled_checks": 12, "mlir_module_serialized": 13, "calling_convention_version": 14,
    "module_kept_var_idx": 15, "uses_global_constants": 16, "vjp": 17, "nr_devices": 18,
    "unique_avals": 19, "unique_abstract_meshes": 20, "unique_named_shardings": 21,
    "in_avals_idxs": 22, "out_avals_idxs": 23, "in_shardings_idxs": 24,
    "out_shardings_idxs": 25,
}
PYTREE = {"kind": 0, "children": 1, "children_names": 2, "custom_name": 3, "custom_auxdata": 4}
AVAL = {"kind": 0, "shape": 1, "dtype": 2, "memory_space": 3}
SHARDING = {"kind": 0, "hlo_sharding_proto": 1, "named_sharding": 2}
NAMED_SHARDING = {"mesh": 0, "spec": 1, "memory_kind": 2, "abstract_mesh_idx": 3}
PARTITION_SPEC = {"partitions": 0, "reduced": 1, "unreduced": 2}
PARTITION_AXIS = {"axes": 0}
TABLE_SIZES = {"Exported": 26, "PyTreeDef": 5, "AbstractValue": 4, "Sharding": 3}

# Enums.
PYTREE_KINDS = {"leaf": 0, "none": 1, "tuple": 2, "list": 3, "dict": 4, "custom": 5}
AVAL_SHAPED_ARRAY = 0
MEMORY_DEVICE = 1
DTYPES = {
    np.dtype("bool"): 0, np.dtype("int8"): 1, np.dtype("int16"): 2, np.dtype("int32"): 3,
    np.dtype("int64"): 4, np.dtype("uint8"): 5, np.dtype("uint16"): 6,
    np.dtype("uint32"): 7, np.dtype("uint64"): 8, np.dtype("float16"): 9,
    np.dtype("float32"): 10, np.dtype("float64"): 11, np.dtype("complex64"): 12,
    np.dtype("complex128"): 13, np.dtype(bfloat16): 14,
}
DTYPE_OF_KIND = {v: k for k, v in DTYPES.items()}
# The schema's other element types, which mlax arrays cannot hold: named in errors.
OTHER_DTYPES = {15: "int4", 16: "uint4", 17: "float8_e4m3b11fnuz", 18: "float8_e4m3fn",
                19: "float8_e4m3fnuz", 20: "float8_e5m2", 21: "float8_e5m2fnuz",
                22: "float0", 23: "float8_e4m3", 24: "float8_e3m4", 25: "float8_e8m0fnu",
                26: "float4_e2m1fn", 27: "key<fry>", 28: "key<rbg>", 29: "key<unsafe_rbg>"}

MAX_DEPTH = 64     # nesting of pytrees (and of vjp tables) a blob may have


@dataclass
class Record:
    """The plain data of a serialized Exported (what mlax writes and reads)."""
    fun_name: str
    in_tree: object
    in_avals: list              # [(shape, dtype)]
    out_tree: object
    out_avals: list
    platforms: tuple
    mlir_module_serialized: bytes
    calling_convention_version: int = CALLING_CONVENTION_VERSION
    nr_devices: int = 1
    module_kept_var_idx: tuple = ()
    uses_global_constants: bool = False
    ordered_effects: tuple = ()
    unordered_effects: tuple = ()
    disabled_checks: tuple = ()
    in_shardings: list = field(default_factory=list)    # per input: None (unspecified) or text
    out_shardings: list = field(default_factory=list)
    serialization_version: int = SERIALIZATION_VERSION
    vjp: "Record | None" = None     # the VJP function's record, as jax.export nests it


# ---------------------------------------------------------------------------------------
# Writing

def _builder():
    try:
        import flatbuffers     # the tpu extra's (as jax.export's): loaded when first needed
    except ImportError:
        raise ImportError("serializing an Exported needs the flatbuffers package: "
                          "pip install 'mlax[tpu]'") from None
    return flatbuffers.Builder(1024)


def write(r: Record) -> bytes:
    """The flatbuffer of `r` (and of its vjp records), as jax.export's `serialize()`
    lays it out."""
    b = _builder()
    b.Finish(_write_exported(b, r))
    return bytes(b.Output())


def _write_exported(b, r: Record) -> int:
    vjp = _write_exported(b, r.vjp) if r.vjp is not None else None
    fun_name = b.CreateString(r.fun_name)
    in_tree = _write_tree(b, r.in_tree)
    in_avals = _tables(b, [_write_aval(b, a) for a in r.in_avals])
    out_tree = _write_tree(b, r.out_tree)
    out_avals = _tables(b, [_write_aval(b, a) for a in r.out_avals])
    in_shardings = _tables(b, [_write_unspecified_sharding(b) for _ in r.in_avals])
    out_shardings = _tables(b, [_write_unspecified_sharding(b) for _ in r.out_avals])
    empty = [_tables(b, []) for _ in range(3)]
    platforms = _tables(b, [b.CreateString(p) for p in r.platforms])
    module = b.CreateByteVector(bytes(r.mlir_module_serialized))
    kept = b.CreateNumpyVector(np.asarray(r.module_kept_var_idx, np.uint16))
    unique = _unique_avals(r)
    unique_avals = _tables(b, [_write_aval(b, a) for a in unique])
    no_meshes, no_shardings = _tables(b, []), _tables(b, [])
    index = {_aval_key(a): i for i, a in enumerate(unique)}
    in_idx = b.CreateNumpyVector(np.asarray([index[_aval_key(a)] for a in r.in_avals], np.uint32))
    out_idx = b.CreateNumpyVector(np.asarray([index[_aval_key(a)] for a in r.out_avals],
                                             np.uint32))
    in_sh_idx = b.CreateNumpyVector(np.zeros(len(r.in_avals), np.uint32))   # 0: unspecified
    out_sh_idx = b.CreateNumpyVector(np.zeros(len(r.out_avals), np.uint32))

    f = EXPORTED
    b.StartObject(TABLE_SIZES["Exported"])
    b.PrependUint16Slot(f["serialization_version"], r.serialization_version, 0)
    b.PrependUOffsetTRelativeSlot(f["function_name"], fun_name, 0)
    b.PrependUOffsetTRelativeSlot(f["in_tree"], in_tree, 0)
    b.PrependUOffsetTRelativeSlot(f["in_avals"], in_avals, 0)
    b.PrependUOffsetTRelativeSlot(f["out_tree"], out_tree, 0)
    b.PrependUOffsetTRelativeSlot(f["out_avals"], out_avals, 0)
    b.PrependUint32Slot(f["nr_devices"], r.nr_devices, 0)
    b.PrependUOffsetTRelativeSlot(f["in_shardings"], in_shardings, 0)
    b.PrependUOffsetTRelativeSlot(f["out_shardings"], out_shardings, 0)
    b.PrependUOffsetTRelativeSlot(f["platforms"], platforms, 0)
    b.PrependUOffsetTRelativeSlot(f["ordered_effects"], empty[0], 0)
    b.PrependUOffsetTRelativeSlot(f["unordered_effects"], empty[1], 0)
    b.PrependUOffsetTRelativeSlot(f["disabled_checks"], empty[2], 0)
    b.PrependUOffsetTRelativeSlot(f["mlir_module_serialized"], module, 0)
    b.PrependUint16Slot(f["calling_convention_version"], r.calling_convention_version, 0)
    b.PrependUOffsetTRelativeSlot(f["module_kept_var_idx"], kept, 0)
    b.PrependBoolSlot(f["uses_global_constants"], r.uses_global_constants, False)
    b.PrependUOffsetTRelativeSlot(f["unique_avals"], unique_avals, 0)
    b.PrependUOffsetTRelativeSlot(f["unique_abstract_meshes"], no_meshes, 0)
    b.PrependUOffsetTRelativeSlot(f["unique_named_shardings"], no_shardings, 0)
    b.PrependUOffsetTRelativeSlot(f["in_avals_idxs"], in_idx, 0)
    b.PrependUOffsetTRelativeSlot(f["out_avals_idxs"], out_idx, 0)
    b.PrependUOffsetTRelativeSlot(f["in_shardings_idxs"], in_sh_idx, 0)
    b.PrependUOffsetTRelativeSlot(f["out_shardings_idxs"], out_sh_idx, 0)
    if vjp is not None:
        b.PrependUOffsetTRelativeSlot(f["vjp"], vjp, 0)
    return b.EndObject()


def _aval_key(a):
    shape, dtype = a
    return tuple(shape), np.dtype(dtype)


def _unique_avals(r: Record) -> list:
    seen = {}
    for a in [*r.in_avals, *r.out_avals]:
        seen.setdefault(_aval_key(a), a)
    return list(seen.values())


def _tables(b, offsets) -> int:
    """A vector of tables (or strings) already written at `offsets`."""
    b.StartVector(4, len(offsets), 4)
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _write_tree(b, tree) -> int:
    children = names = None
    if tree == "*":
        kind, kids = "leaf", []
    elif tree is None:
        kind, kids = "none", []
    elif "tuple" in tree or "list" in tree:
        kind = "tuple" if "tuple" in tree else "list"
        kids = tree[kind]
    elif "dict" in tree:
        kind = "dict"
        keys = [k for k, _ in tree["dict"]]
        for k in keys:
            if not isinstance(k, str):
                raise ValueError(f"a serialized Exported holds dicts with string keys only; "
                                 f"found the key {k!r}")
        kids = [t for _, t in tree["dict"]]
        names = _tables(b, [b.CreateString(k) for k in keys])
    else:
        node = next(iter(tree))
        raise ValueError(f"a serialized Exported holds pytrees of tuples, lists, dicts and "
                         f"None; found a {tree.get('namedtuple', node)} node (JAX needs "
                         f"jax.export.register_pytree_node_serialization for it)")
    if kids:
        children = _tables(b, [_write_tree(b, t) for t in kids])
    b.StartObject(TABLE_SIZES["PyTreeDef"])
    b.PrependInt8Slot(PYTREE["kind"], PYTREE_KINDS[kind], 0)
    if children is not None:
        b.PrependUOffsetTRelativeSlot(PYTREE["children"], children, 0)
    if names is not None:
        b.PrependUOffsetTRelativeSlot(PYTREE["children_names"], names, 0)
    return b.EndObject()


def _write_aval(b, aval) -> int:
    shape, dtype = aval
    dims = _tables(b, [b.CreateString(str(int(d))) for d in shape])
    b.StartObject(TABLE_SIZES["AbstractValue"])
    b.PrependInt8Slot(AVAL["kind"], AVAL_SHAPED_ARRAY, 0)
    b.PrependUOffsetTRelativeSlot(AVAL["shape"], dims, 0)
    b.PrependInt8Slot(AVAL["dtype"], DTYPES[np.dtype(dtype)], 0)
    b.PrependInt8Slot(AVAL["memory_space"], MEMORY_DEVICE, 0)
    return b.EndObject()


def _write_unspecified_sharding(b) -> int:
    b.StartObject(TABLE_SIZES["Sharding"])
    return b.EndObject()


# ---------------------------------------------------------------------------------------
# Reading

class _Corrupt(Exception):
    pass


class _Table:
    """One table of the flatbuffer at `pos`, every read bounds-checked."""
    __slots__ = ("buf", "pos", "vtable", "vsize")

    def __init__(self, buf: bytes, pos: int):
        self.buf = buf
        self.pos = pos
        vtable = pos - _unpack(buf, "<i", pos)
        self.vtable = vtable
        self.vsize = _unpack(buf, "<H", vtable)
        if self.vsize < 4 or self.vsize % 2 or vtable + self.vsize > len(buf):
            raise _Corrupt(f"a table's field list at byte {vtable} is malformed")

    def _at(self, slot) -> int:
        """The absolute position of field `slot`, 0 when absent."""
        entry = 4 + 2 * slot
        if entry + 2 > self.vsize:
            return 0
        off = _unpack(self.buf, "<H", self.vtable + entry)
        return self.pos + off if off else 0

    def scalar(self, slot, fmt, default=0):
        at = self._at(slot)
        return default if not at else _unpack(self.buf, fmt, at)

    def _ref(self, at) -> int:
        target = at + _unpack(self.buf, "<I", at)
        if target >= len(self.buf):
            raise _Corrupt(f"an offset at byte {at} points past the end")
        return target

    def _vector(self, slot, item_size):
        """(start, length) of the vector in field `slot`; (0, 0) when absent."""
        at = self._at(slot)
        if not at:
            return 0, 0
        start = self._ref(at)
        n = _unpack(self.buf, "<I", start)
        if start + 4 + n * item_size > len(self.buf):
            raise _Corrupt(f"a vector of {n} elements at byte {start} runs past the end")
        return start + 4, n

    def table(self, slot):
        at = self._at(slot)
        return _Table(self.buf, self._ref(at)) if at else None

    def tables(self, slot) -> list:
        start, n = self._vector(slot, 4)
        return [_Table(self.buf, self._ref(start + 4 * i)) for i in range(n)]

    def string(self, slot):
        at = self._at(slot)
        return _string(self.buf, self._ref(at)) if at else None

    def strings(self, slot) -> list:
        start, n = self._vector(slot, 4)
        return [_string(self.buf, self._ref(start + 4 * i)) for i in range(n)]

    def bytes(self, slot) -> bytes:
        start, n = self._vector(slot, 1)
        return self.buf[start:start + n]

    def numbers(self, slot, fmt) -> list:
        size = struct.calcsize(fmt)
        start, n = self._vector(slot, size)
        return [_unpack(self.buf, fmt, start + size * i) for i in range(n)]


def _unpack(buf, fmt, at):
    if at < 0 or at + struct.calcsize(fmt) > len(buf):
        raise _Corrupt(f"a read at byte {at} falls outside the {len(buf)} bytes")
    return struct.unpack_from(fmt, buf, at)[0]


def _string(buf, at) -> str:
    n = _unpack(buf, "<I", at)
    if at + 4 + n > len(buf):
        raise _Corrupt(f"a string at byte {at} runs past the end")
    try:
        return buf[at + 4:at + 4 + n].decode("utf-8")
    except UnicodeDecodeError:
        raise _Corrupt(f"a string at byte {at} is not UTF-8") from None


def read(blob) -> Record:
    """The Record of a serialized Exported. Raises ValueError naming what is wrong with
    bytes that are not one, or that hold what mlax cannot run."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError(f"deserialize takes the bytes of a serialized Exported, not "
                        f"{type(blob).__name__}")
    buf = bytes(blob)
    if len(buf) < 8:
        raise ValueError(f"not a serialized Exported: {len(buf)} bytes is too short")
    try:
        return _read_exported(_Table(buf, _unpack(buf, "<I", 0)), 0)
    except _Corrupt as e:
        raise ValueError(f"not a serialized Exported, or a corrupt one: {e}") from None


def _read_exported(t: _Table, depth) -> Record:
    if depth > MAX_DEPTH:
        raise _Corrupt(f"its vjp functions are nested more than {MAX_DEPTH} deep")
    f = EXPORTED
    name = t.string(f["function_name"])
    module = t.bytes(f["mlir_module_serialized"])
    if name is None or not module:
        raise _Corrupt("it has no function name or no module")
    version = t.scalar(f["calling_convention_version"], "<H")
    if version not in CALLING_CONVENTION_VERSIONS:
        lo, hi = CALLING_CONVENTION_VERSIONS
        raise ValueError(f"the serialized Exported {name!r} has calling convention version "
                         f"{version}; mlax runs versions {lo} to {hi} (those jax 0.10 "
                         "writes): export it again with a matching jax")
    unique = [_read_aval(a, name) for a in t.tables(f["unique_avals"])]
    in_idx, out_idx = t.numbers(f["in_avals_idxs"], "<I"), t.numbers(f["out_avals_idxs"], "<I")
    if unique and (in_idx or out_idx):
        if any(i >= len(unique) for i in [*in_idx, *out_idx]):
            raise _Corrupt("an aval index is out of range")
        in_avals, out_avals = [unique[i] for i in in_idx], [unique[i] for i in out_idx]
    else:         # written before jax kept the unique avals (serialization version < 10)
        in_avals = [_read_aval(a, name) for a in t.tables(f["in_avals"])]
        out_avals = [_read_aval(a, name) for a in t.tables(f["out_avals"])]
    if t.tables(f["ordered_effects"]) or t.tables(f["unordered_effects"]):
        raise ValueError(f"the serialized Exported {name!r} has effects (tokens of ordered "
                         "or unordered side effects), which mlax does not run")
    in_tree, out_tree = t.table(f["in_tree"]), t.table(f["out_tree"])
    if in_tree is None or out_tree is None:
        raise _Corrupt("it has no pytree structure")
    r = Record(
        fun_name=name,
        in_tree=_read_tree(in_tree, 0),
        in_avals=in_avals,
        out_tree=_read_tree(out_tree, 0),
        out_avals=out_avals,
        platforms=tuple(t.strings(f["platforms"])),
        mlir_module_serialized=module,
        calling_convention_version=version,
        nr_devices=t.scalar(f["nr_devices"], "<I") or t.scalar(f["nr_devices_short"], "<h"),
        module_kept_var_idx=tuple(t.numbers(f["module_kept_var_idx"], "<H")),
        uses_global_constants=bool(t.scalar(f["uses_global_constants"], "<B")),
        disabled_checks=tuple(range(len(t.tables(f["disabled_checks"])))),
        serialization_version=t.scalar(f["serialization_version"], "<H"),
    )
    vjp = t.table(f["vjp"])
    if vjp is not None:
        try:
            r.vjp = _read_exported(vjp, depth + 1)
        except ValueError:      # a vjp mlax cannot hold (float0 cotangents): the function
            r.vjp = None        # itself still runs
    if tree_num_leaves(r.in_tree) != len(r.in_avals) or \
            tree_num_leaves(r.out_tree) != len(r.out_avals):
        raise _Corrupt("its pytree structures and avals disagree on the number of leaves")
    if any(i >= len(r.in_avals) for i in r.module_kept_var_idx):
        raise _Corrupt("an index of a kept argument is out of range")
    return r


def _read_aval(t: _Table, name) -> tuple:
    if t.scalar(AVAL["kind"], "<b") != AVAL_SHAPED_ARRAY:
        raise ValueError(f"the serialized Exported {name!r} has a non-array argument or "
                         "result (a token), which mlax does not run")
    kind = t.scalar(AVAL["dtype"], "<b")
    if kind not in DTYPE_OF_KIND:
        what = OTHER_DTYPES.get(kind)
        if what is None:
            raise _Corrupt(f"unknown element type {kind}")
        raise ValueError(f"the serialized Exported {name!r} has a value of type {what}, "
                         "which mlax arrays cannot hold")
    dims = t.strings(AVAL["shape"])
    if not all(d.isdigit() for d in dims):
        raise ValueError(f"the serialized Exported {name!r} has a symbolic shape "
                         f"({', '.join(dims)}): mlax runs exports of static shapes only; "
                         "export with concrete shapes")
    return tuple(int(d) for d in dims), DTYPE_OF_KIND[kind]


def _read_tree(t: _Table, depth):
    if depth > MAX_DEPTH:
        raise _Corrupt(f"its pytree is nested more than {MAX_DEPTH} deep")
    kind = t.scalar(PYTREE["kind"], "<b")
    kids = [_read_tree(c, depth + 1) for c in t.tables(PYTREE["children"])]
    if kind == PYTREE_KINDS["leaf"]:
        return "*"
    if kind == PYTREE_KINDS["none"]:
        return None
    if kind == PYTREE_KINDS["tuple"]:
        return {"tuple": kids}
    if kind == PYTREE_KINDS["list"]:
        return {"list": kids}
    if kind == PYTREE_KINDS["dict"]:
        names = t.strings(PYTREE["children_names"])
        if len(names) != len(kids):
            raise _Corrupt("a dict node has not one name per child")
        return {"dict": [[k, c] for k, c in zip(names, kids)]}
    if kind == PYTREE_KINDS["custom"]:
        raise ValueError(f"the serialized Exported holds a custom pytree node "
                         f"{t.string(PYTREE['custom_name'])!r}, which mlax cannot rebuild")
    raise _Corrupt(f"unknown pytree node kind {kind}")
