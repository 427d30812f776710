#!/usr/bin/python3
"""The propagation pipeline of lib/propagate in numpy + scipy, the reference for bench/main.go.

Reads DIR/x.npy (N×D float32) and DIR/labels.csv (index,label), runs
  nn:       Eq. 5 voting: the K = min(n_labelled, 200) most similar labelled rows (a labelled
            row never votes for itself), weights exp(cos/0.1) / n_labels(class), argmax;
  spectral: kNN graph (K = 20, self included) by blocked X·Xᵀ, affinity exp(-(1-cos)/0.2),
            W = (S+Sᵀ)/2 without self-loops, the η = 200 smallest eigenpairs of
            L_sym = I − D^-1/2 W D^-1/2 by scipy.sparse.linalg.eigsh, the degree-balanced ±1
            prior and logits E·Λ⁻¹·Eᵀ·Q as propagate.SpectralPrior / SpectralLogits do;
writes DIR/pred_<method>.csv (index,label, all rows; labelled rows keep their label) and prints
a JSON map method → seconds, timing propagation only (after the files are read).
sklearn's NearestNeighbors is used for the kNN graph when it can be imported.
"""
import argparse
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as sla

try:
    from sklearn.neighbors import NearestNeighbors
except ImportError:
    NearestNeighbors = None

ROW_BLOCK = 1024


def normalize(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def vote(xn, idx, lab, classes, k=200, temperature=0.1):
    """Eq. 5 vote shares' argmax for every row."""
    n = xn.shape[0]
    xl = xn[idx]
    nl = len(idx)
    class_count = np.bincount(lab, minlength=classes).astype(np.float64)
    pos = np.full(n, -1)
    pos[idx] = np.arange(nl)
    kk = min(nl, k)
    out = np.empty(n, dtype=np.int64)
    for r0 in range(0, n, ROW_BLOCK):
        r1 = min(r0 + ROW_BLOCK, n)
        s = xn[r0:r1] @ xl.T  # rows × labelled
        self_rows = np.nonzero(pos[r0:r1] >= 0)[0]
        s[self_rows, pos[r0:r1][self_rows]] = -np.inf
        top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        ts = np.take_along_axis(s, top, axis=1).astype(np.float64)
        smax = ts.max(axis=1, keepdims=True)
        w = np.exp((ts - smax) / temperature)  # exp(-inf) = 0 drops the self entry
        cls = lab[top]
        w /= class_count[cls]
        z = np.zeros((r1 - r0, classes))
        np.add.at(z, (np.repeat(np.arange(r1 - r0), kk), cls.ravel()), w.ravel())
        out[r0:r1] = z.argmax(axis=1)
    return out


def knn_graph(xn, k):
    """Indices and cosine similarities of each row's k−1 nearest other rows."""
    n = xn.shape[0]
    if NearestNeighbors is not None:
        nn = NearestNeighbors(n_neighbors=k, algorithm="brute", metric="cosine").fit(xn)
        dist, ind = nn.kneighbors(xn)
        sim = 1 - dist
        keep = ind != np.arange(n)[:, None]
        ind = np.where(keep, ind, -1)
        return ind, sim
    ind = np.empty((n, k - 1), dtype=np.int64)
    sim = np.empty((n, k - 1), dtype=np.float32)
    for r0 in range(0, n, ROW_BLOCK):
        r1 = min(r0 + ROW_BLOCK, n)
        s = xn[r0:r1] @ xn.T
        s[np.arange(r1 - r0), np.arange(r0, r1)] = -np.inf  # self is added back as a self-loop, then dropped
        top = np.argpartition(-s, k - 2, axis=1)[:, : k - 1]
        ind[r0:r1] = top
        sim[r0:r1] = np.take_along_axis(s, top, axis=1)
    return ind, sim


def spectral(xn, idx, lab, classes, k=20, eta=200, temperature=0.2, seed=1):
    n = xn.shape[0]
    ind, sim = knn_graph(xn, k)
    rows = np.repeat(np.arange(n), ind.shape[1])
    cols = ind.ravel()
    vals = np.exp(-(1 - sim.ravel().astype(np.float64)) / temperature)
    ok = (cols >= 0) & (cols != rows)  # self-loops are dropped, as propagate.Affinity does
    s = sp.csr_matrix((vals[ok], (rows[ok], cols[ok])), shape=(n, n))
    w = ((s + s.T) / 2).tocsr()
    deg = np.asarray(w.sum(axis=1)).ravel()
    ncomp, _ = csgraph.connected_components(w, directed=False)
    dinv = sp.diags(1 / np.sqrt(deg))
    a = (dinv @ w @ dinv).tocsr()
    # The smallest eigenvalues of L_sym = I − A are 1 − the largest of A.
    rng = np.random.default_rng(seed)
    mu, vec = sla.eigsh(a, k=min(eta, n - 1), which="LA", tol=1e-6, v0=rng.standard_normal(n))
    values = 1 - mu
    order = np.argsort(values)
    values, vec = values[order], vec[:, order]
    # The first ncomp pairs span the null space (one exact zero per component).
    null = np.zeros(len(values), dtype=bool)
    null[: min(ncomp, len(values))] = True
    smallest = values[~null].min() if (~null).any() else 1.0
    weights = np.where(null, 0.0, 1 / np.where(null, 1, values))
    if ncomp > 1:
        weights[null] = 1 / (1e-3 * smallest)
    # Degree-balanced ±1 prior, L2-normalised per column (propagate.SpectralPrior).
    q = np.zeros((n, classes))
    for c in range(classes):
        pos_mask = lab == c
        p, m = deg[idx[pos_mask]].sum(), deg[idx[~pos_mask]].sum()
        r = p / m
        v = np.where(pos_mask, np.sqrt(deg[idx] / r), -np.sqrt(deg[idx] * r))
        q[idx, c] = v / np.linalg.norm(v)
    logits = vec @ (weights[:, None] * (vec.T @ q))
    norms = np.linalg.norm(logits, axis=0)
    logits = logits / np.where(norms > 0, norms, 1) * np.sqrt(n)
    return logits.argmax(axis=1), ncomp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--methods", default="nn,spectral")
    args = ap.parse_args()
    x = np.load(f"{args.dir}/x.npy")
    labels = np.loadtxt(f"{args.dir}/labels.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    idx, lab = labels[:, 0], labels[:, 1]
    classes = int(lab.max()) + 1
    seconds = {}
    for method in args.methods.split(","):
        start = time.perf_counter()
        xn = normalize(x)
        if method == "nn":
            pred = vote(xn, idx, lab, classes)
        elif method == "spectral":
            pred, ncomp = spectral(xn, idx, lab, classes)
            print(f"scipy spectral: {ncomp} connected components", file=sys.stderr)
        else:
            sys.exit(f"unknown method {method!r}")
        pred[idx] = lab
        seconds[method] = time.perf_counter() - start
        print(f"scipy {method}: {seconds[method]:.2f} s", file=sys.stderr)
        with open(f"{args.dir}/pred_{method}.csv", "w") as f:
            f.write("index,label\n")
            f.writelines(f"{i},{y}\n" for i, y in enumerate(pred))
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
