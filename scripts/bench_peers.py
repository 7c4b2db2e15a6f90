"""The peers' side of scripts/bench-peers: OpenCV and scikit-image doing the
work genpath's examples/peer_ops.rs does, on the same input files, one
thread; and the table of ratios.

    python bench_peers.py time DIR REPS        one JSON object per line per operation
    python bench_peers.py table RUST PEERS     the Markdown ratio and scaling tables

Each operation is timed REPS times after one warm-up; the median is
reported. `table` takes, per operation, the lowest median over the rounds
the script ran (the quietest moment each side had).
"""

import json
import statistics
import sys
import time
from pathlib import Path

SIDES = [256, 512, 1024, 2048]


def peers(d: Path):
    import cv2
    import numpy as np
    from skimage.metrics import structural_similarity

    cv2.setNumThreads(1)
    cv2.ocl.setUseOpenCL(False)
    png_rgb = np.frombuffer((d / "colour-0-1024.png").read_bytes(), np.uint8)
    png_rgba = np.frombuffer((d / "rgba-1024.png").read_bytes(), np.uint8)
    colour = [cv2.imread(str(d / f"colour-{i}-1024.png"), cv2.IMREAD_COLOR) for i in range(10)]
    grey = {s: [cv2.imread(str(d / f"grey-{i}-{s}.png"), cv2.IMREAD_GRAYSCALE) for i in range(2)] for s in SIDES}
    edges = [cv2.imread(str(d / f"edges-{i}-1024.png"), cv2.IMREAD_GRAYSCALE) for i in range(2)]
    # genpath's tolerance disc, r = 2: the offsets with dx² + dy² ≤ 4.
    yy, xx = np.mgrid[-2:3, -2:3]
    disc = ((xx * xx + yy * yy) <= 4).astype(np.uint8)

    def decode_rgb():
        return cv2.imdecode(png_rgb, cv2.IMREAD_COLOR)

    def decode_rgba():
        # Decode with alpha, then composite over white in integers as genpath does.
        img = cv2.imdecode(png_rgba, cv2.IMREAD_UNCHANGED)
        a = img[:, :, 3:4].astype(np.uint32)
        return ((img[:, :, :3].astype(np.uint32) * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)

    def resize():
        return cv2.resize(colour[0], (512, 512), interpolation=cv2.INTER_AREA)

    def canny(s):
        g = grey[s][0]

        def run():
            b = cv2.GaussianBlur(g, (5, 5), 1.0, borderType=cv2.BORDER_REFLECT)
            return cv2.Canny(b, 50, 100, L2gradient=True)

        return run

    def edge_f1():
        pred, truth = edges
        near_truth = cv2.dilate(truth, disc)
        near_pred = cv2.dilate(pred, disc)
        np_, nt = cv2.countNonZero(pred), cv2.countNonZero(truth)
        tp_p = cv2.countNonZero(cv2.bitwise_and(pred, near_truth))
        tp_t = cv2.countNonZero(cv2.bitwise_and(truth, near_pred))
        p, r = tp_p / np_, tp_t / nt
        return 2 * p * r / (p + r)

    orb = cv2.ORB_create(nfeatures=500)
    bf = cv2.BFMatcher(cv2.NORM_HAMMING)

    def keypoints():
        ka, da = orb.detectAndCompute(cv2.cvtColor(colour[0], cv2.COLOR_BGR2GRAY), None)
        kb, db = orb.detectAndCompute(cv2.cvtColor(colour[1], cv2.COLOR_BGR2GRAY), None)
        good = [m for m, n in bf.knnMatch(da, db, k=2) if m.distance < 0.8 * n.distance]
        if len(good) < 3:
            return 0
        src = np.float32([ka[m.queryIdx].pt for m in good])
        dst = np.float32([kb[m.trainIdx].pt for m in good])
        _, inl = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=5.0, maxIters=400)
        return int(inl.sum()) if inl is not None else 0

    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)

    def identity():
        # The steps of genpath's identity check, per image: shrink to 256
        # then 128, find the subject (here Otsu + the largest connected
        # component's box, a cheaper stand-in for genpath's saliency
        # finder), Lab, k = 5 k-means of the colours around the box, the
        # subject's own pixels (ΔE from those colours), k = 5 k-means of
        # them, a masked 8×4×4 HSV histogram, the background's pHash; then
        # the pairwise palette distances and histogram intersections.
        looks = []
        for img in colour:
            small = cv2.resize(cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA), (128, 128), interpolation=cv2.INTER_AREA)
            g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
            _, bw = cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            n, _, stats, _ = cv2.connectedComponentsWithStats(bw)
            x, y, w, h = stats[1 + int(np.argmax(stats[1:, 4]))][:4] if n > 1 else (0, 0, 128, 128)
            lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
            inside = np.zeros((128, 128), bool)
            inside[y : y + h, x : x + w] = True
            around = lab[~inside].reshape(-1, 3)
            if len(around) < 5:
                around = lab.reshape(-1, 3)
            _, _, bg = cv2.kmeans(around, 5, None, crit, 1, cv2.KMEANS_PP_CENTERS)
            dist = np.min(np.linalg.norm(lab[:, :, None, :] - bg[None, None, :, :], axis=3), axis=2)
            own = inside & (dist > 10.0)
            pts = lab[own].reshape(-1, 3) if own.sum() >= 16 else lab[inside].reshape(-1, 3)
            _, labels, pal = cv2.kmeans(pts, 5, None, crit, 1, cv2.KMEANS_PP_CENTERS)
            share = np.bincount(labels.ravel(), minlength=5) / len(pts)
            hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
            hist = cv2.calcHist([hsv], [0, 1, 2], own.astype(np.uint8), [8, 4, 4], [0, 180, 0, 256, 0, 256])
            hist = hist.ravel() / max(hist.sum(), 1)
            bgimg = small.copy()
            bgimg[inside] = small.reshape(-1, 3).mean(axis=0)
            dct = cv2.dct(cv2.resize(cv2.cvtColor(bgimg, cv2.COLOR_BGR2GRAY), (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32))[:8, :8]
            looks.append((pal, share, hist, (dct > np.median(dct)).ravel()))
        out = []
        for i in range(len(looks)):
            for j in range(i + 1, len(looks)):
                a, b = looks[i], looks[j]
                d = np.linalg.norm(a[0][:, None, :] - b[0][None, :, :], axis=2)
                out.append((a[1] * d.min(axis=1)).sum() + (b[1] * d.min(axis=0)).sum())
                out.append(np.minimum(a[2], b[2]).sum())
        return len(out)

    ga, gb = grey[1024]

    def ssim_cv32():
        # OpenCV's own SSIM recipe (the "Similarity check" tutorial), float32.
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        i1, i2 = ga.astype(np.float32), gb.astype(np.float32)
        blur = lambda m: cv2.GaussianBlur(m, (11, 11), 1.5)
        mu1, mu2 = blur(i1), blur(i2)
        mu1_2, mu2_2, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
        s1 = blur(i1 * i1) - mu1_2
        s2 = blur(i2 * i2) - mu2_2
        s12 = blur(i1 * i2) - mu12
        m = ((2 * mu12 + c1) * (2 * s12 + c2)) / ((mu1_2 + mu2_2 + c1) * (s1 + s2 + c2))
        return float(cv2.mean(m)[0])

    def ssim_sk():
        return structural_similarity(ga, gb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)

    ops = {
        "decode_rgb_1024": decode_rgb,
        "decode_rgba_1024": decode_rgba,
        "resize_1024_to_512": resize,
        "edge_f1_r2_1024": edge_f1,
        "keypoints_pair_1024": keypoints,
        "identity_10x1024": identity,
        "ssim_1024": ssim_cv32,
        "ssim_1024_skimage": ssim_sk,
    }
    for s in SIDES:
        ops[f"canny_{s}"] = canny(s)
    return ops


def time_ops(d: Path, reps: int):
    for name, f in peers(d).items():
        check = f()  # warm-up
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            f()
            times.append((time.perf_counter() - t) * 1e3)
        print(json.dumps({"op": name, "ms": statistics.median(times), "min_ms": min(times), "reps": reps, "check": str(check)[:40]}), flush=True)


def best(path: str):
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            out[r["op"]] = min(out.get(r["op"], float("inf")), r["ms"])
    return out


ROWS = [
    ("decode 1024² PNG, opaque RGB", "decode_rgb_1024", "decode_rgb_1024", "cv2.imdecode"),
    ("decode 1024² PNG with alpha, composited over white", "decode_rgba_1024", "decode_rgba_1024", "cv2.imdecode + NumPy integer compositing"),
    ("resize 1024² → 512² (genpath: triangle, antialiased)", "resize_1024_to_512", "resize_1024_to_512", "cv2.resize INTER_AREA"),
    ("Canny 1024²", "canny_1024", "canny_1024", "cv2.GaussianBlur 5×5 σ 1 + cv2.Canny(50, 100, L2)"),
    ("edge F1, r = 2, 1024²", "edge_f1_r2_1024", "edge_f1_r2_1024", "2× cv2.dilate (same disc) + countNonZero"),
    ("keypoints, one pair 1024²", "keypoints_pair_1024", "keypoints_pair_1024", "ORB(500) + BFMatcher knn + ratio + estimateAffine2D"),
    ("identity, 10 images 1024²", "identity_10x1024", "identity_10x1024", "OpenCV pipeline of the same steps"),
    ("SSIM 1024²", "ssim_1024", "ssim_1024", "OpenCV float32 recipe"),
    ("SSIM 1024²", "ssim_1024", "ssim_1024_skimage", "skimage structural_similarity"),
]


def table(rust_path: str, peers_path: str):
    g, p = best(rust_path), best(peers_path)
    print("| work | genpath ms | peer ms | genpath ÷ peer | peer |")
    print("|---|---:|---:|---:|---|")
    for label, gk, pk, peer in ROWS:
        if gk in g and pk in p:
            print(f"| {label} | {g[gk]:.2f} | {p[pk]:.2f} | **{g[gk] / p[pk]:.2f}×** | {peer} |")
    print()
    print("| Canny | genpath ms | growth | OpenCV ms | growth | genpath ÷ OpenCV |")
    print("|---|---:|---:|---:|---:|---:|")
    prev = None
    for s in SIDES:
        k = f"canny_{s}"
        if k in g and k in p:
            gr = f"{g[k] / g[prev]:.1f}×" if prev else "—"
            pr = f"{p[k] / p[prev]:.1f}×" if prev else "—"
            print(f"| {s}² | {g[k]:.2f} | {gr} | {p[k]:.2f} | {pr} | {g[k] / p[k]:.2f}× |")
            prev = k


if __name__ == "__main__":
    if sys.argv[1] == "time":
        time_ops(Path(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
