// Drawing districts from their coordinates: an equirectangular projection scaled by the
// cosine of the mean latitude (true shape at a municipality's size), fitted into an SVG
// box with a margin. No map tiles.

export interface Place {
  id: string;
  label: string;
  latitude: number;
  longitude: number;
}

export interface Point extends Place {
  x: number;
  y: number;
}

/** `places` as points inside a `width` × `height` box, north up, with `margin` around. */
export function project(places: Place[], width: number, height: number, margin = 20): Point[] {
  if (places.length === 0) return [];
  const meanLat = places.reduce((s, p) => s + p.latitude, 0) / places.length;
  const k = Math.cos((meanLat * Math.PI) / 180);
  const xs = places.map((p) => p.longitude * k);
  const ys = places.map((p) => p.latitude);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const scale = Math.min((width - 2 * margin) / spanX, (height - 2 * margin) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return places.map((p, i) => ({
    ...p,
    x: offX + (xs[i] - minX) * scale,
    y: offY + (maxY - ys[i]) * scale,
  }));
}

/** A circle radius for `count` out of `max`: its area proportional to the count. */
export function radius(count: number, max: number, largest = 24): number {
  if (max <= 0 || count <= 0) return 3;
  return Math.max(3, largest * Math.sqrt(count / max));
}

/** A label's box, placed beside its point. */
export interface Label {
  id: string;
  /** The text's anchor (start of the text) and baseline. */
  x: number;
  y: number;
  anchor: "start" | "end" | "middle";
  /** The box the text takes, for overlap checks. */
  box: Box;
}

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Places a label beside each point so that no two labels overlap, none covers another
 * point's circle, and all stay inside the `width` × `height` box: for each point (the
 * largest circles first, as they matter most) the first free place among right, left,
 * above and below its circle, then the same places moved further out step by step.
 * `text` gives each label's text and `r` each circle's radius; widths are estimated at
 * `charWidth` pixels a character (the map's labels are short names and a count).
 * Greedy: O(n² × tries); a label that finds no free place keeps its first one.
 */
export function placeLabels(
  points: Array<{ id: string; x: number; y: number }>,
  text: (id: string) => string,
  r: (id: string) => number,
  width: number,
  height: number,
  charWidth = 7.5,
  lineHeight = 14,
): Map<string, Label> {
  const circles = points.map((p) => ({ id: p.id, box: { left: p.x - r(p.id), right: p.x + r(p.id), top: p.y - r(p.id), bottom: p.y + r(p.id) } }));
  const placed = new Map<string, Label>();
  const order = [...points].sort((a, b) => r(b.id) - r(a.id) || a.id.localeCompare(b.id));
  for (const p of order) {
    const w = text(p.id).length * charWidth;
    const rad = r(p.id);
    const candidates: Label[] = [];
    for (let step = 0; step < 6; step++) {
      const gap = 3 + step * 8;
      const options: Array<[number, number, Label["anchor"]]> = [
        [p.x + rad + gap, p.y + 4, "start"],
        [p.x - rad - gap, p.y + 4, "end"],
        [p.x, p.y - rad - gap, "middle"],
        [p.x, p.y + rad + gap + lineHeight - 4, "middle"],
        [p.x + rad + gap, p.y + 4 - (lineHeight + step * 4), "start"],
        [p.x + rad + gap, p.y + 4 + (lineHeight + step * 4), "start"],
        [p.x - rad - gap, p.y + 4 - (lineHeight + step * 4), "end"],
        [p.x - rad - gap, p.y + 4 + (lineHeight + step * 4), "end"],
      ];
      for (const [x, y, anchor] of options) {
        const left = anchor === "start" ? x : anchor === "end" ? x - w : x - w / 2;
        candidates.push({ id: p.id, x, y, anchor, box: { left, right: left + w, top: y - lineHeight + 3, bottom: y + 3 } });
      }
    }
    const free = candidates.find(
      (c) =>
        c.box.left >= 0 && c.box.right <= width && c.box.top >= 0 && c.box.bottom <= height &&
        ![...placed.values()].some((o) => overlaps(o.box, c.box)) &&
        !circles.some((o) => overlaps(o.box, c.box)),
    );
    placed.set(p.id, free ?? candidates[0]);
  }
  return placed;
}
