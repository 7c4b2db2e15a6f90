"""Classical subject finder (prototype for a Rust port).

find_subject(rgb) -> Result(box=(x, y, w, h), confidence, has_subject, debug)

No neural network, no learned weights.  Every constant used is defined in the
CONSTANTS block below and listed in RESULTS.md.  The algorithm:

  0. detect uniform letterbox / pillarbox bars at full resolution and crop them
  1. area-average downscale of the content to <= 128 px long side
  2. sRGB -> CIE Lab (D65), Gaussian blur sigma 1 px
  3. cue A: minimum barrier distance (MBD) from the image border, per Lab channel, summed
     cue B: per-side border palette distance d_k(p) (Lab distance to the nearest colour
            present in the strip along side k); BN = min_k d_k
     band factor: a colour present on BOTH the left and right strips (or both top and
            bottom) belongs to a band that crosses the frame (horizon, sea, wall) -> suppressed
     saliency s = normalise(normalise(MBD) + 1.5 * normalise(BN)) * band, rescaled to max 1
  4. candidate masks at thresholds 0.05..0.35; per threshold keep the dominant
     connected component(s) (saliency mass x centre weight); box = robust percentile extent
  5. choose the candidate box with the best centre-surround contrast
     mean_in(s) - 2 * mean_ring(s), times a mild centre prior on the box centre
  6. confidence = [colour barrier between box and ring (raw MBD, Lab units)] x
                  [mask outline lies on real edges (contour gradient / median gradient)]

Dependencies: numpy, scipy.ndimage, Pillow (resize only).  numba is used, if installed,
only to speed up the two pixel loops (MBD raster scan); the pure-Python fallback
gives identical results.
"""
from dataclasses import dataclass, field
import numpy as np
from scipy import ndimage as ndi
from PIL import Image

try:  # optional accelerator for the prototype; the algorithm does not depend on it
    import numba
    _njit = numba.njit(cache=True)
except Exception:  # pragma: no cover
    def _njit(f):
        return f

# ----------------------------------------------------------------------------- CONSTANTS
# step 0: bars
BAR_MAX_FRAC = 0.35        # a bar may cover at most 35% of the image on one side
BAR_LINE_TOL = 12          # a bar line: >= BAR_LINE_INLIERS of its pixels within this
BAR_LINE_INLIERS = 0.98    #   (max over R,G,B abs diff, 0..255) of the bar colour
BAR_MIN_LINES = 2          # bars thinner than 2 px are ignored
BAR_CONTENT_DIFF = 24      # the first content line must differ from the bar colour by more
BAR_CONTENT_FRAC = 0.7     #   than this (max channel diff) on >= 70% of its pixels
# step 1-2: analysis image
ANALYSIS_LONG_SIDE = 128
BLUR_SIGMA = 1.0
# step 3: cues
MBD_PASSES = 3             # raster scan passes: forward, backward, forward
STRIP_DIV = 32             # border strip width = max(2, round(long_side / 32)) = 4 px at 128
PALETTE_ROUND = 2.0        # strip colours rounded to multiples of 2 Lab units, then deduplicated
W_MBD = 1.0
W_BN = 1.5
BAND_TAU = 12.0            # Lab units; band factor = clip(min(max(dL,dR), max(dT,dB)) / 12, 0, 1)
NORM_LO_PCT, NORM_HI_PCT = 1.0, 99.5   # robust min-max normalisation of each cue
# step 4: candidates
THRESHOLDS = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30)
COMP_CENTRE_SIGMA = 0.25   # centre weight of a component: exp(-d^2 / (2*0.25^2)), d in image units
COMP_KEEP = 0.3            # keep every component whose score >= 0.3 x best score
EXTENT_PCT = 0.25          # box = [0.25, 99.75] percentiles of kept pixel coordinates
# step 5: choice
RING_FRAC = 0.10           # ring width = 10% of the box width/height on each side
RING_WEIGHT = 2.0          # score = mean_in - 2 * mean_ring
BOX_CENTRE_SIGMA = 0.20    # score *= exp(-(bx^2+by^2) / (2*0.2^2)) when score > 0
# step 6: confidence = ramp(mbd_contrast; 2, 10) * ramp(edge_ratio; 1.3, 2.0)
CONF_MBD_LO, CONF_MBD_HI = 2.0, 10.0     # Lab units: mean MBD in box - mean MBD in ring
CONF_EDGE_LO, CONF_EDGE_HI = 1.3, 2.0    # mean gradient on mask contour / (median gradient + 1)
CONF_THRESHOLD = 0.15      # has_subject = confidence >= 0.15  (see RESULTS.md)


