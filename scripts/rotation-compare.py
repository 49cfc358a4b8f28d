"""RaBitQ 1-bit and 4-bit flat-scan recall@10 with two rotations, all else equal: vectro's randomized
Hadamard + Kac rotation (four rounds, docs/quantization.md) against a dense random orthogonal
matrix (QR of a gaussian). float64 numpy model of the estimator, not vectro's code path; the point is
the rotation's effect. Usage: python scripts/rotation-compare.py fixtures/siftsmall"""
import sys, time
import numpy as np

def fvecs(path):
    a = np.fromfile(path, dtype=np.int32)
    d = a[0]
    return a.reshape(-1, d + 1)[:, 1:].view(np.float32).astype(np.float64)

def hadamard_kac(dim, rng):
    p = -(-dim // 64) * 64
    L = 1 << (p.bit_length() - 1)
    signs = rng.integers(0, 2, size=(4, p)) * 2 - 1
    def fwht(x):
        x = x.copy(); h = 1
        while h < x.shape[1]:
            x = x.reshape(x.shape[0], -1, 2 * h)
            a, b = x[:, :, :h].copy(), x[:, :, h:].copy()
            x[:, :, :h], x[:, :, h:] = a + b, a - b
            x = x.reshape(x.shape[0], -1); h *= 2
        return x / np.sqrt(L)
    def apply(x):
        x = np.pad(x, ((0, 0), (0, p - dim)))
        for r in range(4):
            x = x * signs[r]
            s = 0 if r % 2 == 0 else p - L
            x[:, s:s + L] = fwht(x[:, s:s + L])
            if p != L:
                a, b = x[:, :p // 2].copy(), x[:, p // 2:].copy()
                x[:, :p // 2], x[:, p // 2:] = (a + b) / np.sqrt(2), (a - b) / np.sqrt(2)
        return x
    return apply

def dense(dim, rng):
    p = -(-dim // 64) * 64
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    q = q * np.sign(np.diag(r))
    return lambda x: np.pad(x, ((0, 0), (0, p - dim))) @ q.T

def codes(u, bits):
    m = (1 << (bits - 1)) - 1
    w = np.abs(u)
    if m == 0:
        k = np.zeros_like(w)
    else:
        best = np.full(len(u), -np.inf); k = np.zeros_like(w)
        wmax = w.max(1, keepdims=True)
        for s in np.linspace(0.1, 2.0, 80):
            kk = np.minimum(np.floor(s * (m + 1) / wmax * w), m)
            y = kk + 0.5
            c = (y * w).sum(1) / np.sqrt((y * y).sum(1))
            better = c > best; best[better] = c[better]; k[better] = kk[better]
    return np.sign(u + 0.0) * (k + 0.5) + (u == 0) * (k + 0.5)

def recalls(base, queries, rot, bits, K=10, rs=(1, 2, 5, 10)):
    c = base.mean(0)
    u = rot(base - c)
    y = codes(u, bits)
    f = (u * u).sum(1) / (y * u).sum(1)
    n2 = (u * u).sum(1)
    v = rot(queries - c)
    est = n2[None, :] + ((queries - c) ** 2).sum(1)[:, None] - 2 * f[None, :] * (v @ y.T)
    exact = ((queries[:, None, :] - base[None, :, :]) ** 2).sum(2)
    truth = np.argsort(exact, 1)[:, :K]
    out = []
    for r in rs:
        cand = np.argsort(est, 1)[:, :K * r]
        got = np.take_along_axis(cand, np.argsort(np.take_along_axis(exact, cand, 1), 1)[:, :K], 1)
        out.append(np.mean([len(set(a) & set(b)) / K for a, b in zip(got, truth)]))
    return out

d = sys.argv[1] if len(sys.argv) > 1 else 'fixtures/siftsmall'
base, queries = fvecs(f'{d}/siftsmall_base.fvecs'), fvecs(f'{d}/siftsmall_query.fvecs')
for name, make in [('hadamard+kac', hadamard_kac), ('dense', dense)]:
    for bits in (1, 4):
        rows = [recalls(base, queries, make(base.shape[1], np.random.default_rng(seed)), bits) for seed in range(3)]
        t = time.perf_counter(); make(base.shape[1], np.random.default_rng(0))(base); secs = time.perf_counter() - t
        print(f'{name:13s} {bits}-bit recall@10 r=1/2/5/10 (mean of 3 seeds): ' + ' / '.join(f'{x:.3f}' for x in np.mean(rows, 0)) + f'   rotate 10k: {secs*1e3:.0f} ms')
