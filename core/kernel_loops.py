"""The loops core/kernels.py has numba compile: one block of examples at a time, from W1 · X to dZ1 · Xᵀ.

Plain Python functions, compiled on first use by core.kernels.compile_kernels (so importing this module does
not import numba) and cached on disk by numba, so later starts load the machine code instead of compiling.
Blocks hold examples in the last axis (Zt is H × block) so the per-example loops run along the examples.

The two products come in two versions, chosen when compiling: with 512-bit vectors (AVX-512) `_forward_block`
and `_backward_block`, written with core/lanes.py's vectors; with narrower ones `_forward_plain` and
`_backward_sparse`, plain loops numba vectorises, which are faster there (measured: bench/README.md).
numba's cache of this file does not see changes to core/lanes.py: after changing it, delete
core/__pycache__/kernel_loops.*.nbi.
"""
from __future__ import annotations

import numpy as np

lanes = None        # core/lanes.py, set by core.kernels.compile_kernels (it imports numba)
FASTMATH = {"reassoc", "contract"}   # reorder sums, fuse multiply-adds; NaN and infinity still propagate
# The forward pass asks for the rows of the examples this many positions ahead, so that reading X from memory
# overlaps with the products instead of stalling them (≈ 1 ms of 26 on Fashion-MNIST; from 8 to 192 is the same).
AHEAD = 16


def _forward_block(W1, buf, n, Zt, zero, rows, order, start):
    """Zt[h, k] = W1[h] · x_k for the n examples of a block (batch positions start …), with 512-bit vectors: four
    examples and five hidden units at a time, whose 20 sums stay in registers. The examples' rows go into buf as
    floats while the first five units take them (the backward pass reads them there too), and the rows of the
    examples AHEAD positions on are fetched from memory into the L2 cache meanwhile. (`zero`: _forward_plain's.)"""
    H, P = W1.shape
    m = order.size or rows.shape[0]
    line = 64 // rows.itemsize                  # values per 64-byte cache line
    for k in range(0, n, 4):                    # (the last four may repeat the block's last example: buf has room)
        i0 = order[start + k] if order.size else start + k
        i1 = i0 if k + 1 >= n else (order[start + k + 1] if order.size else start + k + 1)
        i2 = i1 if k + 2 >= n else (order[start + k + 2] if order.size else start + k + 2)
        i3 = i2 if k + 3 >= n else (order[start + k + 3] if order.size else start + k + 3)
        for j in range(start + k + AHEAD, min(start + k + AHEAD + 4, m)):
            i = order[j] if order.size else j
            for p in range(0, P, line):
                lanes.prefetch(rows, i * P + p)
        if H < 5:
            for h in range(H):
                _unit(W1, h, buf, k, Zt, rows, i0, i1, i2, i3, h == 0)
        else:
            # groups of five; the last starts at H − 5 and may take some units again (with the same bits)
            for h in range(0, H, 5):
                _units(W1, min(h, H - 5), buf, k, Zt, rows, i0, i1, i2, i3, h == 0)


def _units(W1, h, buf, k, Zt, rows, i0, i1, i2, i3, convert):
    """Zt[h … h + 4, k … k + 3] from buf's rows k … k + 3, or with convert=True from the rows i0 … i3 of X, which
    then go into buf's rows k … k + 3."""
    P = W1.shape[1]
    L = lanes.count(W1)
    a0 = b0 = c0 = d0 = a1 = b1 = c1 = d1 = a2 = b2 = c2 = d2 = lanes.zeros(W1)
    a3 = b3 = c3 = d3 = a4 = b4 = c4 = d4 = lanes.zeros(W1)
    for p in range(0, P, L):
        if convert:
            w, x, y, z = (lanes.load(rows, i0 * P + p, W1), lanes.load(rows, i1 * P + p, W1),
                          lanes.load(rows, i2 * P + p, W1), lanes.load(rows, i3 * P + p, W1))
            lanes.store(buf, k * P + p, w)
            lanes.store(buf, (k + 1) * P + p, x)
            lanes.store(buf, (k + 2) * P + p, y)
            lanes.store(buf, (k + 3) * P + p, z)
        else:
            w, x, y, z = (lanes.load(buf, k * P + p, W1), lanes.load(buf, (k + 1) * P + p, W1),
                          lanes.load(buf, (k + 2) * P + p, W1), lanes.load(buf, (k + 3) * P + p, W1))
        a0, b0, c0, d0 = _fma4(lanes.load(W1, h * P + p, W1), w, x, y, z, a0, b0, c0, d0)
        a1, b1, c1, d1 = _fma4(lanes.load(W1, (h + 1) * P + p, W1), w, x, y, z, a1, b1, c1, d1)
        a2, b2, c2, d2 = _fma4(lanes.load(W1, (h + 2) * P + p, W1), w, x, y, z, a2, b2, c2, d2)
        a3, b3, c3, d3 = _fma4(lanes.load(W1, (h + 3) * P + p, W1), w, x, y, z, a3, b3, c3, d3)
        a4, b4, c4, d4 = _fma4(lanes.load(W1, (h + 4) * P + p, W1), w, x, y, z, a4, b4, c4, d4)
    _totals(Zt, h, k, a0, b0, c0, d0)
    _totals(Zt, h + 1, k, a1, b1, c1, d1)
    _totals(Zt, h + 2, k, a2, b2, c2, d2)
    _totals(Zt, h + 3, k, a3, b3, c3, d3)
    _totals(Zt, h + 4, k, a4, b4, c4, d4)


