"""Products of arrays: dot, matmul, matvec, vecmat, vecdot, inner, outer, vdot, tensordot,
kron, cross, trace and einsum. Each contraction is one `lax.dot_general`."""
from __future__ import annotations

import builtins
import string as _string

import numpy as _np

from mlax import core, lax
from mlax.tracing import user_site

from mlax.numpy._util import _arr, _aval, _axis, _dt, _promote
from mlax.numpy._shapes import (_broadcast, broadcast_shapes, broadcast_to, expand_dims, moveaxis,
                                ravel, reshape, squeeze, stack)
from mlax.numpy._creation import diagonal, zeros_like
from mlax.numpy._ufuncs import multiply
from mlax.numpy._reductions import sum


def _preferred(fn, a, b, preferred_element_type, **kw):
    """fn(a, b) with JAX's preferred_element_type: computed in that type where it is wider
    than the operands' (as lax.dot_general does), else rounded to it."""
    a, b = _promote(a, b)
    preferred = core.canonicalize_dtype(preferred_element_type)
    if _np.promote_types(_aval(a).dtype, preferred) == preferred:
        return fn(a.astype(preferred), b.astype(preferred), **kw)
    return fn(a, b, **kw).astype(preferred)


def dot(a, b, precision=None, preferred_element_type=None):
    lax.canonicalize_precision(precision)   # validated first, as JAX does
    if preferred_element_type is not None:
        return _preferred(dot, a, b, preferred_element_type, precision=precision)
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        return multiply(a, b)
    if bv.ndim == 1:
        _check_contract(av, bv, av.ndim - 1, 0)
        return lax.dot_general(a, b, (([av.ndim - 1], [0]), ([], [])), precision=precision)
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 2)
    return lax.dot_general(a, b, (([av.ndim - 1], [bv.ndim - 2]), ([], [])),
                           precision=precision)


def _check_contract(av, bv, i, j):
    if av.shape[i] != bv.shape[j]:
        raise TypeError(f"dot_general requires contracting dimensions to have the same shape, "
                        f"got {av.shape} and {bv.shape} (at {user_site()})")


def matmul(a, b, precision=None, preferred_element_type=None):
    """JAX's matmul: one dot_general whose batch dimensions are only those both operands
    have (of equal size); a batch dimension one operand lacks or has as 1 stays a free
    dimension of the other, so `(B, T, K) @ (K, N)` contracts against the one (K, N)
    matrix instead of a broadcast copy per batch element, then a transpose puts the
    dimensions in NumPy's order."""
    lax.canonicalize_precision(precision)   # validated first, as JAX does
    if preferred_element_type is not None:
        return _preferred(matmul, a, b, preferred_element_type, precision=precision)
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        raise ValueError("matmul: operands must not be scalars")
    a_is_mat, b_is_mat = av.ndim > 1, bv.ndim > 1
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 1 - b_is_mat)
    a_batch_dims = av.shape[:-2] if a_is_mat else ()
    b_batch_dims = bv.shape[:-2] if b_is_mat else ()
    nb = builtins.max(len(a_batch_dims), len(b_batch_dims))
    a_batch_dims = (None,) * (nb - len(a_batch_dims)) + a_batch_dims
    b_batch_dims = (None,) * (nb - len(b_batch_dims)) + b_batch_dims
    a_squeeze, b_squeeze, a_batch, b_batch = [], [], [], []
    # Where each kind of dimension goes in the result, in dot_general's order.
    idx_batch, idx_a_other, idx_b_other = [], [], []
    for i, (ba, bb) in enumerate(zip(a_batch_dims, b_batch_dims)):
        if ba is None:
            idx_b_other.append(i)
        elif bb is None:
            idx_a_other.append(i)
        elif ba == 1:
            idx_b_other.append(i)
            a_squeeze.append(len(idx_batch) + len(idx_a_other) + len(a_squeeze))
        elif bb == 1:
            idx_a_other.append(i)
            b_squeeze.append(len(idx_batch) + len(idx_b_other) + len(b_squeeze))
        elif ba == bb:
            a_batch.append(len(idx_batch) + len(idx_a_other))
            b_batch.append(len(idx_batch) + len(idx_b_other))
            idx_batch.append(i)
        else:
            raise ValueError(f"Incompatible shapes for matmul arguments: {av.shape} and {bv.shape} "
                             f"(at {user_site()})")
    if a_is_mat:
        idx_a_other.append(nb)
    if b_is_mat:
        idx_b_other.append(nb + a_is_mat)
    perm = tuple(int(i) for i in _np.argsort(_np.array(idx_batch + idx_a_other + idx_b_other, dtype=int)))
    a = lax.squeeze(a, tuple(a_squeeze)) if a_squeeze else a
    b = lax.squeeze(b, tuple(b_squeeze)) if b_squeeze else b
    na, nb_ = _aval(a).ndim, _aval(b).ndim
    out = lax.dot_general(a, b, (([na - 1], [nb_ - 1 - b_is_mat]), (a_batch, b_batch)),
                          precision=precision)
    return out if perm == tuple(range(len(perm))) else lax.transpose(out, perm)


