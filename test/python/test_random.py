"""mlax.random against JAX: bit-exact keys and bits, samplers' distributions, typed keys,
jit, and errors.

The reference vectors in test/data/random_reference.json were produced by JAX with
test/data/make_random_reference.py; each row there names its tolerance in ulps (0 for
keys, bits, randint, uniform over [0, 1), permutation and choice)."""
import collections
import json
import math
import os

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import random

DATA = os.path.join(os.path.dirname(__file__), os.pardir, "data", "random_reference.json")
with open(DATA) as f:
    REFERENCE = json.load(f)["cases"]


@pytest.fixture
def layout():
    """Sets jax_threefry_partitionable for one test, restoring JAX 0.10's default after."""
    def set_(value):
        mlax.config.update("jax_threefry_partitionable", value)
    yield set_
    mlax.config.update("jax_threefry_partitionable", True)


def _groups():
    groups = collections.OrderedDict()
    for c in REFERENCE:
        key = (c["fn"], json.dumps(c["kwargs"], sort_keys=True), c["typed"],
               c["partitionable"], c["x64"])
        groups.setdefault(key, []).append(c)
    params = []
    for (fn, kw, typed, part, x64), cs in groups.items():
        name = f"{fn}{'-typed' if typed else ''}-{kw}-{'part' if part else 'orig'}{'-x64' if x64 else ''}"
        params.append(pytest.param(cs, id=name))
    return params


def _ordered(bits, nbytes):
    """IEEE bit patterns -> integers ordered like the floats (for ulp distances)."""
    sign = 1 << (8 * nbytes - 1)
    return np.array([-(v & (sign - 1)) if v & sign else v
                     for v in (int(b) for b in np.asarray(bits).reshape(-1))], dtype=object)


def _call(case):
    kw = dict(case["kwargs"])
    seed = case["seed"]
    key = random.key(seed) if case["typed"] else random.PRNGKey(seed)
    fn = case["fn"]
    if fn in ("PRNGKey", "key"):
        out = key
    elif fn == "fold_in":
        out = random.fold_in(key, kw["data"])
    elif fn == "split":
        num = kw["num"]
        out = random.split(key, tuple(num) if isinstance(num, list) else num)
    else:
        if "shape" in kw:
            kw["shape"] = tuple(kw["shape"])
        out = getattr(random, fn)(key, **kw)
    if case["typed"] and fn in ("key", "split"):
        out = random.key_data(out)
    return np.asarray(out)


@pytest.mark.parametrize("cases", _groups())
def test_matches_jax_reference(cases, layout, request):
    c0 = cases[0]
    layout(c0["partitionable"])
    if c0["x64"]:
        request.getfixturevalue("x64")
    for case in cases:
        out = _call(case)
        assert out.dtype == np.dtype(case["dtype"]), case
        assert list(out.shape) == case["shape"], case
        want = np.array(case["bits"], dtype=np.int64 if out.dtype.kind == "i" else np.uint64)
        if out.dtype.kind == "f":
            n = out.dtype.itemsize
            got = out.view(f"u{n}").reshape(-1)
            ulps = np.abs(_ordered(got, n) - _ordered(want, n))
            near = np.abs(out.reshape(-1) - want.astype(f"u{n}").view(out.dtype)) <= case["atol"]
            assert np.all((ulps <= case["tol_ulps"]) | near), (case["seed"], out, ulps)
        else:
            np.testing.assert_array_equal(out.reshape(-1).astype(want.dtype), want,
                                          err_msg=f"seed {case['seed']}")


