# Source: the jax.numpy.linalg and jax.scipy.linalg API reference examples
#   https://docs.jax.dev/en/latest/jax.numpy.html#module-jax.numpy.linalg
#   https://docs.jax.dev/en/latest/jax.scipy.html#module-jax.scipy.linalg
#   and the least-squares / Newton examples of QuantEcon's "Newton's Method via JAX"
#   https://jax.quantecon.org/newtons_method.html
# Changed: decompositions are reported through quantities that do not depend on sign or
# ordering conventions (reconstructions, singular values, eigenvalues) where those differ
# between LAPACK builds.
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp
import jax.scipy as jsp
import numpy as np

from _report import report, report_call

rng = np.random.RandomState(0)
A = jnp.array(rng.randn(4, 4), dtype=jnp.float32)
S = A @ A.T + 4 * jnp.eye(4)
b = jnp.array(rng.randn(4), dtype=jnp.float32)

report_call("solve", lambda: jnp.linalg.solve(A, b), rtol=1e-3)
report_call("inv", lambda: jnp.linalg.inv(S), rtol=1e-3)
report_call("det", lambda: jnp.linalg.det(A), rtol=1e-3)
report_call("slogdet", lambda: jnp.linalg.slogdet(S), rtol=1e-3)
report_call("norms",
            lambda: (jnp.linalg.norm(A), jnp.linalg.norm(A, ord=1), jnp.linalg.norm(A, ord=jnp.inf),
                     jnp.linalg.norm(b, ord=3), jnp.linalg.norm(A, axis=1)), rtol=1e-4)
report_call("matrix_power", lambda: jnp.linalg.matrix_power(S / 10, 3), rtol=1e-3)
L = jnp.linalg.cholesky(S)
report("cholesky", L, rtol=1e-3)
report_call("batched solve",
            lambda: jnp.linalg.solve(jnp.stack([S, 2 * S]), jnp.stack([b, b])[..., None]),
            rtol=1e-3)
report_call("grad of logdet", lambda: jax.grad(lambda S: jnp.linalg.slogdet(S)[1])(S), rtol=1e-3)
report_call("grad of solve",
            lambda: jax.grad(lambda b: jnp.sum(jnp.linalg.solve(S, b) ** 2))(b), rtol=1e-3)
report_call("vmap of inv", lambda: jax.vmap(jnp.linalg.inv)(jnp.stack([S, 2 * S])), rtol=1e-3)
report_call("triangular solve", lambda: jsp.linalg.solve_triangular(L, b, lower=True),
            rtol=1e-3)
report_call("cho_solve", lambda: jsp.linalg.cho_solve(jsp.linalg.cho_factor(S), b),
            rtol=1e-3)
report_call("scipy cholesky upper", lambda: jsp.linalg.cholesky(S), rtol=1e-3)
report_call("lu reconstructs",
            lambda: (lambda P, L, U: jnp.allclose(P @ L @ U, A, atol=1e-5))(*jsp.linalg.lu(A)))
report_call("lu_factor + lu_solve",
            lambda: jsp.linalg.lu_solve(jsp.linalg.lu_factor(A), b), rtol=1e-3)
report_call("expm", lambda: jsp.linalg.expm(S / 10), rtol=1e-3)


def qr_checks():
    Q, R = jnp.linalg.qr(A)
    return jnp.allclose(Q @ R, A, atol=1e-5), jnp.abs(jnp.diag(R))


def eigh_checks():
    w, V = jnp.linalg.eigh(S)
    return w, jnp.allclose(V @ jnp.diag(w) @ V.T, S, atol=1e-4)


def svd_checks():
    u, s, vt = jnp.linalg.svd(A)
    return s, jnp.allclose((u * s) @ vt, A, atol=1e-5)


report_call("qr reconstructs, |diag R|", qr_checks, rtol=1e-3)
report_call("eigh eigenvalues, reconstructs", eigh_checks, rtol=1e-3)
report_call("eigvalsh", lambda: jnp.linalg.eigvalsh(S), rtol=1e-3)
report_call("singular values, svd reconstructs", svd_checks, rtol=1e-3)
report_call("svd compute_uv=False", lambda: jnp.linalg.svd(A, compute_uv=False), rtol=1e-3)
report_call("pinv", lambda: jnp.linalg.pinv(A[:, :3]), rtol=1e-3)
report_call("lstsq", lambda: jnp.linalg.lstsq(A[:, :2], b)[0], rtol=1e-3)
report_call("matrix_rank", lambda: jnp.linalg.matrix_rank(A[:, :2] @ A[:2, :]))
report_call("cond", lambda: jnp.linalg.cond(S), rtol=1e-3)
report_call("eigvals of a symmetric matrix (sorted real parts)",
            lambda: jnp.sort(jnp.real(jnp.linalg.eigvals(S))), rtol=1e-3)


# QuantEcon's multivariate Newton solver: solve e(p) = 0 with jax.jacobian and linalg.solve.
def newton(f, x_0, tol=1e-5, max_iter=15):
    x = x_0
    f_jac = jax.jacobian(f)

    @jax.jit
    def q(x):
        return x - jnp.linalg.solve(f_jac(x), f(x))

    error = tol + 1
    n = 0
    while error > tol:
        n += 1
        if n > max_iter:
            raise Exception('Max iteration reached without convergence')
        y = q(x)
        error = jnp.linalg.norm(x - y)
        x = y
    return x, n


def e(p, A, b, c):
    return jnp.exp(- A @ p) + c - b * jnp.sqrt(p)


dim = 5
A_e = jnp.array(np.random.RandomState(1).rand(dim, dim) / 10)
b_e = jnp.ones(dim)
c_e = jnp.ones(dim)
p, iterations = newton(lambda p: e(p, A_e, b_e, c_e), jnp.ones(dim))
report("newton equilibrium prices", p, rtol=1e-3)
report("newton iterations", iterations)
report_call("excess demand at solution", lambda: jnp.max(jnp.abs(e(p, A_e, b_e, c_e))) < 1e-4)
