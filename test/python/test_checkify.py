"""mlax.experimental.checkify against JAX's: the same functions, checkified with each set of
error categories, under jit and vmap, give the same messages; eager checks raise, checks
staged without checkify are JAX's error, checks inside control flow (a while_loop's cond_fun
too) and inside the functions of grad / jvp / vjp give JAX's errors."""
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


def control_flow(np_, lax, ck):
    """Functions making checks inside cond, switch, scan, while_loop, fori_loop, nested."""
    def in_cond(x, p):
        def t(x):
            ck.check(x[0] > 0, "true branch: x[0]={}", x[0])
            return x * 2
        def f(x):
            ck.check(x[1] > 0, "false branch: x[1]={}", x[1])
            return np_.log(x)
        return lax.cond(p, t, f, x)

    def in_switch(x, p):
        def big(x):
            ck.check(x.sum() < 10, "sum {} too big", x.sum())
            return x + 1
        return lax.switch(np_.where(p, 1, 2), [lambda x: x, big, np_.sqrt], x)

    def in_scan(x, p):
        def body(c, xi):
            ck.check(xi < 3, "element {} at carry {}", xi, c)
            return c + xi, np_.log(xi)
        return lax.scan(body, 0., x)

    def in_reverse_scan(x, p):
        def body(c, xi):
            ck.check(xi < 3, "element {}", xi)
            return c + xi, np_.log(xi)
        return lax.scan(body, 0., x, reverse=True)

    def in_while(x, p):
        def body(s):
            i, acc = s
            ck.check(acc < 4, "acc {} at i={}", acc, i)
            return i + 1, acc + x[i]
        return lax.while_loop(lambda s: s[0] < 3, body, (0, 0.))

    def in_fori(x, p):
        def body(i, acc):
            ck.check(x[i] != 2, "x[{}] is 2", i)
            return acc / x[i]
        return lax.fori_loop(0, 3, body, 1.0)

    def nested(x, p):
        def outer(c, xi):
            inner = lax.cond(xi > 1, lambda v: (ck.check(v < 3, "nested {}", v), v)[1],
                             lambda v: v, xi)
            return inner + c, None
        return lax.scan(outer, 0., x)[0]
    return [in_cond, in_switch, in_scan, in_reverse_scan, in_while, in_fori, nested]


FLOW_INPUTS = [([1., 2., 3.], True), ([-1., 2., 3.], True), ([1., -2., 3.], False),
               ([1., 0., 3.], False), ([4., 5., 6.], True), ([0.5, 5., 2.], False)]


@pytest.mark.parametrize("k", range(7), ids=["cond", "switch", "scan", "reverse scan",
                                             "while_loop", "fori_loop", "scan of cond"])
def test_checks_inside_control_flow_match_jax(k):
    mf = control_flow(mnp, mlax.lax, mck)[k]
    jf = control_flow(jnp, jax.lax, jck)[k]
    for errors in ("user_checks", "all_checks"):
        mc = mlax.jit(mck.checkify(mf, errors=getattr(mck, errors)))
        jc = jax.jit(jck.checkify(jf, errors=getattr(jck, errors)))
        for x, p in FLOW_INPUTS:
            merr, mout = mc(mnp.asarray(x, np.float32), p)
            jerr, jout = jc(jnp.asarray(x, np.float32), p)
            assert merr.get() == jerr.get(), (errors, x, p)
            for m, j in zip(mlax.tree_util.tree_leaves(mout), jax.tree_util.tree_leaves(jout)):
                np.testing.assert_allclose(np.asarray(m), np.asarray(j), rtol=1e-6)
    xs = np.array([[1., 2., 3.], [-1., 2., 3.], [4., 5., 6.]], np.float32)
    merr, _ = mlax.vmap(mck.checkify(mf, errors=mck.all_checks), in_axes=(0, None))(xs, True)
    jerr, _ = jax.vmap(jck.checkify(jf, errors=jck.all_checks), in_axes=(0, None))(xs, True)
    assert merr.get() == jerr.get()


