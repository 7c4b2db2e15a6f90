"""Evaluate finder.py: IoU tables (photos / generated / renderer / with bars), worst cases,
confidence on positives vs synthetic negatives, timing, contact sheets.

Run:  ./venv/bin/python eval.py            (writes out/*.png and out/results.json)
"""
import json, os, sys, time
import numpy as np
from PIL import Image
from data import load_sets, load_rgb, iou
from finder import find_subject, CONF_THRESHOLD
from sheet import sheet

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'out')
os.makedirs(OUT, exist_ok=True)


def table(rows, title):
    print(f'\n{title}')
    print(f'{"set":<22}{"n":>4}{"mean IoU":>10}{"IoU>=0.5":>10}{"IoU>=0.7":>10}{"median":>8}')
    for name, v in rows:
        v = np.array(v)
        print(f'{name:<22}{len(v):>4}{v.mean():>10.3f}{(v >= 0.5).mean():>10.2f}{(v >= 0.7).mean():>10.2f}{np.median(v):>8.3f}')


def pad(rgb, kind, colour):
    """Add bars. kind: 'tb' letterbox 12% top+bottom, 'lr' pillarbox 15% left+right,
    'all' 8% on all four sides, 't' 15% on top only."""
    H, W = rgb.shape[:2]
    t = b = l = r = 0
    if kind == 'tb': t = b = int(0.12 * H)
    if kind == 'lr': l = r = int(0.15 * W)
    if kind == 'all': t = b = int(0.08 * H); l = r = int(0.08 * W)
    if kind == 't': t = int(0.15 * H)
    out = np.empty((H + t + b, W + l + r, 3), np.uint8); out[:] = colour
    out[t:t + H, l:l + W] = rgb
    return out, (l, t)