def matvec(x1, x2):
    return einsum("...ij,...j->...i", x1, x2)


def vecmat(x1, x2):
    return einsum("...i,...ij->...j", x1, x2)


def _conj_if_complex(x):
    return lax.conj(x) if _aval(x).dtype.kind == "c" else x


def vecdot(x1, x2, axis=-1):
    """sum(conj(x1) * x2) along `axis`."""
    x1, x2 = _broadcast(*_promote(x1, x2))
    return sum(multiply(_conj_if_complex(x1), x2), axis=axis)


def inner(a, b):
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        return multiply(a, b)
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 1)
    return lax.dot_general(a, b, (([av.ndim - 1], [bv.ndim - 1]), ([], [])))


def outer(a, b, out=None):
    a, b = ravel(a), ravel(b)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def vdot(a, b, precision=None):
    a, b = _promote(a, b)
    return dot(_conj_if_complex(ravel(a)), ravel(b), precision=precision)


def tensordot(a, b, axes=2, precision=None, preferred_element_type=None):
    lax.canonicalize_precision(precision)   # validated first, as JAX does
    if preferred_element_type is not None:
        return _preferred(tensordot, a, b, preferred_element_type, axes=axes,
                          precision=precision)
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if isinstance(axes, (int, _np.integer)):
        axes = int(axes)
        if axes > builtins.min(av.ndim, bv.ndim) or axes < 0:
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {av.shape} and {bv.shape}")
        la, lb = list(range(av.ndim - axes, av.ndim)), list(range(axes))
    else:
        la, lb = axes
        la = [la] if isinstance(la, (int, _np.integer)) else list(la)
        lb = [lb] if isinstance(lb, (int, _np.integer)) else list(lb)
        if len(la) != len(lb):
            raise TypeError(f"tensordot requires axes lists of equal length, got {la} and {lb}")
    la, lb = [_axis(x, av.ndim) for x in la], [_axis(x, bv.ndim) for x in lb]
    for i, j in zip(la, lb):
        _check_contract(av, bv, i, j)
    return lax.dot_general(a, b, ((la, lb), ([], [])), precision=precision)


def kron(a, b):
    a, b = _promote(_arr(a), _arr(b))
    nd = builtins.max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = reshape(b, (1,) * (nd - b.ndim) + b.shape)
    ae = reshape(a, [s for n in a.shape for s in (n, 1)])
    be = reshape(b, [s for n in b.shape for s in (1, n)])
    return reshape(multiply(ae, be), [n * m for n, m in zip(a.shape, b.shape)])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _promote(_arr(a), _arr(b))
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"incompatible dimensions for cross product (dimension must be 2 or 3), "
                         f"got {a.shape[-1]} and {b.shape[-1]}")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else zeros_like(a0)
    b2 = b[..., 2] if b.shape[-1] == 3 else zeros_like(b0)
    c = stack(_broadcast(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), axis=-1)
    return moveaxis(c, -1, axisc)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# -- einsum ------------------------------------------------------------------------------

_EINSUM_LETTERS = _string.ascii_letters