def _fma4(v, a, b, c, d, sa, sb, sc, sd):
    """(v · a + sa, v · b + sb, v · c + sc, v · d + sd): one vector times four others, into four sums. (A step of
    both products: a row of W1 times four examples' rows; a unit's dZ1 times four vectors of a row.)"""
    return lanes.fma(v, a, sa), lanes.fma(v, b, sb), lanes.fma(v, c, sc), lanes.fma(v, d, sd)


def _totals(Zt, h, k, a, b, c, d):
    """Zt[h, k … k + 3] = the sums of the lanes of a, b, c and d."""
    Zt[h, k], Zt[h, k + 1], Zt[h, k + 2], Zt[h, k + 3] = lanes.total(a), lanes.total(b), lanes.total(c), lanes.total(d)


def _unit(W1, h, buf, k, Zt, rows, i0, i1, i2, i3, convert):
    """_units for the one hidden unit h (a hidden layer narrower than five units)."""
    P = W1.shape[1]
    L = lanes.count(W1)
    a = b = c = d = lanes.zeros(W1)
    for p in range(0, P, L):
        if convert:
            lanes.store(buf, k * P + p, lanes.load(rows, i0 * P + p, W1))
            lanes.store(buf, (k + 1) * P + p, lanes.load(rows, i1 * P + p, W1))
            lanes.store(buf, (k + 2) * P + p, lanes.load(rows, i2 * P + p, W1))
            lanes.store(buf, (k + 3) * P + p, lanes.load(rows, i3 * P + p, W1))
        v = lanes.load(W1, h * P + p, W1)
        a = lanes.fma(v, lanes.load(buf, k * P + p, W1), a)
        b = lanes.fma(v, lanes.load(buf, (k + 1) * P + p, W1), b)
        c = lanes.fma(v, lanes.load(buf, (k + 2) * P + p, W1), c)
        d = lanes.fma(v, lanes.load(buf, (k + 3) * P + p, W1), d)
    _totals(Zt, h, k, a, b, c, d)


