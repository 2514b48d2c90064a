"""Structural ops: transforms, control flow and custom derivatives as annotated functions.

IRDL in MLIR 22 gives every element of a variadic operand group one type, so an op whose
operands mix types (`grad` of a function of a matrix and a vector, `cond` over a tuple of
state) cannot be an IRDL op. mlax writes such an op as a private `func.func` declaration
carrying one `mlax.<kind>` dictionary attribute, called with `func.call`:

    func.func private @grad_f(tensor<3xf32>) -> tensor<3xf32>
        attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
    ...
    %g = func.call @grad_f(%x) : (tensor<3xf32>) -> tensor<3xf32>

The call site is the op; the declaration is its definition. A pass that expands a kind
(`--mlax-grad`, `--mlax-vmap`, the lowering of `cond`) gives the declaration a body, after
which it is an ordinary function that the inliner can inline. Transforms nest as functions
do: `vmap(grad(f))` is a declaration whose callee is another declaration.

Each kind is one frozen dataclass below (`Grad`, `Vmap`, `Scan`, ...): its fields are the
dictionary's entries, named and typed, and the one place that says how each is encoded
(ENTRY_TYPES). Code that makes a declaration builds the dataclass and calls `declare`;
code that reads one calls `read(fn)`. A declaration whose dictionary lacks an entry, has
one of the wrong type, or one its kind does not have is a `DeclarationError`, which
`--mlax-verify` reports at the declaration.
"""
from __future__ import annotations

import dataclasses
import functools
import typing
from typing import ClassVar

from mlir import ir
from mlir.dialects import func


class DeclarationError(ValueError):
    """A structural declaration whose entries do not fit its kind."""


# ---------------------------------------------------------------------------------------
# Entry types: how each Python type of a field is written as an attribute


def _is_symbol(a) -> bool:
    return isinstance(a, ir.FlatSymbolRefAttr)


def _is_int(a) -> bool:
    return isinstance(a, ir.IntegerAttr)   # i1 attributes are BoolAttrs, not IntegerAttrs


@dataclasses.dataclass(frozen=True)
class EntryType:
    """How entries of one Python type are written: a short name and the attribute syntax
    (for docs and messages), a test of an attribute, and the conversions both ways."""
    name: str
    syntax: str
    fits: typing.Callable
    to_attr: typing.Callable
    from_attr: typing.Callable


Name = typing.NewType("Name", str)
"""A field holding a plain string (an axis name), written as a string attribute."""

# Field annotation -> its EntryType.
ENTRY_TYPES = {
    Name: EntryType(
        "string", "a string (`\"i\"`)", lambda a: isinstance(a, ir.StringAttr),
        lambda v: ir.StringAttr.get(v),
        lambda a: ir.StringAttr(a).value),
    str: EntryType(
        "symbol", "a symbol (`@f`)", _is_symbol,
        lambda v: ir.FlatSymbolRefAttr.get(v),
        lambda a: a.value),
    tuple[str, ...]: EntryType(
        "symbols", "an array of symbols (`[@f, @g]`)",
        lambda a: isinstance(a, ir.ArrayAttr) and all(_is_symbol(x) for x in a),
        lambda v: ir.ArrayAttr.get([ir.FlatSymbolRefAttr.get(s) for s in v]),
        lambda a: tuple(x.value for x in a)),
    int: EntryType(
        "i64", "an integer (`3 : i64`)", _is_int,
        lambda v: ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(v)),
        lambda a: int(a.value)),
    tuple[int, ...]: EntryType(
        "i64 array", "an i64 array (`array<i64: 0, 1>`)",
        lambda a: isinstance(a, ir.DenseI64ArrayAttr),
        lambda v: ir.DenseI64ArrayAttr.get([int(x) for x in v]),
        lambda a: tuple(int(x) for x in a)),
    bool: EntryType(
        "bool", "a bool (`true`, `false`)", lambda a: isinstance(a, ir.BoolAttr),
        lambda v: ir.BoolAttr.get(bool(v)),
        lambda a: bool(a.value)),
}


# ---------------------------------------------------------------------------------------
# The kinds