def test_seed_walkthrough_values(layout):
    """The values the tutorials print (older JAX used the original counter layout)."""
    key = random.key(43)
    assert str(key) == "Array((), dtype=key<fry>) overlaying:\n[ 0 43]"
    np.testing.assert_allclose(float(random.normal(key)), 0.07520543, rtol=1e-6)
    draws = []
    for _ in range(3):
        key, subkey = random.split(key)
        draws.append(float(random.normal(subkey)))
    np.testing.assert_allclose(draws, [-1.9133632, -1.4749839, -0.3670377], rtol=1e-6)

    layout(False)
    key = random.PRNGKey(0)
    np.testing.assert_allclose(random.normal(key, shape=(1,)), [-0.20584235], rtol=1e-6)
    key, subkey = random.split(key)
    assert key.tolist() == [4146024105, 967050713]
    assert subkey.tolist() == [2718843009, 1272950319]
    np.testing.assert_allclose(random.normal(key, shape=(1,)), [0.14389044], rtol=1e-6)
    np.testing.assert_allclose(random.normal(subkey, shape=(1,)), [-1.2515389], rtol=1e-6)
    key, *subkeys = random.split(key, 4)
    assert key.tolist() == [3306097435, 3899823266]
    assert [k.tolist() for k in subkeys] == [[147607341, 367236428], [2280136339, 1907318301],
                                             [781391491, 1939998335]]


def test_same_key_same_sample():
    key = random.PRNGKey(7)
    a = random.normal(key, (3,))
    b = random.normal(key, (3,))
    np.testing.assert_array_equal(a, b)
    c = random.normal(random.split(key)[0], (3,))
    assert not np.array_equal(a, c)


def test_typed_keys():
    key = random.key(5)
    assert key.shape == () and key.ndim == 0 and str(key.dtype) == "key<fry>"
    keys = random.split(key, 3)
    assert isinstance(keys, random.PRNGKeyArray) and keys.shape == (3,)
    assert repr(keys).startswith("Array((3,), dtype=key<fry>) overlaying:\n[[")
    np.testing.assert_array_equal(random.key_data(keys),
                                  random.split(random.PRNGKey(5), 3))
    k0, k1, k2 = keys
    assert isinstance(k1, random.PRNGKeyArray) and k1.shape == ()
    np.testing.assert_array_equal(random.key_data(k1), random.key_data(keys)[1])
    again = random.wrap_key_data(random.key_data(key))
    assert bool(again == key) and not bool(again != key)
    np.testing.assert_array_equal(random.normal(key, (4,)),
                                  random.normal(random.PRNGKey(5), (4,)))
    assert random.key_impl(key) == "threefry2x32"
    with pytest.raises(TypeError, match="boolean"):
        bool(key)


def test_under_jit():
    key = random.PRNGKey(3)

    @mlax.jit
    def f(key):
        k1, k2 = random.split(key)
        return (random.normal(k1, (3,)), random.uniform(k2, (2,)),
                random.randint(k1, (4,), 0, 9), random.fold_in(key, 11), random.bits(k2, (2,)))

    got = f(key)
    k1, k2 = random.split(key)
    want = (random.normal(k1, (3,)), random.uniform(k2, (2,)), random.randint(k1, (4,), 0, 9),
            random.fold_in(key, 11), random.bits(k2, (2,)))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_typed_key_through_jit():
    @mlax.jit
    def step(key):
        key, sub = random.split(key)
        return key, random.normal(sub, (2,))

    key = random.key(0)
    new_key, x = step(key)
    assert isinstance(new_key, random.PRNGKeyArray)
    want_key, sub = random.split(key)
    np.testing.assert_array_equal(random.key_data(new_key), random.key_data(want_key))
    np.testing.assert_array_equal(x, random.normal(sub, (2,)))


def test_traced_seed():
    seeds = np.array([0, 5, -1, 2 ** 31 - 1], np.int32)
    for s in seeds:
        got = mlax.jit(random.PRNGKey)(s)
        np.testing.assert_array_equal(got, random.PRNGKey(int(s)))


# -- distributions ------------------------------------------------------------------------

N = 20000


def _close(value, expected, sd, z=5.0):
    """|value - expected| within z standard errors (sd / sqrt(N))."""
    assert abs(float(value) - expected) <= z * sd / math.sqrt(N), (float(value), expected)