def _forward_plain(W1, buf, n, Zt, zero, rows, order, start):
    """_forward_block for narrower vectors (AVX2 and less): 4 examples × 2 hidden units at a time in plain loops,
    vectorised by numba, with sums in the type of `zero`. Each group's float rows go into buf just before the
    group's products (the backward pass reads them there too), while the rows of the examples AHEAD positions on
    are fetched from memory into the L2 cache."""
    H, P = W1.shape
    m = order.size or rows.shape[0]
    pairs = H // 2
    line = 64 // rows.itemsize                  # values per 64-byte cache line
    k = 0
    while k + 4 <= n:
        for j in range(k, k + 4):               # (a call per row here costs 0.7 ms per iteration)
            i = order[start + j] if order.size else start + j
            for p in range(P):
                buf[j, p] = rows[i, p]
        h = 0
        while h + 2 <= H:
            # one row of the group AHEAD positions on per pair of units (the last pair takes what is left)
            ahead = start + k + AHEAD + h // 2
            last = ahead + 1 if h // 2 < pairs - 1 else start + k + AHEAD + 4
            for j in range(ahead, min(last, m)):
                i = order[j] if order.size else j
                for p in range(0, P, line):
                    lanes.prefetch(rows, i * P + p)
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = zero
            for p in range(P):
                w0 = W1[h, p]
                w1 = W1[h + 1, p]
                x0 = buf[k, p]
                x1 = buf[k + 1, p]
                x2 = buf[k + 2, p]
                x3 = buf[k + 3, p]
                a00 += w0 * x0
                a01 += w0 * x1
                a02 += w0 * x2
                a03 += w0 * x3
                a10 += w1 * x0
                a11 += w1 * x1
                a12 += w1 * x2
                a13 += w1 * x3
            Zt[h, k], Zt[h, k + 1], Zt[h, k + 2], Zt[h, k + 3] = a00, a01, a02, a03
            Zt[h + 1, k], Zt[h + 1, k + 1], Zt[h + 1, k + 2], Zt[h + 1, k + 3] = a10, a11, a12, a13
            h += 2
        if h < H:
            for j in range(k, k + 4):
                a = zero
                for p in range(P):
                    a += W1[h, p] * buf[j, p]
                Zt[h, j] = a
        k += 4
    for j in range(k, n):
        i = order[start + j] if order.size else start + j
        for p in range(P):
            buf[j, p] = rows[i, p]
        for h in range(H):
            a = zero
            for p in range(P):
                a += W1[h, p] * buf[j, p]
            Zt[h, j] = a