def vmapped(np_, jax_, ck):
    def g(x, i):
        ck.check(x > 0, "x must be positive, got {}", x)
        y = np_.log(x - 1)
        ck.check(x < 5, "x too big: {}", x)
        return y + np_.arange(3.)[i]
    return jax_.vmap(g)


@pytest.mark.parametrize("errors", ["user_checks", "all_checks"])
def test_checks_inside_vmap_match_jax(errors):
    """Each check made under vmap reports the last member where it failed; a failed user
    check wins over an automatic one, whichever came first (JAX numbers user checks at
    trace time)."""
    mc = mck.checkify(vmapped(mnp, mlax, mck), errors=getattr(mck, errors))
    jc = jck.checkify(vmapped(jnp, jax, jck), errors=getattr(jck, errors))
    i = np.array([0, 2, 1], np.int32)
    for x in ([1.5, -2., 3.], [-1., -2., 3.], [0.5, 2., 7.], [6., 7., 3.], [2., 3., 4.],
              [-1., 9., 0.5]):
        mx, jx = mnp.asarray(x, np.float32), jnp.asarray(x, np.float32)
        mi, ji = mnp.asarray(i), jnp.asarray(i)
        assert mc(mx, mi)[0].get() == jc(jx, ji)[0].get(), x
        assert mlax.jit(mc)(mx, mi)[0].get() == jax.jit(jc)(jx, ji)[0].get(), x


def test_user_checks_win_over_automatic_ones_as_in_jax():
    def f(np_, ck):
        def g(x):
            y = np_.log(x)
            ck.check(x > 0, "user {}", x)
            return y
        return g
    for wrap_m, wrap_j in ((lambda f: f, lambda f: f), (mlax.jit, jax.jit)):
        merr = wrap_m(mck.checkify(f(mnp, mck), errors=mck.all_checks))(mnp.float32(-1.))[0]
        jerr = wrap_j(jck.checkify(f(jnp, jck), errors=jck.all_checks))(jnp.float32(-1.))[0]
        assert merr.get() == jerr.get() == "user -1.0 (`check` failed)"


def autodiff(jax_, np_, ck):
    """Functions differentiated inside the checkified one: a user check and the automatic
    checks of their primal computation."""
    def f(x):
        ck.check(x > 0, "x must be positive, got {}", x)
        return np_.log(x + 2.0) * x

    def f_aux(x):
        return f(x), x * 2
    return {
        "grad": lambda x: jax_.grad(f)(x),
        "value_and_grad": lambda x: jax_.value_and_grad(f)(x),
        "grad has_aux": lambda x: jax_.grad(f_aux, has_aux=True)(x),
        "jvp": lambda x: jax_.jvp(f, (x,), (1.0,)),
        "vjp": lambda x: jax_.vjp(f, x)[0],
        "vjp pullback": lambda x: jax_.vjp(f, x)[1](1.0),
        "grad of grad": lambda x: jax_.grad(jax_.grad(f))(x),
    }


@pytest.mark.parametrize("name", list(autodiff(mlax, mnp, mck)))
@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_checks_inside_autodiff_match_jax(name, jit):
    """Tests that checks in a function of grad / jvp / vjp within checkify report the
    primal computation's failures, as JAX's."""
    mf = mck.checkify(autodiff(mlax, mnp, mck)[name], errors=mck.all_checks)
    jf = jck.checkify(autodiff(jax, jnp, jck)[name], errors=jck.all_checks)
    if jit:
        mf, jf = mlax.jit(mf), jax.jit(jf)
    for x in (1.0, -1.0, -3.0):
        (merr, mout), (jerr, jout) = mf(np.float32(x)), jf(np.float32(x))
        assert merr.get() == jerr.get(), x
        for m, j in zip(mlax.tree_util.tree_leaves(mout), jax.tree_util.tree_leaves(jout)):
            np.testing.assert_allclose(np.asarray(m), np.asarray(j), rtol=1e-6)


