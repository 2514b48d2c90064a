"""mlax.experimental.checkify against JAX's: the same functions, checkified with each set of
error categories, under jit and vmap, give the same messages; eager checks raise, checks
staged without checkify are JAX's error, and checks inside control flow are a named
NotImplementedError."""
import numpy as np
import pytest

import mlax
from mlax import numpy as mnp
from mlax.experimental import checkify as mck

jax = pytest.importorskip("jax")
jnp = jax.numpy
from jax.experimental import checkify as jck  # noqa: E402


def body(np_, ck):
    def f(x, i):
        ck.check(x[0] > 0, "x must be positive, got {}", x[0])
        y = np_.sin(x) / x[1]
        z = np_.log(x)
        return x[i] + y.sum() + z.sum()
    return f


CATEGORIES = ["user_checks", "nan_checks", "div_checks", "index_checks", "float_checks",
              "automatic_checks", "all_checks"]
INPUTS = [([1., 2., 3.], 1), ([-1., 2., 3.], 1), ([1., 0., 3.], 1), ([1., 2., 3.], 5),
          ([-1., 0., 3.], -7)]


@pytest.mark.parametrize("category", CATEGORIES)
def test_messages_match_jax_under_jit(category):
    mf = mlax.jit(mck.checkify(body(mnp, mck), errors=getattr(mck, category)))
    jf = jax.jit(jck.checkify(body(jnp, jck), errors=getattr(jck, category)))
    for x, i in INPUTS:
        merr, mout = mf(mnp.asarray(x, np.float32), i)
        jerr, jout = jf(jnp.asarray(x, np.float32), i)
        assert merr.get() == jerr.get(), (x, i)
        np.testing.assert_allclose(np.asarray(mout), np.asarray(jout), rtol=1e-6)


def test_eager_nested_jit_and_vmap():
    x = np.array([[1., 2., 3.], [-2., 1., 1.]], np.float32)
    i = np.array([0, 1])
    for wrap_m, wrap_j in ((lambda f: f, lambda f: f), (mlax.jit, jax.jit)):
        merr, _ = mck.checkify(wrap_m(body(mnp, mck)), errors=mck.all_checks)(mnp.asarray(x[0]), 7)
        jerr, _ = jck.checkify(wrap_j(body(jnp, jck)), errors=jck.all_checks)(jnp.asarray(x[0]), 7)
        assert merr.get() == jerr.get() and "index 7" in merr.get()
    merr, _ = mlax.vmap(mck.checkify(body(mnp, mck)))(x, i)
    jerr, _ = jax.vmap(jck.checkify(body(jnp, jck)))(x, i)
    assert merr.get() == jerr.get() == \
        "at mapped index 1: x must be positive, got -2.0 (`check` failed)"
    assert mck.checkify(body(mnp, mck))(mnp.asarray(x[0]), 0)[0].get() is None
    with pytest.raises(TypeError, match="scalar pred"):
        mck.check(np.ones(2) > 0, "not scalar")
    assert str(mck.init_error) == "Error(None)"


def test_throw_check_error_and_unfunctionalized_checks():
    err, _ = mck.checkify(body(mnp, mck))(mnp.array([-1., 2., 3.]), 0)
    with pytest.raises(mck.JaxRuntimeError, match=r"got -1.0 \(`check` failed\)") as info:
        err.throw()
    assert "test_checkify.py" in str(info.value)          # the check's source line
    assert issubclass(mck.JaxRuntimeError, ValueError)
    with pytest.raises(mck.JaxRuntimeError, match="eager 3"):
        mck.check(mnp.array(False), "eager {x}", x=mnp.array(3))
    mck.check(mnp.array(True), "fine")
    with pytest.raises(TypeError, match="PyTrees of arrays"):
        mck.check(False, "eager {x}", x=3)
    with pytest.raises(ValueError, match="not functionalized"):
        mlax.jit(lambda x: mck.check(x > 0, "bad"))(1.)
    mlax.jit(lambda x: mck.debug_check(x > 0, "dropped"))(-1.)

    def relay(x):
        mck.check_error(err)
        return x
    assert mck.checkify(relay)(1.)[0].get() == err.get()
    with pytest.raises(mck.JaxRuntimeError):
        mck.check_error(err)


def test_checks_inside_control_flow_are_named_errors():
    def f(xs):
        def step(c, a):
            mck.check(a > 0, "pos")
            return c + a, None
        return mlax.lax.scan(step, 0., xs)[0]
    with pytest.raises(NotImplementedError, match="inside lax control flow"):
        mck.checkify(f)(mnp.ones(2))


def test_rule_table_is_keyed_by_op_name():
    from mlax.dialects.ops import OPS
    assert set(mck.CHECKS) <= set(OPS)
    assert [c for c, _ in mck.CHECKS["mlax.div"]] == [mck.DivisionByZeroError, mck.NaNError]
