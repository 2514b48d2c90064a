"""`bind`: the one entry point of every primitive.

`bind("mlax.add", x, y)` emits an op when an operand is a Tracer (inside jit, grad, vmap,
make_ir) and otherwise runs the op at once through a compiled one-op function, cached per
op, attributes and operand types (mlax.eager): un-jitted code runs op by op, as in JAX.
"""
from __future__ import annotations

from mlax import core, eager, tracing

# Set inside `ensure_compile_time_eval()`: an op none of whose operands is traced runs now,
# even inside a trace, so its result is a known value (as in JAX).
compile_time_eval = False


def bind(name: str, *operands, **attrs):
    """Apply primitive `name`: emit it into the current trace, or run it now.

    Operands are Tracers, Arrays or NumPy arrays of the exact types the op requires (the
    numpy layer does broadcasting and promotion). Returns one value or a list when the op
    has several results."""
    trace = tracing.current()
    if compile_time_eval and not any(isinstance(o, tracing.Tracer) for o in operands):
        trace = None
    if trace is not None:
        outs = trace.emit(name, operands, attrs)
        frames = core.check_frames()
        if frames and frames[-1].builder is trace:
            frames[-1].observe(name, operands, attrs, outs)   # checkify's automatic checks
    else:
        outs = eager.run(name, operands, attrs)
    return outs[0] if len(outs) == 1 else outs