def test_normal_and_uniform_moments():
    x = np.asarray(random.normal(random.PRNGKey(0), (N,)))
    _close(x.mean(), 0.0, 1.0)
    _close(x.var(), 1.0, math.sqrt(2.0))
    u = np.asarray(random.uniform(random.PRNGKey(1), (N,), minval=2.0, maxval=4.0))
    assert u.min() >= 2.0 and u.max() < 4.0
    _close(u.mean(), 3.0, 2 / math.sqrt(12))


def test_bernoulli():
    b = np.asarray(random.bernoulli(random.PRNGKey(2), 0.3, (N,)))
    assert b.dtype == np.bool_
    _close(b.mean(), 0.3, math.sqrt(0.3 * 0.7))
    p = jnp.array([0.1, 0.9])
    assert random.bernoulli(random.PRNGKey(2), p).shape == (2,)


def test_exponential_and_gumbel():
    e = np.asarray(random.exponential(random.PRNGKey(3), (N,)))
    assert e.min() >= 0
    _close(e.mean(), 1.0, 1.0)
    _close(e.var(), 1.0, math.sqrt(8.0))
    g = np.asarray(random.gumbel(random.PRNGKey(4), (N,)))
    _close(g.mean(), np.euler_gamma, math.pi / math.sqrt(6))


def test_truncated_normal():
    t = np.asarray(random.truncated_normal(random.PRNGKey(5), -1.0, 2.0, (N,)))
    assert t.min() > -1.0 and t.max() < 2.0
    # mean of N(0,1) truncated to (a, b): (phi(a) - phi(b)) / (Phi(b) - Phi(a))
    phi = lambda v: math.exp(-v * v / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))  # noqa: E731
    _close(t.mean(), (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)), 1.0)


def test_randint_range_and_uniformity():
    r = np.asarray(random.randint(random.PRNGKey(6), (N,), -3, 7))
    assert r.dtype == np.int32 and r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3, minlength=10)
    p = 0.1
    assert np.all(np.abs(counts / N - p) <= 5 * math.sqrt(p * (1 - p) / N)), counts


def test_permutation_and_choice():
    key = random.PRNGKey(7)
    perm = np.asarray(random.permutation(key, 50))
    assert sorted(perm.tolist()) == list(range(50))
    x = jnp.arange(12.0).reshape(4, 3)
    rows = np.asarray(random.permutation(key, x))
    assert sorted(rows[:, 0].tolist()) == [0.0, 3.0, 6.0, 9.0]
    np.testing.assert_array_equal(rows[:, 1], rows[:, 0] + 1)
    cols = np.asarray(random.permutation(key, x, axis=1))
    np.testing.assert_array_equal(np.sort(cols, axis=1), np.asarray(x))
    s = np.asarray(random.choice(key, 20, (10,), replace=False))
    assert len(set(s.tolist())) == 10 and s.min() >= 0 and s.max() < 20
    pop = jnp.arange(100, 110)
    c = np.asarray(random.choice(key, pop, (5, 2)))
    assert c.shape == (5, 2) and set(c.ravel().tolist()) <= set(range(100, 110))


def test_choice_with_p_and_categorical():
    key = random.PRNGKey(8)
    p = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    c = np.asarray(random.choice(key, 4, (N,), p=p))
    freq = np.bincount(c, minlength=4) / N
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / N)), freq
    c = np.asarray(random.choice(key, 4, (3,), replace=False, p=p))
    assert len(set(c.tolist())) == 3
    logits = np.log(p)
    k = np.asarray(random.categorical(key, logits, shape=(N,)))
    freq = np.bincount(k, minlength=4) / N
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / N)), freq
    batch = np.asarray(random.categorical(key, np.stack([logits, logits[::-1]])))
    assert batch.shape == (2,)


def test_seed_notes_sgd_choice():
    """The notes' SGD loop: choice over an arange, then gather the batch."""
    key = random.PRNGKey(1)
    x = jnp.linspace(-2, 2, 100)
    key, _ = random.split(key)
    idx = random.choice(key, jnp.arange(100, dtype=int), (10,))
    assert idx.shape == (10,) and idx.dtype == np.int32
    np.testing.assert_allclose(x[idx], np.asarray(x)[np.asarray(idx)])