def _backward_block(dZt, buf, n, acc, sums, active):
    """acc[h] += Σ_k dZt[h, k] · buf[k] for the n examples of a block (acc in float64, the sums in the training
    dtype), with 512-bit vectors: five hidden units and four vectors of the rows at a time (the rest one unit at a
    time), whose 20 sums stay in registers while the examples go by, and are then added to acc.

    Every example, also where a unit's dZ1 is 0 (with ReLU, most of them), as adding 0 · x changes nothing:
    skipping them (_backward_sparse) reads each row once per unit instead of once per five, which is slower when
    the vectors are this wide. (`sums` and `active` are _backward_sparse's.)"""
    H, P = acc.shape
    L = lanes.count(buf)
    for first in range(0, P, 4 * L):
        vectors = min(4, (P - first) // L)          # (the rows' last vectors may be fewer than four)
        for h in range(0, H - 4, 5):
            _backward_units(dZt, buf, n, acc, h, 5, first, vectors)
        for h in range(H - H % 5, H):
            _backward_units(dZt, buf, n, acc, h, 1, first, vectors)


def _backward_units(dZt, buf, n, acc, h, units, first, vectors):
    """acc[h … h + units − 1, first …] += Σ_k dZt[h …, k] · buf[k, first …] over `vectors` vectors (1 … 4) and
    `units` units (5 or 1)."""
    P = acc.shape[1]
    L = lanes.count(buf)
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = lanes.zeros(buf)
    s30 = s31 = s32 = s33 = s40 = s41 = s42 = s43 = lanes.zeros(buf)
    for k in range(n):
        at = k * P + first
        x0 = lanes.load(buf, at, buf)
        x1 = lanes.load(buf, at + L, buf) if vectors > 1 else x0
        x2 = lanes.load(buf, at + 2 * L, buf) if vectors > 2 else x0
        x3 = lanes.load(buf, at + 3 * L, buf) if vectors > 3 else x0
        s00, s01, s02, s03 = _fma4(lanes.splat(dZt[h, k], buf), x0, x1, x2, x3, s00, s01, s02, s03)
        if units == 5:
            s10, s11, s12, s13 = _fma4(lanes.splat(dZt[h + 1, k], buf), x0, x1, x2, x3, s10, s11, s12, s13)
            s20, s21, s22, s23 = _fma4(lanes.splat(dZt[h + 2, k], buf), x0, x1, x2, x3, s20, s21, s22, s23)
            s30, s31, s32, s33 = _fma4(lanes.splat(dZt[h + 3, k], buf), x0, x1, x2, x3, s30, s31, s32, s33)
            s40, s41, s42, s43 = _fma4(lanes.splat(dZt[h + 4, k], buf), x0, x1, x2, x3, s40, s41, s42, s43)
    _add_sums(acc, h * P + first, L, vectors, s00, s01, s02, s03)
    if units == 5:
        _add_sums(acc, (h + 1) * P + first, L, vectors, s10, s11, s12, s13)
        _add_sums(acc, (h + 2) * P + first, L, vectors, s20, s21, s22, s23)
        _add_sums(acc, (h + 3) * P + first, L, vectors, s30, s31, s32, s33)
        _add_sums(acc, (h + 4) * P + first, L, vectors, s40, s41, s42, s43)


def _backward_sparse(dZt, buf, n, acc, sums, active):
    """_backward_block for narrower vectors (AVX2 and less), where skipping the examples with dZ1 = 0 is faster:
    one hidden unit and eight active examples at a time (the last few four, then one at a time), into sums
    (in the training dtype, zeros before and after), then added to acc. Plain loops, vectorised by numba."""
    H, P = sums.shape
    for h in range(H):
        count = 0
        for k in range(n):
            active[count] = k
            count += dZt[h, k] != 0
        j = 0
        while j + 8 <= count:
            k0, k1, k2, k3 = active[j], active[j + 1], active[j + 2], active[j + 3]
            k4, k5, k6, k7 = active[j + 4], active[j + 5], active[j + 6], active[j + 7]
            d0, d1, d2, d3 = dZt[h, k0], dZt[h, k1], dZt[h, k2], dZt[h, k3]
            d4, d5, d6, d7 = dZt[h, k4], dZt[h, k5], dZt[h, k6], dZt[h, k7]
            for p in range(P):
                sums[h, p] += (((d0 * buf[k0, p] + d1 * buf[k1, p]) + (d2 * buf[k2, p] + d3 * buf[k3, p]))
                               + ((d4 * buf[k4, p] + d5 * buf[k5, p]) + (d6 * buf[k6, p] + d7 * buf[k7, p])))
            j += 8
        if j + 4 <= count:
            k0, k1, k2, k3 = active[j], active[j + 1], active[j + 2], active[j + 3]
            d0, d1, d2, d3 = dZt[h, k0], dZt[h, k1], dZt[h, k2], dZt[h, k3]
            for p in range(P):
                sums[h, p] += (d0 * buf[k0, p] + d1 * buf[k1, p]) + (d2 * buf[k2, p] + d3 * buf[k3, p])
            j += 4
        while j < count:
            k0 = active[j]
            d0 = dZt[h, k0]
            for p in range(P):
                sums[h, p] += d0 * buf[k0, p]
            j += 1
        for p in range(P):
            acc[h, p] += sums[h, p]
            sums[h, p] = 0


def _add_sums(acc, at, L, vectors, s0, s1, s2, s3):
    """acc.flat[at …] += s0, s1, … (the first `vectors` of them)."""
    lanes.add_into(acc, at, s0)
    if vectors > 1:
        lanes.add_into(acc, at + L, s1)
    if vectors > 2:
        lanes.add_into(acc, at + 2 * L, s2)
    if vectors > 3:
        lanes.add_into(acc, at + 3 * L, s3)


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01     # ln 2 in two parts (fdlibm's): j · _LN2_HI is exact for |j| < 2¹¹
_LN2_LO = 1.90821492927058770002e-10
_EXP_LOW = -708.0                        # below it exp is subnormal or 0: np.exp takes those (and NaN)


def _exp_shifted(Z2, tops, n, E, bits):
    """E[o, k] = exp(Z2[o, k] − tops[k]) (≤ 0: tops is the column's maximum) for the n examples of a block, in
    float64 within an ulp of np.exp: 2^j · e^r with j = round(x / ln 2), r = x − j · ln 2 (|r| ≤ ln 2 / 2) and e^r
    by its Taylor polynomial of degree 13 (error < 10⁻¹⁷). Plain arithmetic, so it runs 4–8 examples at a time
    where np.exp takes one (3 of an iteration's 35 ms on Fashion-MNIST); np.exp itself below −708, and for NaN."""
    O = Z2.shape[0]
    scales = bits.view(np.float64)                  # 2^j, made from its bits
    for o in range(O):
        for k in range(n):
            x = Z2[o, k] - tops[k]
            x = x if x > _EXP_LOW else _EXP_LOW     # (and NaN: both done again below)
            j = np.floor(x * _LOG2E + 0.5)
            r = (x - j * _LN2_HI) - j * _LN2_LO
            e = 1.0 / 6227020800.0
            e = e * r + 1.0 / 479001600.0
            e = e * r + 1.0 / 39916800.0
            e = e * r + 1.0 / 3628800.0
            e = e * r + 1.0 / 362880.0
            e = e * r + 1.0 / 40320.0
            e = e * r + 1.0 / 5040.0
            e = e * r + 1.0 / 720.0
            e = e * r + 1.0 / 120.0
            e = e * r + 1.0 / 24.0
            e = e * r + 1.0 / 6.0
            e = e * r + 0.5
            e = e * r + 1.0
            E[o, k] = e * r + 1.0
            bits[o, k] = (np.int64(j) + 1023) << 52
        for k in range(n):
            E[o, k] *= scales[o, k]
        for k in range(n):
            x = Z2[o, k] - tops[k]
            if not _EXP_LOW <= x <= 0.0:
                E[o, k] = np.exp(x)


def _chunk(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, first, end,
           dW1c, db1c, dW2c, db2c, sums, Z1o, A1o, Z2o, A2o, dZ2o, dZ1o):
    """Add the sums of examples first … end−1 of the batch to dW1c, db1c, dW2c, db2c and sums; and, unless they
    are empty, write their columns of Z1, A1, Z2, A2, dZ2 and dZ1 (in the training dtype) to Z1o … dZ1o."""
    H, P = W1.shape
    O = W2.shape[0]
    keep = Z1o.shape[1] > 0
    buf = _aligned(block + 3, P, W1.dtype)        # (+ 3: see _forward_block)
    Zt = np.empty((H, block + 3), W1.dtype)
    dZt = np.empty((H, block), W1.dtype)
    active = np.empty(block, np.int64)
    unit_sums = np.zeros((0 if lanes.BYTES == 64 else H, P), W1.dtype)    # (_backward_sparse's only)
    A1 = np.empty((H, block))
    G = np.empty((H, block))       # g'(Z1)
    Z2 = np.empty((O, block))
    dZ2 = np.empty((O, block))
    bits = np.empty((O, block), np.int64)
    lab = np.empty(block, np.int64)
    best = np.empty(block, np.int64)     # the predicted class, per example
    tops = np.empty(block)           # max over the outputs, per example
    totals = np.empty(block)         # Σ exp(Z2 − max), per example
    for start in range(first, end, block):
        n = min(block, end - start)
        for k in range(n):
            lab[k] = labels[order[start + k] if order.size else start + k]
        _forward_block(W1, buf, n, Zt, zero, rows, order, start)
        # A1 = g(Z1) and g'(Z1), in float64; one loop per activation, so that each runs along the examples
        z1_sum = 0.0
        for h in range(H):
            for k in range(n):
                z = Zt[h, k] * scale + b1[h]
                z1_sum += abs(z)
                A1[h, k] = z
        if keep:
            _copy_block(A1, Z1o, n, start)
        if activation == 0:
            for h in range(H):
                for k in range(n):
                    z = A1[h, k]
                    G[h, k] = 1.0 if z > 0 else 0.0
                    A1[h, k] = z if z > 0 else 0.0
        elif activation == 1:
            for h in range(H):
                for k in range(n):
                    z = A1[h, k]
                    G[h, k] = 1.0 if z > 0 else 0.01
                    A1[h, k] = z if z > 0 else 0.01 * z
        elif activation == 2:
            for h in range(H):
                for k in range(n):
                    s = 0.5 * (1.0 + np.tanh(0.5 * A1[h, k]))
                    A1[h, k] = s
                    G[h, k] = s * (1.0 - s)
        else:
            for h in range(H):
                for k in range(n):
                    t = np.tanh(A1[h, k])
                    A1[h, k] = t
                    G[h, k] = 1.0 - t * t
        sums[2] += z1_sum
        if keep:
            _copy_block(A1, A1o, n, start)
        z2_sum = 0.0
        # Z2 = W2 · A1 + b2
        for o in range(O):
            for k in range(n):
                Z2[o, k] = b2[o]
            for h in range(H):
                w = W2[o, h]
                for k in range(n):
                    Z2[o, k] += w * A1[h, k]
            for k in range(n):
                z2_sum += abs(Z2[o, k])
        sums[3] += z2_sum
        # A2 = softmax(Z2), the loss, the prediction, dZ2 = A2 − Y; row by row, so the loops run along the examples
        for k in range(n):
            tops[k] = Z2[0, k]
            totals[k] = 0.0
        for o in range(1, O):
            for k in range(n):
                tops[k] = max(tops[k], Z2[o, k])
        _exp_shifted(Z2, tops, n, dZ2, bits)
        for o in range(O):
            for k in range(n):
                totals[k] += dZ2[o, k]
        # the loss: Σ (top + log(total) − Z2 at the label); the logs as the logs of products of 64 totals (each
        # total is in [1, O]: 10⁶⁴ at most), so a few calls of np.log instead of one per example
        for run in range(0, n, 64):
            product = 1.0
            for k in range(run, min(n, run + 64)):
                product *= totals[k]
            sums[0] += np.log(product)
        loss = 0.0
        for k in range(n):
            loss += tops[k] - Z2[lab[k], k]
        sums[0] += loss
        # the prediction, the first maximum as argmax takes it (a NaN column: O − 1, and the caller falls back)
        for k in range(n):
            best[k] = O - 1
        for o in range(O - 2, -1, -1):
            for k in range(n):
                best[k] = o if Z2[o, k] == tops[k] else best[k]
        correct = 0
        for k in range(n):
            correct += best[k] == lab[k]
        sums[1] += correct
        for k in range(n):
            totals[k] = 1.0 / totals[k]             # one division per example, then products
        for o in range(O):
            for k in range(n):
                dZ2[o, k] = dZ2[o, k] * totals[k]
        if keep:
            _copy_block(Z2, Z2o, n, start)
            _copy_block(dZ2, A2o, n, start)         # dZ2 holds A2 until the next line
        for k in range(n):
            dZ2[lab[k], k] -= 1.0
        if keep:
            _copy_block(dZ2, dZ2o, n, start)
        # dW2 += dZ2 · A1ᵀ, db2 += Σ dZ2
        for o in range(O):
            total = 0.0
            for k in range(n):
                total += dZ2[o, k]
            db2c[o] += total
            for h in range(H):
                total = 0.0
                for k in range(n):
                    total += dZ2[o, k] * A1[h, k]
                dW2c[o, h] += total
        # dZ1 = W2ᵀ · dZ2 ⊙ g'(Z1), db1 += Σ dZ1
        for h in range(H):
            for k in range(n):
                A1[h, k] = 0.0             # A1 is no longer needed: reuse it for W2ᵀ · dZ2
            for o in range(O):
                w = W2[o, h]
                for k in range(n):
                    A1[h, k] += w * dZ2[o, k]
            for k in range(n):
                d = A1[h, k] * G[h, k]
                A1[h, k] = d
                dZt[h, k] = d
            # A sum in a loop of its own, that only reads: in a loop that also stores, the compiled code checks
            # at run time whether the arrays overlap and may take a scalar path that sums in another order,
            # which would make the bits depend on where the arrays happen to lie in memory.
            total = 0.0
            for k in range(n):
                total += A1[h, k]
            db1c[h] += total
        if keep:
            _copy_block(dZt, dZ1o, n, start)
        # dW1 += dZ1 · Xᵀ for this block (its sums in the training dtype, added to the float64 sum dW1c)
        _backward_block(dZt, buf, n, dW1c, unit_sums, active)


def _aligned(rows, columns, dtype):
    """An uninitialised C array (rows, columns) that starts on a 64-byte boundary, as a cache line does: a vector
    load that straddles two lines takes twice as long. (Rows of 784 floats then start on one too.)"""
    flat = np.empty(rows * columns + 64, dtype)
    skip = (64 - flat.ctypes.data % 64) % 64 // flat.itemsize
    return flat[skip:skip + rows * columns].reshape((rows, columns))


def _copy_block(block, out, n, start):
    """out[:, start:start + n] = block[:, :n] (a block's per-example values into the batch-wide array)."""
    for r in range(block.shape[0]):
        for k in range(n):
            out[r, start + k] = block[r, k]


def _fused_chunks(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, bounds,
                  dW1c, db1c, dW2c, db2c, sums, Z1o, A1o, Z2o, A2o, dZ2o, dZ1o):
    """_chunk for each chunk (index, first, end) of bounds: one call, so one thread takes the interpreter once
    for all its chunks."""
    for c in range(bounds.shape[0]):
        i = bounds[c, 0]
        _chunk(rows, order, labels, W1, b1, W2, b2, zero, scale, activation, block, bounds[c, 1], bounds[c, 2],
               dW1c[i], db1c[i], dW2c[i], db2c[i], sums[i], Z1o, A1o, Z2o, A2o, dZ2o, dZ1o)
