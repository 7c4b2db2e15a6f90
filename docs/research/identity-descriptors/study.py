"""Can hand-made descriptors tell a one-intruder set (4 + 1) from a set of
one subject? Leave-one-identity-out logistic regression over the odd one
out of every descriptor the identity check could use.

Input: /tmp/ident.json, written by
  cargo test --lib identity_descriptor_study -- --ignored
Run: python3 study.py   (numpy)"""
import itertools, json, sys
import numpy as np

D = json.load(open(sys.argv[1] if len(sys.argv) > 1 else '/tmp/ident.json'))
imgs = D['images']
groups = []
for i, im in enumerate(imgs):
    if not groups or groups[-1][0] != im['group']:
        groups.append((im['group'], []))
    groups[-1][1].append(i)
ident = {}
for g, _ in groups:
    name = g.split('/')[1]
    ident[g] = next((k for k in ('face', 'statue', 'warrior') if k in name), g)
M = {k: np.array(v) for k, v in D.items() if k != 'images'}
# Distances, larger = less alike.
M['hist'] = 1 - M['hist']
M['kp'] = -np.log1p(M['kp'])
M['lbp'] = np.sqrt(M['lbp'])
M['hog'] = np.sqrt(M['hog'])
same = [s for _, s in groups]
intr = [(ia[:4] + [ib[0]], ga, gb) for ga, ia in groups for gb, ib in groups if ident[ga] != ident[gb]]

def odd(m, s):
    return max((np.median([m[i, j] for j in s if j != i]), i) for i in s)

def med(m, s):
    return np.median([m[i, j] for i, j in itertools.combinations(s, 2)])

def auc(pos, neg):
    return np.mean([(p < q) + 0.5 * (p == q) for p in pos for q in neg])

def features(s, keys):
    f = []
    for k in keys:
        v, i = odd(M[k], s)
        f += [v, med(M[k], [j for j in s if j != i])]
    return f

def fit(X, y, l2=1e-2):
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.c_[(X - mu) / sd, np.ones(len(X))]
    w = np.zeros(Z.shape[1])
    cw = np.where(y == 0, len(y) / (2 * (y == 0).sum()), len(y) / (2 * (y == 1).sum()))
    for _ in range(3000):
        p = 1 / (1 + np.exp(-Z @ w))
        w -= 0.5 * (Z.T @ ((p - y) * cw) / len(y) + l2 * np.r_[w[:-1], 0])
    return lambda X2: np.c_[(X2 - mu) / sd, np.ones(len(X2))] @ w

ids = sorted(set(ident.values()))
print(f"{len(same)} same-subject sets, {len(intr)} one-intruder sets\n")
print("one descriptor's odd one out, ROC AUC same vs one intruder:")
for k in sorted(M):
    print(f"  {k:8s} {auc([odd(M[k], s)[0] for s in same], [odd(M[k], s)[0] for s, _, _ in intr]):.3f}")
print("\nleave-one-identity-out logistic regression (odd one out + the others' median):")
print("  at the score that passes 19 of 23 same sets (the check's 80%):")
for keys in (['palette', 'layout'], ['palette', 'layout', 'hist'], ['palette', 'layout', 'hist', 'lbp'],
             ['palette', 'layout', 'hist', 'lbp', 'chroma', 'hog', 'aspect', 'fill', 'kp']):
    X = np.array([features(s, keys) for s in same] + [features(s, keys) for s, _, _ in intr])
    y = np.r_[np.zeros(len(same)), np.ones(len(intr))]
    grp = [{ident[g]} for g, _ in groups] + [{ident[a], ident[b]} for _, a, b in intr]
    sc = np.zeros(len(y))
    for hold in ids:
        test = np.array([hold in g for g in grp])
        sc[test] = fit(X[~test], y[~test])(X[test])
    ps, ns = np.sort(sc[y == 0]), sc[y == 1]
    print(f"  {'+'.join(keys):55s} AUC {auc(ps, ns):.3f}  intruders pass {np.mean(ns <= ps[18]) * 100:.1f}%")