def test_matches_jax_samplers():
    """Samplers whose results are integers or near-exact floats, against JAX itself."""
    jax_random = pytest.importorskip("jax.random")
    key = random.PRNGKey(11)
    jkey = jax_random.PRNGKey(11)
    p = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    p7 = np.array([1, 2, 3, 4, 3, 2, 1], np.float32) / 16
    pairs = [
        (random.bernoulli(key, 0.3, (50,)), jax_random.bernoulli(jkey, 0.3, (50,)), 0),
        (random.choice(key, 7, (5,), p=p7), jax_random.choice(jkey, 7, (5,), p=p7), 0),
        (random.categorical(key, np.log(p), shape=(20,)),
         jax_random.categorical(jkey, np.log(p), shape=(20,)), 0),
        (random.exponential(key, (20,)), jax_random.exponential(jkey, (20,)), 1e-6),
        (random.gumbel(key, (20,)), jax_random.gumbel(jkey, (20,)), 1e-5),
        (random.truncated_normal(key, -1.0, 2.0, (20,)),
         jax_random.truncated_normal(jkey, -1.0, 2.0, (20,)), 1e-5),
    ]
    for got, want, rtol in pairs:
        if rtol == 0:
            np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
        else:
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=1e-6)


# -- errors -------------------------------------------------------------------------------

def test_bad_keys():
    with pytest.raises(TypeError, match=r"uint32 array of shape \(2,\)"):
        random.normal(jnp.zeros(2), (3,))
    with pytest.raises(TypeError, match=r"shape \(3,\)"):
        random.normal(np.zeros(3, np.uint32))
    with pytest.raises(ValueError, match=r"single key.*\(4,\).*vmap"):
        random.split(random.split(random.PRNGKey(0), 4))
    with pytest.raises(TypeError, match="unexpected PRNG key type"):
        random.uniform(42)
    with pytest.raises(TypeError, match="scalar seed"):
        random.PRNGKey(np.arange(3))
    with pytest.raises(TypeError, match="integer"):
        random.PRNGKey(1.5)
    with pytest.raises(ValueError, match="float dtype"):
        random.normal(random.PRNGKey(0), (2,), dtype=np.int32)
    with pytest.raises(ValueError, match="larger sample"):
        random.choice(random.PRNGKey(0), 3, (5,), replace=False)


def test_keys_in_loops():
    """Keys as loop state (uint32 carries) and typed keys scanned over."""
    from mlax import lax

    def draw(i, state):
        key, acc = state
        key, sub = random.split(key)
        return key, acc + random.normal(sub, (2,))

    key = random.PRNGKey(4)
    got_key, got = lax.fori_loop(0, 3, draw, (key, jnp.zeros(2)))
    want_key, want = key, np.zeros(2, np.float32)
    for i in range(3):
        want_key, want = draw(i, (want_key, want))
    np.testing.assert_array_equal(got_key, want_key)
    np.testing.assert_allclose(got, want, rtol=1e-6)

    keys = random.split(random.key(9), 4)
    samples = lax.map(lambda k: random.uniform(k, (3,)), keys)
    for k, s in zip(keys, samples):
        np.testing.assert_array_equal(s, random.uniform(k, (3,)))


# -- bit-exact samplers and the distributions built on them --------------------------------