def negatives():
    rng = np.random.default_rng(0)
    n = {}
    n['flat grey'] = np.full((384, 512, 3), 128, np.uint8)
    n['flat white'] = np.full((512, 512, 3), 255, np.uint8)
    a = np.zeros((512, 512, 3), np.uint8); a[:, :256] = (200, 40, 40); a[:, 256:] = (40, 60, 200)
    n['two halves (L|R)'] = a
    a = np.zeros((512, 512, 3), np.uint8); a[:256] = (230, 230, 230); a[256:] = (30, 90, 30)
    n['two halves (T/B)'] = a
    n['uniform noise'] = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    n['grey noise'] = np.repeat(rng.integers(0, 256, (512, 512, 1), dtype=np.uint8), 3, 2)
    g = np.linspace(0, 255, 512)
    n['gradient horizontal'] = np.stack(np.broadcast_arrays(g[None, :], g[None, :] * 0.5, 255 - g[None, :]), -1).repeat(512, 0).astype(np.uint8)
    n['gradient vertical'] = n['gradient horizontal'].transpose(1, 0, 2).copy()
    yy, xx = np.mgrid[0:512, 0:512]
    n['gradient radial'] = np.repeat((255 * np.hypot(xx - 256, yy - 256) / 362)[..., None], 3, 2).astype(np.uint8)
    n['gradient diagonal'] = np.stack([(xx + yy) / 4, 255 - (xx + yy) / 4, np.full_like(xx, 128)], -1).astype(np.uint8)
    # mild noise on a flat image (like a JPEG of a blank wall)
    n['grey + small noise'] = np.clip(128 + rng.normal(0, 4, (512, 512, 3)), 0, 255).astype(np.uint8)
    n['gradient + small noise'] = np.clip(n['gradient vertical'] + rng.normal(0, 4, (512, 512, 3)), 0, 255).astype(np.uint8)
    n['grey + colour noise s10'] = np.clip(128 + rng.normal(0, 10, (512, 512, 3)), 0, 255).astype(np.uint8)
    from scipy import ndimage as ndi
    f = ndi.gaussian_filter(rng.normal(0, 1, (512, 512, 3)), (24, 24, 0)); f = (f - f.min()) / (f.max() - f.min())
    n['smooth random field'] = (255 * f).astype(np.uint8)
    n['stripes'] = np.repeat(((xx // 32) % 2 * 200 + 28)[..., None], 3, 2).astype(np.uint8)
    n['checkerboard'] = np.repeat((((xx // 64) + (yy // 64)) % 2 * 200 + 28)[..., None], 3, 2).astype(np.uint8)
    return n


def main():
    sets = load_sets()
    res = {}
    times = []
    for setn, items in sets.items():
        for name, path, gt, note in items:
            rgb = load_rgb(path)
            t0 = time.perf_counter(); r = find_subject(rgb); times.append(time.perf_counter() - t0)
            res[name] = dict(set=setn, path=path, gt=gt, pred=r.box, iou=iou(r.box, gt), conf=r.confidence,
                             bars=r.debug['bars'], note=note)
    rows = [(s, [v['iou'] for v in res.values() if v['set'] == s]) for s in sets]
    rows.append(('photos+generated', [v['iou'] for v in res.values() if v['set'] != 'renderer']))
    table(rows, 'IoU against hand labels (no bars)')
    false_bars = [n for n, v in res.items() if any(v['bars'])]
    print('images where bars were (wrongly) detected on the originals:', false_bars or 'none')

    # ----- bars
    bar_rows = []; bar_res = {}
    for kind, colour in [('tb', 0), ('tb', 255), ('lr', 0), ('lr', 255), ('all', 0), ('t', 255)]:
        ious = []; exact = 0
        for setn, items in sets.items():
            for name, path, gt, note in items:
                rgb, (ox, oy) = pad(load_rgb(path), kind, colour)
                r = find_subject(rgb)
                g = (gt[0] + ox, gt[1] + oy, gt[2], gt[3])
                v = iou(r.box, g); ious.append(v)
                bar_res.setdefault(f'{kind}/{colour}', {})[name] = (v, r.debug['bars'])
                H0, W0 = rgb.shape[:2]
                want = {'tb': (oy, oy, 0, 0), 'lr': (0, 0, ox, ox), 'all': (oy, oy, ox, ox), 't': (oy, 0, 0, 0)}[kind]
                exact += all(abs(a - b) <= 2 for a, b in zip(r.debug['bars'], want))
        bar_rows.append((f'bars {kind} {"black" if colour == 0 else "white"}', ious))
        print(f'  bars {kind} colour {colour}: bars found exactly (+-2 px) on {exact}/{len(ious)} images')
    table(bar_rows, 'IoU with synthetic bars (all 132 images, GT shifted)')

    # ----- worst cases
    worst = sorted(res.items(), key=lambda kv: kv[1]['iou'])[:12]
    print('\nworst 12:')
    for n, v in worst:
        print(f'  {v["iou"]:.2f}  {n}  pred={v["pred"]} gt={v["gt"]}  conf={v["conf"]:.2f}')

    # ----- confidence
    pos = {s: [v['conf'] for v in res.values() if v['set'] == s] for s in sets}
    negs = negatives(); neg = {}
    for k, img in negs.items():
        r = find_subject(img); neg[k] = (r.confidence, r.box, r.debug.get('contrast', 0))
    print('\nconfidence on negatives:')
    for k, (c, b, ct) in neg.items():
        print(f'  {k:<26} conf={c:.3f}  mbd_contrast={ct:.2f}  box={b}')
    print('confidence on positives (min / 5th pct / median):')
    for s, v in pos.items():
        v = np.array(v); print(f'  {s:<10} {v.min():.2f} / {np.percentile(v, 5):.2f} / {np.median(v):.2f};  below threshold {CONF_THRESHOLD}: {(v < CONF_THRESHOLD).sum()}/{len(v)}')
    allpos = np.concatenate([np.array(v) for v in pos.values()])
    for th in [0.05, 0.1, 0.15, 0.2, 0.3, 0.5]:
        print(f'  threshold {th:.2f}: positives kept {(allpos >= th).mean():.3f}, negatives rejected {np.mean([c < th for c, _, _ in neg.values()]):.2f}')

    # ----- timing
    times = np.array(times) * 1000
    print(f'\ntime per image (Python prototype, numba MBD): median {np.median(times):.0f} ms, max {times.max():.0f} ms')

    # ----- contact sheets
    order = [n for s in ['photos', 'generated', 'renderer'] for n in res if res[n]['set'] == s]
    items = [(res[n]['path'], res[n]['gt'], res[n]['pred'], f'{res[n]["iou"]:.2f} {n.split("/", 1)[1][-24:]}') for n in order]
    sheet(items[:40], f'{OUT}/sheet_photos_1.png', cell=160, cols=8)
    sheet(items[40:80], f'{OUT}/sheet_photos_2.png', cell=160, cols=8)
    sheet(items[80:116], f'{OUT}/sheet_generated.png', cell=160, cols=8)
    sheet(items[116:], f'{OUT}/sheet_renderer.png', cell=200, cols=8)
    witems = [(res[n]['path'], res[n]['gt'], res[n]['pred'], f'{v["iou"]:.2f} {n.split("/", 1)[1][-24:]}') for n, v in worst[:10]]
    sheet(witems, f'{OUT}/sheet_worst10.png', cell=200, cols=5)
    # bars sheet: a few padded examples
    bitems = []
    for kind, colour, name in [('tb', 0, order[3]), ('lr', 255, order[90]), ('all', 0, order[120]), ('t', 255, order[60]), ('tb', 255, order[70]), ('lr', 0, order[100])]:
        rgb, (ox, oy) = pad(load_rgb(res[name]['path']), kind, colour)
        r = find_subject(rgb); g = res[name]['gt']; g = (g[0] + ox, g[1] + oy, g[2], g[3])
        bitems.append((Image.fromarray(rgb), g, r.box, f'{iou(r.box, g):.2f} {kind}/{colour}'))
    sheet(bitems, f'{OUT}/sheet_bars.png', cell=200, cols=6)
    nitems = [(Image.fromarray(img), None, neg[k][1], f'{neg[k][0]:.2f} {k}') for k, img in negs.items()]
    sheet(nitems, f'{OUT}/sheet_negatives.png', cell=160, cols=6)
    json.dump(dict(res={k: {kk: vv for kk, vv in v.items()} for k, v in res.items()},
                   negatives={k: v[0] for k, v in neg.items()}), open(f'{OUT}/results.json', 'w'), indent=1, default=str)


if __name__ == '__main__':
    main()