@dataclass
class Result:
    box: tuple                  # (x, y, w, h) in input pixel coordinates
    confidence: float           # 0..1
    has_subject: bool
    debug: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- step 0
def _bar_run(lines):
    """lines: (n, m, 3) uint8 array, lines[0] is the outermost line. Returns (count, colour)."""
    n = lines.shape[0]
    first = np.median(lines[0].astype(np.int16), axis=0)
    k = 0
    while k < n:
        d = np.abs(lines[k].astype(np.int16) - first).max(axis=1)
        if (d <= BAR_LINE_TOL).mean() < BAR_LINE_INLIERS:
            break
        k += 1
    return k, first


def detect_bars(rgb):
    """Returns (top, bottom, left, right) bar thicknesses in pixels (0 = no bar)."""
    H, W = rgb.shape[:2]
    out = []
    views = [rgb, rgb[::-1], rgb.transpose(1, 0, 2), rgb.transpose(1, 0, 2)[::-1]]
    limits = [H, H, W, W]
    for v, lim in zip(views, limits):
        maxk = int(BAR_MAX_FRAC * lim)
        k, col = _bar_run(v[:maxk + 1])
        ok = BAR_MIN_LINES <= k <= maxk
        if ok:  # the content next to the bar must look different from the bar
            nxt = v[k:k + 2].reshape(-1, 3).astype(np.int16)
            diff = np.abs(nxt - col).max(axis=1) > BAR_CONTENT_DIFF
            ok = diff.mean() >= BAR_CONTENT_FRAC
        out.append(k if ok else 0)
    return tuple(out)


# ----------------------------------------------------------------------------- steps 1-2
def downscale(rgb, long_side=ANALYSIS_LONG_SIDE):
    H, W = rgb.shape[:2]
    s = long_side / max(H, W)
    if s >= 1:
        return rgb.astype(np.float32)
    size = (max(1, round(W * s)), max(1, round(H * s)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.BOX)).astype(np.float32)


def srgb_to_lab(rgb):
    c = rgb / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    M = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = (c @ M.T) / np.array([0.95047, 1.0, 1.08883])
    e, k = 216 / 24389, 24389 / 27
    f = np.where(xyz > e, np.cbrt(xyz), (k * xyz + 16) / 116)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], -1).astype(np.float32)


# ----------------------------------------------------------------------------- step 3
@_njit
def _mbd_channel(img, passes):
    """Fast minimum barrier distance (Zhang et al., ICCV 2015) of one channel.
    Seeds: the outer 1-px border (distance 0). Each pass relaxes every pixel from its
    two already-visited neighbours: forward = (up, left), backward = (down, right)."""
    H, W = img.shape
    D = np.full((H, W), 1e9, np.float32)
    U = img.copy()
    Lo = img.copy()
    for y in range(H):
        D[y, 0] = 0.0
        D[y, W - 1] = 0.0
    for x in range(W):
        D[0, x] = 0.0
        D[H - 1, x] = 0.0
    for p in range(passes):
        fwd = p % 2 == 0
        ys = range(1, H - 1) if fwd else range(H - 2, 0, -1)
        for y in ys:
            xs = range(1, W - 1) if fwd else range(W - 2, 0, -1)
            for x in xs:
                v = img[y, x]
                for k in range(2):
                    if fwd:
                        yy, xx = (y - 1, x) if k == 0 else (y, x - 1)
                    else:
                        yy, xx = (y + 1, x) if k == 0 else (y, x + 1)
                    u = max(U[yy, xx], v)
                    lo = min(Lo[yy, xx], v)
                    if u - lo < D[y, x]:
                        D[y, x] = u - lo
                        U[y, x] = u
                        Lo[y, x] = lo
    return D