COV = np.array([[2., 0.5], [0.5, 1.]])
# name -> call(random module, key, dtype): samplers whose draws are JAX's bit for bit (their
# transcendentals are XLA's CPU algorithms: mlax.xla_log, xla_log1p, xla_erf, erf_inv, fma).
EXACT = {
    "normal": lambda r, k, dt: r.normal(k, (3, 37), dt),
    "uniform_range": lambda r, k, dt: r.uniform(k, (41,), dt, -2.5, 7.0),
    "truncated_normal": lambda r, k, dt: r.truncated_normal(k, -1.5, 2.0, (40,), dt),
    "truncated_normal_arrays": lambda r, k, dt: r.truncated_normal(
        k, np.array([-3., 0.5, -0.2]), np.array([1., 2.5, 0.1]), (5, 3), dt),
    "exponential": lambda r, k, dt: r.exponential(k, (50,), dt),
    "gumbel": lambda r, k, dt: r.gumbel(k, (50,), dt),
    "gumbel_high": lambda r, k, dt: r.gumbel(k, (50,), dt, mode="high"),
    "laplace": lambda r, k, dt: r.laplace(k, (50,), dt),
    "logistic": lambda r, k, dt: r.logistic(k, (50,), dt),
    "cauchy": lambda r, k, dt: r.cauchy(k, (50,), dt),
    "rademacher": lambda r, k, dt: r.rademacher(k, (50,)),
    "weibull_min": lambda r, k, dt: r.weibull_min(k, 2.0, 1.5, (50,), dt),
    "rayleigh": lambda r, k, dt: r.rayleigh(k, 2.0, (50,), dt),
    "geometric": lambda r, k, dt: r.geometric(k, 0.3, (50,)),
    "triangular": lambda r, k, dt: r.triangular(k, 0., 1., 3., (50,), dt),
    "categorical": lambda r, k, dt: r.categorical(k, np.log(np.array([.1, .2, .3, .4], dt)),
                                                  shape=(60,)),
    "poisson": lambda r, k, dt: r.poisson(k, np.array([0., 0.5, 4., 9.9, 10., 25., 300.]),
                                          (20, 7)),
    "binomial": lambda r, k, dt: r.binomial(k, np.array([0., 3., 20., 100., 1000.], dt),
                                            np.array([0.1, 0.5, 0.9, 0.3, 0.02], dt), (20, 5), dt),
    "multinomial": lambda r, k, dt: r.multinomial(k, dt(50.), np.array([0.2, 0.3, 0.5], dt),
                                                  shape=(10, 3), dtype=dt),
}
# Distributions that compose JAX's samplers with exp, pow, norms or multiply-adds XLA fuses
# differently: the same draws to a few ulps (key use and algorithm are JAX's).
CLOSE = {
    "multivariate_normal": lambda r, k, dt: r.multivariate_normal(
        k, np.zeros(2, dt), COV.astype(dt), (30,), dt),
    "pareto": lambda r, k, dt: r.pareto(k, 3.0, (50,), dt),
    "lognormal": lambda r, k, dt: r.lognormal(k, 0.5, (50,), dt),
    "maxwell": lambda r, k, dt: r.maxwell(k, (50,), dt),
    "double_sided_maxwell": lambda r, k, dt: r.double_sided_maxwell(k, 1.0, 2.0, (20,), dt),
    "wald": lambda r, k, dt: r.wald(k, 1.5, (50,), dt),
    "gamma": lambda r, k, dt: r.gamma(k, np.array([0.3, 1.0, 2.5, 7.0], dt), (10, 4), dt),
    "loggamma": lambda r, k, dt: r.loggamma(k, 0.5, (30,), dt),
    "beta": lambda r, k, dt: r.beta(k, 2.0, 3.0, (30,), dt),
    "dirichlet": lambda r, k, dt: r.dirichlet(k, np.array([1., 2., 3.], dt), (10,), dt),
    "chisquare": lambda r, k, dt: r.chisquare(k, 3.0, (30,), dt),
    "f": lambda r, k, dt: r.f(k, 3.0, 5.0, (30,), dt),
    "t": lambda r, k, dt: r.t(k, 4.0, (30,), dt),
    "generalized_normal": lambda r, k, dt: r.generalized_normal(k, 1.5, (30,), dt),
    "ball": lambda r, k, dt: r.ball(k, 3, shape=(20,), dtype=dt),
}


@pytest.fixture(params=["f32", "f64"])
def float_dtype(request):
    if request.param == "f64":
        request.getfixturevalue("x64")
        return np.float64
    return np.float32


