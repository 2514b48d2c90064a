# Source: JAX design note "Design of Type Promotion Semantics for JAX" (JEP 9407) and the
#   "Type promotion semantics" reference table
#   https://docs.jax.dev/en/latest/jep/9407-type-promotion.html
#   https://docs.jax.dev/en/latest/type_promotion.html
# Changed: the table is computed (result dtype of x + y for each pair, and with weakly-typed
# Python scalars) and reported instead of displayed; 64-bit types are left out (x64 is off).
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax.numpy as jnp
import numpy as np

from _report import report, report_call

dtypes = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32",
          "float16", "float32"]
table = {}
for a in dtypes:
    row = {}
    for b in dtypes:
        row[b] = str((jnp.zeros(2, a) + jnp.zeros(2, b)).dtype)
    table[a] = row
report("promotion table", table)

scalars = {"int": 1, "float": 1.0, "bool": True}
for a in dtypes:
    report_call(f"{a} + Python scalars",
                lambda: {name: str((jnp.zeros(2, a) + s).dtype) for name, s in scalars.items()})
report_call("weak scalar result is weak", lambda: str((jnp.float16(1) * 2.0).dtype))
report_call("int8 + int8 array", lambda: str((jnp.int8(1) + jnp.array(100, jnp.int8)).dtype))
report_call("jnp.array(1.0) dtype", lambda: str(jnp.array(1.0).dtype))
report_call("jnp.array(1) dtype", lambda: str(jnp.array(1).dtype))
report_call("jnp.array(np.float64) dtype", lambda: str(jnp.array(np.float64(1.0)).dtype))
report_call("jnp.asarray(np array int64)", lambda: str(jnp.asarray(np.arange(3)).dtype))
report_call("result_type", lambda: str(jnp.result_type(jnp.int8, jnp.uint8)))
report_call("promote_types", lambda: str(jnp.promote_types(jnp.int16, jnp.float16)))
report_call("true divide of ints", lambda: str((jnp.arange(3) / 2).dtype))
report_call("floor divide of ints", lambda: jnp.arange(7) // 2)
report_call("int ** negative float", lambda: jnp.array([2, 4]) ** -1.0)
report_call("mean of ints", lambda: jnp.mean(jnp.arange(4)))
report_call("sum of bools", lambda: jnp.sum(jnp.array([True, True, False])))
report_call("sum of int8", lambda: jnp.sum(jnp.ones(300, jnp.int8)))
report_call("cumsum of uint8 dtype", lambda: str(jnp.cumsum(jnp.ones(3, jnp.uint8)).dtype))
report_call("astype float16", lambda: jnp.arange(3).astype(jnp.float16))
report_call("bfloat16 + float16",
            lambda: str((jnp.zeros(2, jnp.bfloat16) + jnp.zeros(2, jnp.float16)).dtype))
report_call("bfloat16 + int8",
            lambda: str((jnp.zeros(2, jnp.bfloat16) + jnp.zeros(2, jnp.int8)).dtype))
report_call("complex64 + float32",
            lambda: str((jnp.zeros(2, jnp.complex64) + jnp.zeros(2, jnp.float32)).dtype))
report_call("float32 + 1j", lambda: str((jnp.zeros(2, jnp.float32) + 1j).dtype))