def _einsum_parse(subscripts, operands):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins, out = subscripts, None
    ins = ins.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(operands)} operands")
    used = set(c for s in ins for c in s if c.isalpha())
    free = [c for c in _EINSUM_LETTERS if c not in used]
    n_ell = 0
    for s, op in zip(ins, operands):
        if "..." in s:
            n_ell = builtins.max(n_ell, op.ndim - (len(s) - 3))
    ell = "".join(free[:n_ell])
    terms = []
    for s, op in zip(ins, operands):
        if "..." in s:
            k = op.ndim - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != op.ndim:
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of shape {op.shape}")
        terms.append(s)
    if out is None:
        counts = {}
        for s in terms:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return terms, out


def _einsum_interleaved(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]) as a subscript string."""
    args = list(args)
    out = args.pop() if len(args) % 2 else None

    def letters(sub):
        return "".join("..." if s is Ellipsis else _EINSUM_LETTERS[int(s)] for s in sub)
    ops = args[0::2]
    subs = ",".join(letters(s) for s in args[1::2])
    if out is not None:
        subs += "->" + letters(out)
    return subs, ops


def einsum(subscripts, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None, _dot_general=None):
    """Einstein summation: repeated indices in one operand take diagonals, indices found in
    one operand only are summed, operands are contracted left to right with dot_general."""
    lax.canonicalize_precision(precision)   # validated first, as JAX does
    if not isinstance(subscripts, str):
        subscripts, operands = _einsum_interleaved((subscripts,) + operands)
    operands = _promote(*[_arr(o) for o in operands])
    terms, out_sub = _einsum_parse(subscripts, operands)
    sizes = {}
    for s, op in zip(terms, operands):
        for c, n in zip(s, op.shape):
            if sizes.get(c, 1) == 1:   # size 1 broadcasts (to any size, 0 included)
                sizes[c] = n
            elif n != 1 and sizes[c] != n:
                raise ValueError(f"einsum: size of label {c!r} differs between operands ({sizes[c]} and {n})")
    for c in out_sub:
        if c not in sizes:
            raise ValueError(f"einsum: output label {c!r} does not appear in an input")

    def needed_after(k):
        return set(out_sub).union(*[set(s) for s in terms[k + 1:]])

    def reduce_one(x, s, keep):
        # Diagonals for labels repeated within the operand.
        while True:
            rep = next((c for c in s if s.count(c) > 1), None)
            if rep is None:
                break
            i = s.index(rep)
            j = s.index(rep, i + 1)
            x = diagonal(x, 0, i, j)
            s = "".join(c for k, c in enumerate(s) if k not in (i, j)) + rep
        axes = tuple(i for i, c in enumerate(s) if c not in keep)
        if axes:
            x = lax.reduce_sum(x, axes) if _dt(x) != _np.bool_ else lax.reduce_or(x, axes)
            s = "".join(c for c in s if c in keep)
        # Size-1 dims broadcast against the other operands' sizes.
        target = tuple(sizes[c] for c in s)
        if x.shape != target:
            x = broadcast_to(x, target)
        return x, s

    others = [set().union(*[set(t) for j, t in enumerate(terms) if j != k]) for k in range(len(terms))]
    x, s = reduce_one(operands[0], terms[0], set(out_sub) | others[0])
    for k in range(1, len(operands)):
        y, t = reduce_one(operands[k], terms[k], set(out_sub) | others[k])
        later = needed_after(k)
        common = [c for c in s if c in t]
        batch = [c for c in common if c in later]
        contract = [c for c in common if c not in later]
        x_only = [c for c in s if c not in t and c not in later]
        if x_only:
            x = lax.reduce_sum(x, tuple(s.index(c) for c in x_only))
            s = "".join(c for c in s if c not in x_only)
        x = lax.dot_general(x, y, (([s.index(c) for c in contract], [t.index(c) for c in contract]),
                                   ([s.index(c) for c in batch], [t.index(c) for c in batch])),
                            precision=precision)
        s = "".join(batch) + "".join(c for c in s if c not in common) + \
            "".join(c for c in t if c not in common)
    extra = tuple(i for i, c in enumerate(s) if c not in out_sub)
    if extra:
        x = lax.reduce_sum(x, extra)
        s = "".join(c for c in s if c in out_sub)
    x = lax.transpose(x, tuple(s.index(c) for c in out_sub))
    if preferred_element_type is not None:
        x = x.astype(preferred_element_type)
    return x
