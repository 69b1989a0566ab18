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
