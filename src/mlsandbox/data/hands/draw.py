"""Rasterises a posed hand: the palm a slab with rounded edges, each bone a capsule that thins toward the
fingertip, the forearm (wider than it is thick) and an optional sleeve, all into one depth buffer so that
nearer parts hide farther ones. Each pixel keeps its surface normal and colour; shading comes last, once:
a diffuse light, a skin sheen, and dark lines where one part passes in front of another. It draws at
SUPERSAMPLE times the asked size and averages down, so edges are smooth."""

from __future__ import annotations

import numpy as np

SUPERSAMPLE = 2
FOREARM = (0.15, 0.6, 1.2, 2.0, 3.0, 4.5, 6.0)  # pieces, in palm lengths from the wrist: small boxes
BONES = [(a, a + 1) for finger in range(5) for a in range(1 + 4 * finger, 4 + 4 * finger)]
TIPS = (4, 8, 12, 16, 20)
FLIP = np.array([1.0, 1.0, -1.0])  # camera frame (z away) to the canvas's (height toward the viewer)


class Canvas:
    """Per supersampled pixel: height, normal, colour before light, sheen and coverage; and the box drawn on."""

    def __init__(self, pixels: int):
        self.pixels = pixels
        self.height = np.full((pixels, pixels), -np.inf, np.float32)
        self.normal = np.zeros((pixels, pixels, 3), np.float32)
        self.albedo = np.zeros((pixels, pixels, 3), np.float32)
        self.sheen = np.zeros((pixels, pixels), np.float32)
        self.alpha = np.zeros((pixels, pixels), np.float32)
        self.used = [pixels, pixels, 0, 0]  # x0, y0, x1, y1

    def box(self, low, high):
        """The clipped pixel window over low..high (x, y): slices and pixel-centre coordinates."""
        x0, y0 = (min(max(int(np.floor(v)), 0), self.pixels) for v in low)
        x1, y1 = (min(max(int(np.ceil(v)) + 1, 0), self.pixels) for v in high)
        if x0 >= x1 or y0 >= y1:
            return None
        u = self.used
        u[:] = min(u[0], x0), min(u[1], y0), max(u[2], x1), max(u[3], y1)
        xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        return (slice(y0, y1), slice(x0, x1)), xs, ys

    def put(self, window, coverage, height, surface, sheen=1.0):
        """Keeps the pixels where height is nearer than what is there; surface(mask) -> (normals (k, 3),
        colours (k, 3)) of just those pixels."""
        alpha = self.alpha[window]
        np.maximum(alpha, coverage, out=alpha)
        nearer = np.nonzero(height > self.height[window])
        if not len(nearer[0]):
            return
        normal, albedo = surface(nearer)
        self.height[window][nearer] = height[nearer]
        self.normal[window][nearer] = normal
        self.albedo[window][nearer] = albedo
        self.sheen[window][nearer] = sheen

    def finish(self, light, ambient, sheen, step, strength=0.45):
        """Darkens the far side of each jump in height larger than step (where one part passes in front
        of another), averages down, then lights: premultiplied colour and coverage at the asked size."""
        s, n = SUPERSAMPLE, self.pixels // SUPERSAMPLE
        x0, y0, x1, y1 = self.used
        x0, y0 = x0 // s * s, y0 // s * s
        x1, y1 = min(-(-x1 // s) * s, self.pixels), min(-(-y1 // s) * s, self.pixels)
        colour, alpha = np.zeros((n, n, 3), np.float32), np.zeros((n, n), np.float32)
        if x0 >= x1 or y0 >= y1:
            return colour, alpha
        box = slice(y0, y1), slice(x0, x1)
        h = np.maximum(self.height[box], -1e6)
        shade = self.alpha[box].copy()
        for jump, before, after in ((h[:, 1:] - h[:, :-1], np.s_[:, 1:], np.s_[:, :-1]),
                                    (h[1:] - h[:-1], np.s_[1:], np.s_[:-1])):
            shade[before][jump < -step] *= 1.0 - strength
            shade[after][jump > step] *= 1.0 - strength
        down = lambda x: sum(x[i::s, j::s] for i in range(s) for j in range(s)) * (1.0 / s**2)  # noqa: E731
        a, normal = down(self.alpha[box]), down(self.normal[box])
        albedo, gloss = down(self.albedo[box] * shade[..., None]), down(self.sheen[box] * self.alpha[box])
        normal /= np.maximum(np.sqrt(np.sum(normal * normal, axis=2, keepdims=True)), 1e-6)
        nx, ny, nz = (normal[..., k] for k in range(3))
        lx, ly, lz = map(float, light)
        hx, hy, hz = map(float, (light + (0.0, 0.0, 1.0)) / np.linalg.norm(light + (0.0, 0.0, 1.0)))
        lit = ambient + (1.0 - ambient) * np.maximum(nx * lx + ny * ly + nz * lz, 0.0)
        glint = np.maximum(nx * hx + ny * hy + nz * hz, 0.0)
        glint *= glint
        glint *= glint
        glint *= glint  # eighth power: a broad highlight
        window = slice(y0 // s, y1 // s), slice(x0 // s, x1 // s)
        colour[window] = albedo * lit[..., None] + (glint * gloss * sheen)[..., None]
        alpha[window] = a
        return colour, alpha


def capsule(canvas, a, b, ra, rb, flat_start=False, squash=1.0, caps=(True, True)):
    """A capsule from a to b ((x, y, height) pixels), radius ra to rb, its depth squash times its width,
    cut flat at an end whose cap is False (a hard cut, for joining pieces) or at a if flat_start (a smooth
    one): (window, coverage, height, normal(mask) -> (k, 3), t along it) or None if off the canvas."""
    ax, ay, az, bx, by, bz, ra, rb = map(float, (*a, *b, ra, rb))
    reach = max(ra, rb) + 1.0
    found = canvas.box((min(ax, bx) - reach, min(ay, by) - reach), (max(ax, bx) + reach, max(ay, by) + reach))
    if found is None:
        return None
    window, xs, ys = found
    dx, dy = bx - ax, by - ay
    length = max((dx * dx + dy * dy) ** 0.5, 1e-3)
    raw = ((xs - ax) * dx + (ys - ay) * dy) * (1.0 / length**2)
    t = np.clip(raw, 0.0, 1.0)
    ox, oy = xs - ax - t * dx, ys - ay - t * dy
    radius = ra + t * (rb - ra)
    d2 = ox * ox + oy * oy
    coverage = np.clip(radius - np.sqrt(d2) + 0.5, 0.0, 1.0)
    if flat_start:
        coverage *= np.clip(raw * length + 0.5, 0.0, 1.0)
    if not caps[0]:
        coverage *= raw * length > -0.5
    if not caps[1]:
        coverage *= raw * length < length + 0.5
    rise = np.sqrt(np.maximum(radius * radius - d2, 0.0))
    height = np.where(coverage > 0, (az + t * (bz - az)) + squash * rise, -np.inf)

    def normal(mask):
        n = np.stack([squash * ox[mask], squash * oy[mask], rise[mask]], axis=1)
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-6)

    return window, coverage, height, normal, t


def _skin(normal, palmar, back, palm):
    """Colour per pixel: the lighter palm colour on the side that faces palmar."""
    facing = np.clip(0.5 + 1.6 * (normal @ palmar.astype(np.float32)), 0.0, 1.0)[:, None]
    return back + facing * (palm - back)


def bone(canvas, a, b, ra, rb, palmar, back, palm, nail=None, squash=1.0, caps=(True, True)):
    found = capsule(canvas, a, b, ra, rb, squash=squash, caps=caps)
    if found is None:
        return
    window, coverage, height, normal, t = found

    def surface(mask):
        n = normal(mask)
        albedo = _skin(n, palmar, back, palm)
        if nail is not None:
            on_nail = (n @ -palmar.astype(np.float32) > 0.6) & (t[mask] > 0.4)
            albedo[on_nail] = nail
        return n, albedo

    canvas.put(window, coverage, height, surface)


def sleeve(canvas, a, b, ra, rb, cloth, squash, first, last):
    """A piece of sleeve; cloth: (colour, second colour, pattern, period in pixels, pixels before a)."""
    colour, second, pattern, period, before = cloth
    found = capsule(canvas, a, b, ra, rb, flat_start=first, squash=squash, caps=(first, last))
    if found is None:
        return
    window, coverage, height, normal, t = found
    length = float(np.hypot(*(b[:2] - a[:2])))

    def surface(mask):
        n = normal(mask)
        if pattern == "rings":
            mark = np.sin((before + t[mask] * length) * (2 * np.pi / period)) > 0
        elif pattern == "stripes":
            mark = np.sin(np.arctan2(n[:, 0] * (b[1] - a[1]) - n[:, 1] * (b[0] - a[0]), n[:, 2] * length)
                          * (4.0 * ra / period)) > 0
        else:
            mark = np.zeros(len(n), bool)
        return n, np.where(mark[:, None], second, colour)

    canvas.put(window, coverage, height, surface, sheen=0.15)


def palm_face(canvas, outline, normal, half, back, palm):
    """The palm's face toward the viewer: its outline moved half along the normal. The rounded rim is
    drawn separately, as capsules along the outline."""
    face = normal if normal[2] >= 0 else -normal
    if face[2] < 0.05:
        return
    corners = outline + half * face
    edges = np.roll(corners[:, :2], -1, axis=0) - corners[:, :2]
    found = canvas.box(corners[:, :2].min(axis=0), corners[:, :2].max(axis=0))
    if found is None:
        return
    window, xs, ys = found
    area = np.sum(edges[:, 0] * np.roll(edges[:, 1], -1) - edges[:, 1] * np.roll(edges[:, 0], -1))
    inward = np.stack([-edges[:, 1], edges[:, 0]], axis=1) * np.sign(area)
    inward /= np.linalg.norm(inward, axis=1, keepdims=True)
    depth = np.full(np.broadcast_shapes(xs.shape, ys.shape), np.inf, np.float32)
    for (px, py), (nx, ny) in zip(corners[:, :2].tolist(), inward.tolist()):
        depth = np.minimum(depth, (xs - px) * nx + (ys - py) * ny)
    coverage = np.clip(depth + 0.5, 0.0, 1.0)
    fx, fy, fz = map(float, face)
    cx, cy, cz = map(float, corners.mean(axis=0))
    height = np.where(coverage > 0, cz - (fx * (xs - cx) + fy * (ys - cy)) / fz, -np.inf)

    def surface(mask):
        n = np.broadcast_to(face.astype(np.float32), (len(mask[0]), 3))
        return n, _skin(n, normal, back, palm)

    canvas.put(window, coverage, height, surface)


def _forearm_shape(h, wrist_radius, unit):
    """Half width and half thickness of the forearm as drawn from this view, and its depth per width."""
    wide, thick = 1.0 * wrist_radius, 0.7 * wrist_radius
    side = np.cross(h.forearm, h.palm_normal)
    across = np.array([-h.forearm[1], h.forearm[0], 0.0])
    across /= max(np.linalg.norm(across), 1e-6)
    width = np.hypot(wide * (across @ side), thick * (across @ h.palm_normal))
    depth = np.hypot(wide * side[2], thick * h.palm_normal[2])
    return width * unit, depth / max(width, 1e-6)


def hand(scene, size: int):
    """The scene's hand, forearm and sleeve at size x size: premultiplied colour (size, size, 3) and
    coverage (size, size), float32."""
    pixels = size * SUPERSAMPLE
    canvas = Canvas(pixels)
    unit = scene.scale * pixels
    offset = np.array([*scene.origin * pixels, 0.0])
    at = lambda p: offset + unit * np.asarray(p) * FLIP  # noqa: E731
    h, skin, palm = scene.hand, scene.skin, scene.palm
    points, radii = at(h.points), h.radii * unit
    width, squash = _forearm_shape(h, h.radii[0], 1.0)
    widths = width * unit * np.interp(FOREARM, (0.0, 6.0), (1.0, 1.35))
    ends = [at(distance * h.forearm) for distance in FOREARM]
    for i in range(len(FOREARM) - 1):
        bone(canvas, ends[i], ends[i + 1], widths[i], widths[i + 1], np.zeros(3), skin, skin, squash=squash,
             caps=(i == 0, i == len(FOREARM) - 2))
    if scene.sleeve is not None:
        colour, second, pattern, period, start = scene.sleeve
        stops = [start] + [d for d in FOREARM if d > start]
        loose = width * unit * np.interp(stops, (0.0, 6.0), (1.25, 1.6))
        for i in range(len(stops) - 1):
            cloth = (colour, second, pattern, period * unit, (stops[i] - start) * unit)
            sleeve(canvas, at(stops[i] * h.forearm), at(stops[i + 1] * h.forearm), loose[i], loose[i + 1], cloth,
                   squash, first=i == 0, last=i == len(stops) - 2)
    outline, normal, half = at(h.palm), h.palm_normal * FLIP, h.palm_half * unit
    palm_face(canvas, outline, normal, half, skin, palm)
    for a, b in zip(outline, np.roll(outline, -1, axis=0)):
        bone(canvas, a, b, half, half, normal, skin, palm)
    for finger in range(1, 5):  # fills the crook of a bent finger; inside a straight one
        mcp = 4 * finger + 1
        bone(canvas, points[mcp], points[mcp + 2], 0.9 * radii[mcp], 0.9 * radii[mcp + 2],
             h.palmar[mcp + 1] * FLIP, skin, palm)
    for a, b in BONES:
        bone(canvas, points[a], points[b], radii[a], radii[b], h.palmar[b] * FLIP, skin, palm,
             scene.nail if b in TIPS else None)
    return canvas.finish(scene.light, scene.ambient, scene.sheen, 0.5 * radii[8])