@dataclasses.dataclass(frozen=True)
class Declaration:
    """Base of the kinds. `kind` names the `mlax.<kind>` attribute; `signature` documents
    the declaration's operands and results."""
    kind: ClassVar[str]
    signature: ClassVar[str]

    @classmethod
    @functools.cache
    def entries(cls) -> tuple[tuple[str, EntryType, object], ...]:
        """(name, EntryType, default or MISSING) of each entry, in field order."""
        hints = typing.get_type_hints(cls)
        return tuple((f.name, ENTRY_TYPES[hints[f.name]], f.default)
                     for f in dataclasses.fields(cls))

    def to_attr(self) -> ir.DictAttr:
        """The `mlax.<kind>` dictionary (in the current Context); an entry at its default
        value is left out."""
        return ir.DictAttr.get({name: t.to_attr(getattr(self, name))
                                for name, t, default in self.entries()
                                if getattr(self, name) != default})

    @classmethod
    def from_attr(cls, attr: ir.Attribute):
        """The declaration of a `mlax.<kind>` dictionary; DeclarationError when it does not fit."""
        if not isinstance(attr, ir.DictAttr):
            raise DeclarationError(f"mlax.{cls.kind} must be a dictionary, got {attr}")
        given = {a.name: a.attr for a in attr}
        values = {}
        for name, t, default in cls.entries():
            if name not in given:
                if default is dataclasses.MISSING:
                    raise DeclarationError(f"mlax.{cls.kind} declaration lacks entry '{name}', "
                                           f"{t.syntax}")
                continue
            a = given.pop(name)
            if not t.fits(a):
                raise DeclarationError(f"mlax.{cls.kind} declaration: entry '{name}' must be "
                                       f"{t.syntax}, got {a}")
            values[name] = t.from_attr(a)
        if given:
            names = ", ".join(name for name, _, _ in cls.entries())
            raise DeclarationError(f"mlax.{cls.kind} declaration has no entry "
                                   f"'{sorted(given)[0]}' (its entries: {names})")
        decl = cls(**values)
        problem = decl.problem()
        if problem is not None:
            raise DeclarationError(f"mlax.{cls.kind} declaration: {problem}")
        return decl

    def problem(self) -> str | None:
        """What is wrong with the entries' values, beyond their types (None: nothing)."""
        return None

    @classmethod
    def doc(cls) -> str:
        """One line for docs/dialect.md: the entries, what the kind is, its signature."""
        entries = ", ".join(
            f"{name}: {t.name}" + ("" if d is dataclasses.MISSING else f" = {d!r}" if
                                   isinstance(d, str) else f" = {str(d).lower()}")
            for name, t, d in cls.entries())
        what = " ".join(cls.__doc__.split())
        return f"{{{entries}}}: {what} {cls.signature}"

    def symbols(self) -> list[str]:
        """The functions this declaration names (callee, branches, bodies, rules)."""
        out = []
        for name, t, _ in self.entries():
            v = getattr(self, name)
            if t is ENTRY_TYPES[str]:
                out.append(v)
            elif t is ENTRY_TYPES[tuple[str, ...]]:
                out.extend(v)
        return out

    def declare(self, module: ir.Module, name: str, arg_types, result_types,
                loc=None) -> func.FuncOp:
        """Add a private declaration `name` of this kind at the end of `module` (or of
        the block `module`, a module's body)."""
        block = module.body if isinstance(module, ir.Module) else module
        with ir.InsertionPoint(block), loc or ir.Location.unknown():
            fn = func.FuncOp(name, (list(arg_types), list(result_types)), visibility="private")
            fn.attributes["mlax." + self.kind] = self.to_attr()
        return fn


def _argnums_problem(argnums) -> str | None:
    if list(argnums) != sorted(set(argnums)) or any(i < 0 for i in argnums):
        return f"argnums {list(argnums)} must be increasing and non-negative"
    return None


def _count_problem(decl, names) -> str | None:
    for name in names:
        if getattr(decl, name) < 0:
            return f"{name} is {getattr(decl, name)}; it counts, and must be >= 0"
    return None


@dataclasses.dataclass(frozen=True)
class Jvp(Declaration):
    """Forward-mode derivative of `callee` with respect to the `argnums` operands."""
    kind = "jvp"
    signature = ("(operands..., tangents of the argnums operands...) -> "
                 "(results..., a tangent per result...)")
    callee: str
    argnums: tuple[int, ...]

    def problem(self):
        return _argnums_problem(self.argnums)


@dataclasses.dataclass(frozen=True)
class Vjp(Declaration):
    """Reverse-mode derivative of `callee`: cotangents of the `argnums` operands."""
    kind = "vjp"
    signature = ("(operands..., a cotangent per result...) -> "
                 "(cotangents of the argnums operands...)")
    callee: str
    argnums: tuple[int, ...]

    def problem(self):
        return _argnums_problem(self.argnums)


@dataclasses.dataclass(frozen=True)
class Grad(Declaration):
    """Gradient of `callee`'s result 0 (a real scalar) with respect to the `argnums`
    operands; `has_aux`: results 1.. are aux, not differentiated; `value`: value_and_grad."""
    kind = "grad"
    signature = ("(operands...) -> ([result 0 if value], [results 1.. if has_aux], "
                 "gradients of the argnums operands...)")
    callee: str
    argnums: tuple[int, ...]
    has_aux: bool = False
    value: bool = False

    def problem(self):
        return _argnums_problem(self.argnums)


