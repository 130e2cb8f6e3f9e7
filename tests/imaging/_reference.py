"""Independent, deliberately naive numpy references for the imaging tests."""

import numpy as np


def ref_paa(x, size):
    n = len(x)
    out = []
    for k in range(size):
        lo = (k * n) // size
        hi = ((k + 1) * n) // size
        out.append(np.mean(x[lo:hi]))
    return np.array(out)


def ref_scale(x, low=-1.0, high=1.0):
    span = x.max() - x.min()
    if span == 0:
        return np.full_like(x, (low + high) / 2)
    return low + (x - x.min()) / span * (high - low)


def ref_gaf(x, size, method="summation"):
    z = ref_scale(ref_paa(x, size))
    phi = np.arccos(np.clip(z, -1, 1))
    if method == "summation":
        return np.cos(phi[:, None] + phi[None, :])
    return np.sin(phi[:, None] - phi[None, :])


def ref_bins(x, n_bins, strategy):
    if strategy == "quantile":
        edges = [np.percentile(x, 100 * k / n_bins) for k in range(1, n_bins)]
    else:
        width = (x.max() - x.min()) / n_bins
        edges = [x.min() + k * width for k in range(1, n_bins)]
    return np.array([sum(v > e for e in edges) for v in x])


def ref_mtf(x, size, n_bins=8, strategy="quantile"):
    b = ref_bins(x, n_bins, strategy)
    W = np.zeros((n_bins, n_bins))
    for t in range(len(x) - 1):
        W[b[t], b[t + 1]] += 1
    for a in range(n_bins):
        if W[a].sum() > 0:
            W[a] /= W[a].sum()
    n = len(x)
    M = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            M[i, j] = W[b[i], b[j]]
    out = np.empty((size, size))
    for p in range(size):
        for q in range(size):
            rows = slice((p * n) // size, ((p + 1) * n) // size)
            cols = slice((q * n) // size, ((q + 1) * n) // size)
            out[p, q] = M[rows, cols].mean()
    return out


def ref_rp(x, dimension=1, time_delay=1):
    m = len(x) - (dimension - 1) * time_delay
    traj = np.array(
        [[x[i + k * time_delay] for k in range(dimension)] for i in range(m)]
    )
    out = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            out[i, j] = np.sqrt(np.sum((traj[i] - traj[j]) ** 2))
    return out
