# Source: JAX design note "Design of Type Promotion Semantics for JAX" (JEP 9407) and the
#   "Type promotion semantics" reference table
#   https://docs.jax.dev/en/latest/jep/9407-type-promotion.html
#   https://docs.jax.dev/en/latest/type_promotion.html
# Changed: the table is computed (result dtype of x + y for each pair, and with weakly-typed
# Python scalars) and reported instead of displayed; 64-bit types are left out (x64 is off).
import jax.numpy as jnp
import numpy as np

from _report import report

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
    report(f"{a} + Python scalars",
           {name: str((jnp.zeros(2, a) + s).dtype) for name, s in scalars.items()})
report("weak scalar result is weak", str((jnp.float16(1) * 2.0).dtype))
report("int8 + int8 array", str((jnp.int8(1) + jnp.array(100, jnp.int8)).dtype))
report("jnp.array(1.0) dtype", str(jnp.array(1.0).dtype))
report("jnp.array(1) dtype", str(jnp.array(1).dtype))
report("jnp.array(np.float64) dtype", str(jnp.array(np.float64(1.0)).dtype))
report("jnp.asarray(np array int64)", str(jnp.asarray(np.arange(3)).dtype))
report("result_type", str(jnp.result_type(jnp.int8, jnp.uint8)))
report("promote_types", str(jnp.promote_types(jnp.int16, jnp.float16)))
report("true divide of ints", str((jnp.arange(3) / 2).dtype))
report("floor divide of ints", jnp.arange(7) // 2)
report("int ** negative float", jnp.array([2, 4]) ** -1.0)
report("mean of ints", jnp.mean(jnp.arange(4)))
report("sum of bools", jnp.sum(jnp.array([True, True, False])))
report("sum of int8", jnp.sum(jnp.ones(300, jnp.int8)))
report("cumsum of uint8 dtype", str(jnp.cumsum(jnp.ones(3, jnp.uint8)).dtype))
report("astype float16", jnp.arange(3).astype(jnp.float16))
report("bfloat16 + float16", str((jnp.zeros(2, jnp.bfloat16) + jnp.zeros(2, jnp.float16)).dtype))
report("bfloat16 + int8", str((jnp.zeros(2, jnp.bfloat16) + jnp.zeros(2, jnp.int8)).dtype))
report("complex64 + float32", str((jnp.zeros(2, jnp.complex64) + jnp.zeros(2, jnp.float32)).dtype))
report("float32 + 1j", str((jnp.zeros(2, jnp.float32) + 1j).dtype))