def mbd(lab):
    return sum(_mbd_channel(np.ascontiguousarray(lab[..., c]), MBD_PASSES) for c in range(3))


def side_palette_distances(lab):
    """d[k] = Lab distance from each pixel to the nearest colour of side strip k
    (k = top, bottom, left, right)."""
    h, w = lab.shape[:2]
    r = max(2, round(max(h, w) / STRIP_DIV))
    X = lab.reshape(-1, 3)
    out = []
    for strip in (lab[:r], lab[-r:], lab[:, :r], lab[:, -r:]):
        pal = np.unique(np.round(strip.reshape(-1, 3) / PALETTE_ROUND) * PALETTE_ROUND, axis=0)
        best = np.full(X.shape[0], np.inf, np.float32)
        for i in range(0, len(pal), 128):
            d2 = ((X[:, None, :] - pal[None, i:i + 128, :]) ** 2).sum(-1).min(1)
            best = np.minimum(best, d2)
        out.append(np.sqrt(best).reshape(h, w))
    return np.stack(out)


def normalise(a):
    lo, hi = np.percentile(a, NORM_LO_PCT), np.percentile(a, NORM_HI_PCT)
    if hi - lo < 1e-6:
        return np.zeros_like(a, dtype=np.float32)
    return np.clip((a - lo) / (hi - lo), 0, 1).astype(np.float32)


def saliency(lab_blur):
    """Returns (s in [0,1], raw MBD map in Lab units)."""
    d = side_palette_distances(lab_blur)
    bn_raw = d.min(0)
    mbd_raw = mbd(lab_blur)
    s = W_MBD * normalise(mbd_raw) + W_BN * normalise(bn_raw)
    band = np.clip(np.minimum(np.maximum(d[2], d[3]), np.maximum(d[0], d[1])) / BAND_TAU, 0, 1)
    s = s * band
    m = s.max()
    return (s / m if m > 0 else s), mbd_raw


# ----------------------------------------------------------------------------- steps 4-5
def _centre_d2(cx, cy, w, h):
    return ((cx - w / 2) / w) ** 2 + ((cy - h / 2) / h) ** 2


def candidate_boxes(s):
    h, w = s.shape
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for t in THRESHOLDS:
        mask = s > t
        lbl, n = ndi.label(mask)          # 4-connectivity
        if n == 0:
            continue
        idx = np.arange(1, n + 1)
        mass = np.asarray(ndi.sum(s, lbl, idx))
        cy = np.asarray(ndi.mean(yy + 0.5, lbl, idx))
        cx = np.asarray(ndi.mean(xx + 0.5, lbl, idx))
        score = mass * np.exp(-_centre_d2(cx, cy, w, h) / (2 * COMP_CENTRE_SIGMA ** 2))
        keep = idx[score >= COMP_KEEP * score.max()]
        sel = np.isin(lbl, keep)
        ys, xs = np.nonzero(sel)
        if len(xs) < 4:
            continue
        box = (np.percentile(xs, EXTENT_PCT), np.percentile(ys, EXTENT_PCT),
               np.percentile(xs, 100 - EXTENT_PCT) + 1, np.percentile(ys, 100 - EXTENT_PCT) + 1)
        out.append((t, box, sel))
    return out