def mapped_branches(jax_, np_, ck):
    """vmap of a cond / switch whose index depends on the mapped argument."""
    def on_true(v):
        ck.check(v > 0, "true branch: v must be positive, got {}", v)
        return np_.log(v)

    def on_false(v):
        ck.check(v < 10, "false branch: v too big {}", v)
        return v * 2
    return {
        "cond": jax_.vmap(lambda v: jax_.lax.cond(v > 2, on_true, on_false, v)),
        "switch": jax_.vmap(lambda v: jax_.lax.switch(
            (v > 0).astype(np.int32) + (v > 4).astype(np.int32), [on_true, on_false,
                                                                  lambda v: v + 1.], v)),
        "unmapped index": jax_.vmap(lambda v, p: jax_.lax.cond(p, on_true, on_false, v),
                                    in_axes=(0, None)),
    }


@pytest.mark.parametrize("name", ["cond", "switch", "unmapped index"])
@pytest.mark.parametrize("errors", ["user_checks", "float_checks", "all_checks"])
def test_checkify_of_vmapped_cond_reports_every_branch_as_jax(name, errors):
    """Tests that, in a checkified function, vmap of a cond or switch whose index is mapped
    reports the checks of every branch for every member (JAX's batching rule runs them
    all), and one whose index is not mapped those of the branch taken."""
    mf = mck.checkify(mapped_branches(mlax, mnp, mck)[name], errors=getattr(mck, errors))
    jf = jck.checkify(mapped_branches(jax, jnp, jck)[name], errors=getattr(jck, errors))
    extra = (True,) if name == "unmapped index" else ()
    for x in ([1., -2., 3.], [1., 12., 3.], [5., 20., -1.], [3., 4., 5.], [-1., 0.5, 6.]):
        x = np.asarray(x, np.float32)
        for wrap_m, wrap_j in ((lambda f: f, lambda f: f), (mlax.jit, jax.jit)):
            (merr, mout), (jerr, jout) = wrap_m(mf)(x, *extra), wrap_j(jf)(x, *extra)
            assert merr.get() == jerr.get(), (x, wrap_m)
            np.testing.assert_allclose(np.asarray(mout), np.asarray(jout), rtol=1e-6)


def while_checks(lax_, ck):
    def f(x):
        def cond(c):
            ck.check(c[0] != 6, "c hit six {}", c[0])
            return c[0] < 8
        def body(c):
            ck.check(c[1] < 2.0, "body {}", c[1])
            return c[0] + 3, c[1] + 1.0
        return lax_.while_loop(cond, body, (x, 0.0))
    return f


@pytest.mark.parametrize("x", [0, 1, 3, 9, 6])
@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_checks_in_while_cond_fun_match_jax(x, jit):
    """cond_fun's checks are made on the initial value and after each step, as JAX's."""
    mf, jf = mck.checkify(while_checks(mlax.lax, mck)), jck.checkify(while_checks(jax.lax, jck))
    if jit:
        mf, jf = mlax.jit(mf), jax.jit(jf)
    (merr, mout), (jerr, jout) = mf(x), jf(x)
    assert merr.get() == jerr.get()
    assert [np.asarray(v).item() for v in mout] == [np.asarray(v).item() for v in jout]


def test_rule_table_is_keyed_by_op_name():
    from mlax.dialects.ops import OPS
    assert set(mck.CHECKS) <= set(OPS)
    assert [c for c, _ in mck.CHECKS["mlax.div"]] == [mck.DivisionByZeroError, mck.NaNError]


@pytest.mark.parametrize("first", ["mlax.lax.checked_bodies", "mlax.ad"])
def test_checked_bodies_imports_first_in_a_fresh_process(first):
    """Importing the checkify machinery (or grad's, which uses it) first, in a fresh
    process, works: it lives in mlax.lax beside the control flow that uses it, so no
    import cycle runs through a partially initialized module (test_layers checks the
    graph)."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", f"import {first}, mlax.lax; print('ok')"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
