"""Argument specs of `mlax-compile` (mlax.tools.driver): `f32[20,10]`, `i32[]`, pytrees of
them in Python syntax, static values, and the arguments of one entry point."""
from __future__ import annotations

import ast

import numpy as np

from mlax.dialects import MAX_BYTES, shape_problem
from mlax.stages import ShapeDtypeStruct


_DTYPES = {
    "bool": "bool", "pred": "bool", "i1": "bool",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
}
_DTYPES.update({v: v for v in set(_DTYPES.values())})


class SpecError(Exception):
    def __init__(self, message, text, pos):
        super().__init__(message)
        self.text, self.pos = text, pos

    def render(self, what="argument spec") -> str:
        return (f"mlax-compile: error: bad {what} '{self.text}': {self}\n"
                f"  {self.text}\n  {' ' * self.pos}^\n")


# The deepest pytree an argument spec (or --args-json) may nest, far within Python's
# recursion limit.
MAX_SPEC_NESTING = 100


class _SpecParser:
    """Recursive descent over `f32[2,3]`, `(a, b)`, `[a, b]`, `{"k": a}`, `None`."""

    def __init__(self, text):
        self.text, self.pos = text, 0
        self.depth = 0

    def error(self, msg, pos=None):
        raise SpecError(msg, self.text, self.pos if pos is None else pos)

    def ws(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self):
        self.ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch):
        if self.peek() != ch:
            self.error(f"expected '{ch}'" + (f", found '{self.peek()}'" if self.peek() else
                                             " at the end"))
        self.pos += 1

    def word(self):
        self.ws()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                             or self.text[self.pos] == "_"):
            self.pos += 1
        return self.text[start:self.pos], start

    def parse(self):
        v = self.value()
        if self.peek():
            self.error(f"unexpected '{self.peek()}'")
        return v

    def value(self):
        c = self.peek()
        if c and c in "([{":
            self.depth += 1
            if self.depth > MAX_SPEC_NESTING:
                self.error(f"nested more than {MAX_SPEC_NESTING} deep")
            try:
                return self.container(c)
            finally:
                self.depth -= 1
        return self.leaf(c)

    def container(self, c):
        if c == "(":
            items, trailing = self.sequence("(", ")")
            return items[0] if len(items) == 1 and not trailing else tuple(items)
        if c == "[":
            return self.sequence("[", "]")[0]
        return self.mapping()

    def leaf(self, c):
        if not c:
            self.error("expected a spec such as f32[2,3]")
        w, start = self.word()
        if not w:
            self.error(f"unexpected '{c}'")
        if w == "None":
            return None
        if w not in _DTYPES:
            self.error(f"unknown dtype '{w}' (dtypes: bool, i8, i16, i32, i64, u8, u16, u32, "
                       "u64, f16, bf16, f32, f64)", start)
        shape = []
        if self.peek() == "[":
            self.pos += 1
            if self.peek() != "]":
                while True:
                    d, dpos = self.word()
                    if not (d.isascii() and d.isdigit()):
                        self.error("expected a non-negative integer dimension", dpos)
                    if int(d) > MAX_BYTES:
                        self.error(f"dimension {d} does not fit in int64", dpos)
                    shape.append(int(d))
                    if self.peek() == ",":
                        self.pos += 1
                        continue
                    break
            self.expect("]")
        dtype = np.dtype(_DTYPES[w])
        why = shape_problem(shape, dtype.itemsize)
        if why is not None:
            self.error(why, start)
        return ShapeDtypeStruct(tuple(shape), dtype)

    def sequence(self, open_, close):
        self.expect(open_)
        items, trailing = [], False
        while self.peek() != close:
            items.append(self.value())
            trailing = False
            if self.peek() == ",":
                self.pos += 1
                trailing = True
            elif self.peek() != close:
                self.error(f"expected ',' or '{close}'")
        self.expect(close)
        return items, trailing

    def mapping(self):
        self.expect("{")
        out = {}
        while self.peek() != "}":
            c = self.peek()
            if c in "\"'":
                end = self.text.find(c, self.pos + 1)
                if end < 0:
                    self.error("unterminated string")
                key = self.text[self.pos + 1:end]
                self.pos = end + 1
            else:
                key, kpos = self.word()
                if not key:
                    self.error("expected a dict key")
                if key.isdigit():
                    key = int(key)
            self.expect(":")
            out[key] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                self.error("expected ',' or '}'")
        self.expect("}")
        return out


def parse_spec(text: str):
    """An argument spec -> a pytree of ShapeDtypeStructs (raises SpecError)."""
    return _SpecParser(text).parse()


def _static_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return text


class FunctionArgs:
    """The arguments of one entry point: positional and keyword specs, static values."""

    def __init__(self, name=None):
        self.name = name
        self.args: list = []         # spec texts, in order
        self.kwargs: dict = {}       # name -> spec text
        self.static: dict = {}       # name or position -> value
        self.args_json = None

    def empty(self):
        return not (self.args or self.kwargs or self.static or self.args_json)