def _draws(call, dtype, seed):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", dtype == np.float64)
    try:
        want = np.asarray(call(jax.random, jax.random.key(seed), dtype))
    finally:
        jax.config.update("jax_enable_x64", False)
    got = np.asarray(call(random, random.key(seed), dtype))
    assert got.shape == want.shape and got.dtype == want.dtype
    return got, want


@pytest.mark.parametrize("name", list(EXACT))
def test_samplers_bit_exact_with_jax(name, float_dtype):
    for seed in (0, 7, 2 ** 31 - 1):
        got, want = _draws(EXACT[name], float_dtype, seed)
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"),
                                      err_msg=f"{name} seed {seed}")


@pytest.mark.parametrize("name", list(CLOSE))
def test_distributions_match_jax(name, float_dtype):
    rtol = 1e-5 if float_dtype == np.float32 else 1e-12
    for seed in (0, 7):
        got, want = _draws(CLOSE[name], float_dtype, seed)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=f"{name} seed {seed}")


def test_normal_bit_exact_many_draws(float_dtype):
    """The draws of the transcendental-heavy paths agree bit for bit over 10^5 samples."""
    for name in ("normal", "truncated_normal", "exponential", "gumbel"):
        def call(r, k, dt):
            if name == "truncated_normal":
                return r.truncated_normal(k, -0.3, 4.0, (100_000,), dt)
            return getattr(r, name)(k, (100_000,), dt)
        got, want = _draws(call, float_dtype, 3)
        assert np.array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}")), name