@dataclasses.dataclass(frozen=True)
class Vmap(Declaration):
    """`callee` mapped over a batch of `axis_size`: `in_axes` / `out_axes` give the batch
    axis of each operand / result (-1: not batched; a result must then not depend on a
    batched operand). `axis_name`, when not empty, names the mapped axis for the
    mlax.collective ops of the callee that refer to it."""
    kind = "vmap"
    signature = "(operands, batched per in_axes...) -> (results, batched per out_axes...)"
    callee: str
    in_axes: tuple[int, ...]
    out_axes: tuple[int, ...]
    axis_size: int
    axis_name: Name = ""

    def problem(self):
        for what, axes in (("in_axes", self.in_axes), ("out_axes", self.out_axes)):
            if any(a < -1 for a in axes):
                return f"{what} {list(axes)}: an axis is >= 0, or -1 for not batched"
        return _count_problem(self, ["axis_size"])


@dataclasses.dataclass(frozen=True)
class Cond(Declaration):
    """`branches[index](args...)`; every branch maps args -> results."""
    kind = "cond"
    signature = "(index: tensor<i32> in [0, n), args...) -> results"
    branches: tuple[str, ...]

    def problem(self):
        return None if self.branches else "branches is empty"


@dataclasses.dataclass(frozen=True)
class While(Declaration):
    """`while cond(state, consts): state = body(state, consts)`."""
    kind = "while"
    signature = ("(state..., consts[num_consts]...) -> state; cond(state..., consts...) -> "
                 "tensor<i1>, body(state..., consts...) -> state")
    cond: str
    body: str
    num_consts: int

    def problem(self):
        return _count_problem(self, ["num_consts"])


@dataclasses.dataclass(frozen=True)
class Scan(Declaration):
    """`carry, y_i = body(carry, xs[i], consts)` for i in [0, length) (backwards when
    `reverse`); the ys are stacked."""
    kind = "scan"
    signature = ("(carry[num_carry]..., xs... of leading dim length, consts[num_consts]...) "
                 "-> (carry..., ys...); body(carry..., x slices..., consts...) -> "
                 "(carry..., y slices...)")
    body: str
    length: int
    reverse: bool
    num_carry: int
    num_consts: int

    def problem(self):
        return _count_problem(self, ["length", "num_carry", "num_consts"])


@dataclasses.dataclass(frozen=True)
class CustomJvp(Declaration):
    """`callee` (the primal function) with the user's forward-mode rule `jvp`."""
    kind = "custom_jvp"
    signature = ("(args[num_args]..., callee consts[num_callee_consts]..., jvp consts...) -> "
                 "results of callee; jvp(args..., tangents of args..., jvp consts...) -> "
                 "(results..., tangents...)")
    callee: str
    jvp: str
    num_args: int
    num_callee_consts: int

    def problem(self):
        return _count_problem(self, ["num_args", "num_callee_consts"])


@dataclasses.dataclass(frozen=True)
class CustomVjp(Declaration):
    """`callee` (the primal function) with the user's reverse-mode rule: `fwd` returns the
    results and `num_res` residuals, `bwd` maps residuals and cotangents to cotangents."""
    kind = "custom_vjp"
    signature = ("(args[num_args]..., callee consts[num_callee_consts]..., fwd "
                 "consts[num_fwd_consts]..., bwd consts...) -> results of callee; "
                 "fwd(args..., fwd consts...) -> (results..., residuals[num_res]...); "
                 "bwd(residuals..., a cotangent per result..., bwd consts...) -> "
                 "(cotangents of args...)")
    callee: str
    fwd: str
    bwd: str
    num_args: int
    num_callee_consts: int
    num_fwd_consts: int
    num_res: int

    def problem(self):
        return _count_problem(self, ["num_args", "num_callee_consts", "num_fwd_consts",
                                     "num_res"])


# kind -> its dataclass.
KINDS: dict[str, type[Declaration]] = {
    cls.kind: cls for cls in (Jvp, Vjp, Grad, Vmap, Cond, While, Scan, CustomJvp, CustomVjp)}


# ---------------------------------------------------------------------------------------
# Reading declarations


def kind_of(fn) -> str | None:
    """The structural kind of a func.func declaration, or None for an ordinary function."""
    attrs = fn.attributes
    for kind in KINDS:
        if "mlax." + kind in attrs:
            return kind
    return None


def read(fn) -> Declaration | None:
    """The declaration a func.func carries (None for an ordinary function); a
    DeclarationError when its entries do not fit its kind (`--mlax-verify` reports it at
    the declaration, so later passes read declarations that fit)."""
    kind = kind_of(fn)
    if kind is None:
        return None
    return KINDS[kind].from_attr(fn.attributes["mlax." + kind])


def undeclare(fn):
    """Drop the `mlax.<kind>` attribute of a declaration given a body: it becomes an
    ordinary function."""
    del fn.attributes["mlax." + kind_of(fn)]


def callee_of(call_op) -> str:
    return ir.FlatSymbolRefAttr(call_op.attributes["callee"]).value