def _box_ring(a, box):
    """mean of a inside the (rounded) box and in the surrounding ring (clipped to the image)."""
    h, w = a.shape
    x0, y0, x1, y1 = [int(round(v)) for v in box]
    rx = max(1, round(RING_FRAC * (x1 - x0)))
    ry = max(1, round(RING_FRAC * (y1 - y0)))
    X0, Y0, X1, Y1 = max(0, x0 - rx), max(0, y0 - ry), min(w, x1 + rx), min(h, y1 + ry)
    inner = a[y0:y1, x0:x1]
    outer = a[Y0:Y1, X0:X1]
    n_ring = outer.size - inner.size
    m_in = float(inner.mean()) if inner.size else 0.0
    m_ring = float((outer.sum() - inner.sum()) / n_ring) if n_ring > 0 else 0.0
    return m_in, m_ring


def box_score(s, box):
    h, w = s.shape
    m_in, m_ring = _box_ring(s, box)
    v = m_in - RING_WEIGHT * m_ring
    if v > 0:
        bx = (box[0] + box[2]) / 2 / w - 0.5
        by = (box[1] + box[3]) / 2 / h - 0.5
        v *= np.exp(-(bx * bx + by * by) / (2 * BOX_CENTRE_SIGMA ** 2))
    return v


# ----------------------------------------------------------------------------- step 6
def _ramp(v, lo, hi):
    return float(np.clip((v - lo) / (hi - lo), 0, 1))


def confidence(lab, mbd_raw, box, sel):
    """Two conditions must hold for a distinct subject:
    (a) the box is separated from the frame border by a colour barrier: the raw MBD
        (Lab units) inside the box exceeds the ring's (zero for flat, two-tone and
        gradient images, where every pixel reaches the border without a barrier);
    (b) the mask outline lies on real edges: the mean colour-gradient magnitude on the
        mask contour is well above the image's median gradient (about 1 for noise and
        smooth shading, where the outline is arbitrary)."""
    m_in, m_ring = _box_ring(mbd_raw, box)
    contrast = m_in - m_ring
    g = sum(np.hypot(ndi.sobel(lab[..., c], 1), ndi.sobel(lab[..., c], 0)) for c in range(3))
    contour = sel & ~ndi.binary_erosion(sel)      # 4-neighbour erosion, outside = background
    edge_ratio = float(g[contour].mean() / (np.median(g) + 1.0)) if contour.any() else 0.0
    conf = _ramp(contrast, CONF_MBD_LO, CONF_MBD_HI) * _ramp(edge_ratio, CONF_EDGE_LO, CONF_EDGE_HI)
    return conf, contrast, edge_ratio


# ----------------------------------------------------------------------------- main
def find_subject(rgb):
    rgb = np.ascontiguousarray(rgb[..., :3]).astype(np.uint8)
    H, W = rgb.shape[:2]
    top, bottom, left, right = detect_bars(rgb)
    content = rgb[top:H - bottom, left:W - right]
    CH, CW = content.shape[:2]
    small = downscale(content)
    lab = ndi.gaussian_filter(srgb_to_lab(small), (BLUR_SIGMA, BLUR_SIGMA, 0))
    s, mbd_raw = saliency(lab)
    h, w = s.shape
    cands = candidate_boxes(s)
    dbg = dict(bars=(top, bottom, left, right), saliency=s)
    if not cands:
        return Result((left, top, CW, CH), 0.0, False, dbg)
    scores = [box_score(s, c[1]) for c in cands]
    i = int(np.argmax(scores))
    t, box, sel = cands[i]
    conf, contrast, edge_ratio = confidence(lab, mbd_raw, box, sel)
    if scores[i] <= 0:
        conf = 0.0
    sx, sy = CW / w, CH / h
    x0, y0, x1, y1 = box
    out = (left + x0 * sx, top + y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy)
    out = tuple(int(round(v)) for v in out)
    dbg.update(threshold=t, mask=sel, score=scores[i], contrast=contrast, edge_ratio=edge_ratio,
               area_frac=float(sel.mean()))
    return Result(out, conf, conf >= CONF_THRESHOLD, dbg)