def test_new_distribution_moments():
    key = random.key(5)
    n = 20_000
    cases = [  # (samples, mean, variance)
        (random.laplace(key, (n,)), 0.0, 2.0),
        (random.logistic(key, (n,)), 0.0, np.pi ** 2 / 3),
        (random.rademacher(key, (n,)).astype(np.float32), 0.0, 1.0),
        (random.gamma(key, 2.5, (n,)), 2.5, 2.5),
        (random.beta(key, 2.0, 3.0, (n,)), 0.4, 0.04),
        (random.chisquare(key, 3.0, (n,)), 3.0, 6.0),
        (random.pareto(key, 5.0, (n,)), 1.25, 5 / 16 / 3),
        (random.weibull_min(key, 2.0, 1.0, (n,)), 2.0, 4.0),
        (random.rayleigh(key, 1.0, (n,)), np.sqrt(np.pi / 2), (4 - np.pi) / 2),
        (random.maxwell(key, (n,)), 2 * np.sqrt(2 / np.pi), 3 - 8 / np.pi),
        (random.wald(key, 1.5, (n,)), 1.5, 1.5 ** 3),
        (random.geometric(key, 0.25, (n,)).astype(np.float32), 4.0, 12.0),
        (random.triangular(key, 0., 1., 3., (n,)), 4 / 3, (1 + 9 - 3) / 18),
        (random.t(key, 6.0, (n,)), 0.0, 1.5),
        (random.lognormal(key, 0.5, (n,)), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
        (random.poisson(key, 3.5, (n,)).astype(np.float32), 3.5, 3.5),
        (random.poisson(key, 40.0, (n,)).astype(np.float32), 40.0, 40.0),
        (random.binomial(key, 30.0, 0.2, (n,)), 6.0, 4.8),
        (random.binomial(key, 500.0, 0.4, (n,)), 200.0, 120.0),
    ]
    for x, mean, var in cases:
        x = np.asarray(x, np.float64)
        assert abs(x.mean() - mean) < 5 * np.sqrt(var / n) + 1e-3, (mean, x.mean())
        assert abs(x.var() - var) < 0.1 * var, (var, x.var())
    c = np.median(np.asarray(random.cauchy(key, (n,))))
    assert abs(c) < 0.05
    mvn = np.asarray(random.multivariate_normal(key, np.array([1., -1.]), COV, (n,)))
    np.testing.assert_allclose(mvn.mean(0), [1., -1.], atol=0.05)
    np.testing.assert_allclose(np.cov(mvn.T), COV, atol=0.08)
    d = np.asarray(random.dirichlet(key, np.array([1., 2., 3.]), (n,)))
    np.testing.assert_allclose(d.sum(-1), 1, rtol=1e-5)
    np.testing.assert_allclose(d.mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.01)
    b = np.asarray(random.ball(key, 3, shape=(n,)))
    assert np.all(np.linalg.norm(b, axis=-1) <= 1 + 1e-6)
    np.testing.assert_allclose(np.mean(np.linalg.norm(b, axis=-1) ** 3), 0.5, atol=0.02)


def test_reparameterized_gradients():
    """Gradients through samplers that are differentiable in their parameters, against
    JAX's and finite differences."""
    jax = pytest.importorskip("jax")
    from mlax.test_util import check_grads
    key, jkey = random.key(2), jax.random.key(2)

    def f(r, k):
        return lambda mu, sigma: (mu + sigma * r.normal(k, (5,))).sum() + \
            (sigma * r.truncated_normal(k, -1., 1., (5,))).sum() + \
            r.weibull_min(k, sigma, 1.5, (5,)).sum() + r.rayleigh(k, sigma, (5,)).sum()
    args = (np.float32(0.3), np.float32(1.7))
    got = mlax.grad(f(random, key), argnums=(0, 1))(*args)
    want = jax.grad(f(jax.random, jkey), argnums=(0, 1))(*args)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    check_grads(f(random, key), args, order=1, modes=["rev"], atol=1e-2, rtol=1e-2)
    mean = np.array([0.5, -1.], np.float32)
    g = mlax.grad(lambda m: random.multivariate_normal(key, m, COV.astype(np.float32), (4,)).sum())(mean)
    np.testing.assert_allclose(g, [4., 4.])


def test_gamma_reparameterized_gradient():
    """d gamma / d a is JAX's implicit gradient (random_gamma_grad), for gamma, loggamma and
    the samplers built on them."""
    jax = pytest.importorskip("jax")
    a = np.array([0.4, 1.0, 3.5], np.float32)

    def f(r, k):
        return lambda a: (r.gamma(k, a).sum() + r.loggamma(k, a).sum()
                          + r.beta(k, a, 2.0).sum() + r.chisquare(k, a).sum())
    got = mlax.grad(f(random, random.key(4)))(a)
    # JAX's gradient compiled as one program (op by op, its sampler's loops compile 15 times).
    want = jax.jit(jax.grad(f(jax.random, jax.random.key(4))))(a)
    np.testing.assert_allclose(got, want, rtol=2e-4)


def test_threefry_partitionable_context_manager():
    """`mlax.threefry_partitionable(False)` selects the original counter layout for the
    block, as JAX's does; 0.10's default is the partitionable layout."""
    jax = pytest.importorskip("jax")
    assert mlax.threefry_partitionable.value is True
    for flag in (False, True):
        with mlax.threefry_partitionable(flag), jax.threefry_partitionable(flag):
            got = [np.asarray(random.key_data(random.split(random.key(3), 3))),
                   np.asarray(random.bits(random.key(3), (5,))),
                   np.asarray(random.normal(random.key(3), (4,)))]
            want = [np.asarray(jax.random.key_data(jax.random.split(jax.random.key(3), 3))),
                    np.asarray(jax.random.bits(jax.random.key(3), (5,))),
                    np.asarray(jax.random.normal(jax.random.key(3), (4,)))]
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
    assert mlax.threefry_partitionable.value is True


def test_new_sampler_errors():
    key = random.key(0)
    with pytest.raises(ValueError, match="method must be one of"):
        random.multivariate_normal(key, np.zeros(2), np.eye(2), method="lu")
    with pytest.raises(ValueError, match=r"cov.shape == \(..., n, n\)"):
        random.multivariate_normal(key, np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="must be broadcast-compatible"):
        random.pareto(key, np.ones(3), (4,))
    with pytest.raises(ValueError, match="int dtype"):
        random.geometric(key, 0.5, (3,), dtype=np.float32)
    with pytest.raises(ValueError, match="alpha.ndim >= 1"):
        random.dirichlet(key, 1.0)
    assert str(random.key_dtype()) == "key<fry>"
    with pytest.raises(NotImplementedError, match="rbg"):
        random.key_dtype("rbg")


def test_new_samplers_under_vmap():
    """vmap over keys draws what a Python loop over the keys draws."""
    keys = random.split(random.key(0), 3)
    for f in (lambda k: random.gamma(k, 2.0, (3,)), lambda k: random.poisson(k, 4.0, (3,)),
              lambda k: random.laplace(k, (3,)), lambda k: random.truncated_normal(k, -1., 1., (3,)),
              lambda k: random.binomial(k, 20.0, 0.3, (3,))):
        got = np.asarray(mlax.vmap(f)(keys))
        want = np.stack([np.asarray(f(k)) for k in keys])
        np.testing.assert_array_equal(got, want)


def test_complex_normal_as_jax():
    """Complex draws: real and imaginary parts from two split keys, over sqrt 2, as JAX's."""
    jax = pytest.importorskip("jax")
    for dtype in (np.complex64,):
        got = random.normal(random.key(1), (50,), dtype)
        want = jax.random.normal(jax.random.key(1), (50,), dtype)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    re, im = random.split(random.key(1))
    np.testing.assert_allclose(np.asarray(got).real * np.sqrt(2), np.asarray(random.normal(re, (50,))), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(got).imag * np.sqrt(2), np.asarray(random.normal(im, (50,))), rtol=1e-6)


def _typed_key_programs(jax_):
    """Programs over typed keys, run under mlax and JAX: each returns a pytree of values."""
    k = jax_.random.key(0)
    ks = jax_.random.split(k, 3)
    tu = jax_.tree_util
    data = jax_.random.key_data
    return {
        "leaves": lambda: [len(tu.tree_leaves({"k": ks, "a": 1})),
                           tu.tree_leaves(k)[0] is k, str(tu.tree_structure({"k": ks}))],
        "paths": lambda: [tu.keystr(p) for p, _ in tu.tree_flatten_with_path({"k": ks})[0]],
        "tree_map": lambda: tu.tree_map(lambda x: list(x.shape), {"k": ks, "x": np.ones(2)}),
        "jit": lambda: data(jax_.jit(lambda t: jax_.random.split(t["k"])[0])({"k": k})),
        "vmap": lambda: jax_.vmap(lambda kk: jax_.random.normal(kk, (2,)))(ks),
        "grad": lambda: jax_.grad(lambda x, kk: x * jax_.random.normal(kk))(2.0, k),
        "scan": lambda: [data(c) if i == 0 else c for i, c in enumerate(jax_.lax.scan(
            lambda c, _: (jax_.random.split(c)[0], jax_.random.uniform(c)), k, None, length=3))],
        "wrap_key_data": lambda: data(jax_.random.wrap_key_data(data(ks))),
    }


@pytest.mark.parametrize("name", list(_typed_key_programs(mlax)))
def test_typed_keys_are_pytree_leaves_as_in_jax(name):
    """Tests that a typed key array is one pytree leaf (tree_leaves gives the key array, its
    path is its container's), and that jit, vmap, grad and scan pass it through, as JAX's."""
    jax = pytest.importorskip("jax")
    got = _typed_key_programs(mlax)[name]()
    want = _typed_key_programs(jax)[name]()
    g_leaves, g_tree = jax.tree_util.tree_flatten(mlax.tree_util.tree_map(np.asarray, got))
    w_leaves, w_tree = jax.tree_util.tree_flatten(jax.tree_util.tree_map(np.asarray, want))
    assert g_tree == w_tree
    for g, w in zip(g_leaves, w_leaves):
        np.testing.assert_array_equal(g, w)
