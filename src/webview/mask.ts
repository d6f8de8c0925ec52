/**
 * The mask painted over the first reference, as pure data (no DOM, so it runs in plain Node tests): a coverage
 * map at the reference's natural size, one byte per pixel, 255 where painted. Exported as RGBA in OpenAI's
 * convention: alpha 0 where the image may change, alpha 255 where it must stay.
 */

/** A point in natural (image) pixel coordinates; pixel (x, y) covers [x, x+1) × [y, y+1). */
export interface MaskPoint {
  x: number;
  y: number;
}

/** A rectangle of pixels, for redrawing only what a stroke changed. */
export interface MaskRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const PAINTED = 255;
/** Strokes save the tiles they touch before changing them, so undo memory follows the painted area. */
const TILE_SHIFT = 6;
const TILE = 1 << TILE_SHIFT;
/** Undo steps kept at most, and the bytes they may hold together (oldest steps go first). */
const MAX_UNDO_STEPS = 100;
const MAX_UNDO_BYTES = 96 * 1024 * 1024;

/** One undo step: the tiles as they were before (tile index → its bytes, row by row), or a full copy. */
type UndoStep = { kind: 'tiles'; tiles: Map<number, Uint8Array>; bytes: number } | { kind: 'full'; data: Uint8Array; bytes: number };

export class MaskBitmap {
  readonly width: number;
  readonly height: number;
  private readonly coverage: Uint8Array;
  private painted = 0;
  private readonly undoSteps: UndoStep[] = [];
  private undoBytes = 0;
  private readonly tilesAcross: number;

  constructor(width: number, height: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`a mask needs a positive whole size, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.coverage = new Uint8Array(width * height);
    this.tilesAcross = Math.ceil(width / TILE);
  }

  /** Pixels painted (to be edited). */
  get paintedPixels(): number {
    return this.painted;
  }

  get canUndo(): boolean {
    return this.undoSteps.some((step) => step.bytes > 0);
  }

  isEmpty(): boolean {
    return this.painted === 0;
  }

  /** Whether pixel (x, y) is painted; false outside the image. */
  isPainted(x: number, y: number): boolean {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return false;
    return this.coverage[y * this.width + x] === PAINTED;
  }

  /**
   * Paints (or erases) every pixel whose centre lies within `radius` of the polyline through `points`
   * (one point: a dot). One undo step. Returns the pixels changed at most, or undefined when nothing could be.
   */
  paintStroke(points: readonly MaskPoint[], radius: number, erase = false): MaskRect | undefined {
    this.pushUndo({ kind: 'tiles', tiles: new Map(), bytes: 0 });
    return this.stroke(points, radius, erase);
  }

  /**
   * Continues the stroke last begun with `paintStroke` (pointer moves while the button is down), in the same
   * undo step. Without a stroke to continue it begins one.
   */
  extendStroke(points: readonly MaskPoint[], radius: number, erase = false): MaskRect | undefined {
    if (this.undoSteps.at(-1)?.kind !== 'tiles') return this.paintStroke(points, radius, erase);
    return this.stroke(points, radius, erase);
  }

  /** Unpaints everything (one undo step when something was painted). */
  clear(): void {
    if (this.painted === 0) return;
    this.pushUndo({ kind: 'full', data: this.coverage.slice(), bytes: this.coverage.length });
    this.coverage.fill(0);
    this.painted = 0;
  }

  /** Painted becomes unpainted and the other way round (one undo step). */
  invert(): void {
    this.pushUndo({ kind: 'full', data: this.coverage.slice(), bytes: this.coverage.length });
    const coverage = this.coverage;
    for (let index = 0; index < coverage.length; index++) coverage[index] = coverage[index] === PAINTED ? 0 : PAINTED;
    this.painted = coverage.length - this.painted;
  }

  /** Takes back the last stroke, clear or invert. False when there is nothing to undo. */
  undo(): boolean {
    // A stroke that changed nothing (erasing where nothing was painted) is no step to the user.
    while (this.undoSteps.length > 0 && this.undoSteps.at(-1)!.bytes === 0) this.undoSteps.pop();
    const step = this.undoSteps.pop();
    if (!step) return false;
    this.undoBytes -= step.bytes;
    if (step.kind === 'full') {
      this.coverage.set(step.data);
      this.painted = count(this.coverage, 0, this.coverage.length);
      return true;
    }
    for (const [tile, saved] of step.tiles) {
      const { x0, y0, width, height } = this.tileRect(tile);
      for (let row = 0; row < height; row++) {
        const at = (y0 + row) * this.width + x0;
        this.painted += count(saved, row * width, width) - count(this.coverage, at, width);
        this.coverage.set(saved.subarray(row * width, (row + 1) * width), at);
      }
    }
    return true;
  }

  /** RGBA pixels at the natural size, rows top to bottom: (0,0,0,0) where painted, (255,255,255,255) elsewhere. */
  toRgba(): Uint8Array {
    const rgba = new Uint8Array(this.coverage.length * 4);
    rgba.fill(255);
    const coverage = this.coverage;
    for (let index = 0; index < coverage.length; index++) {
      if (coverage[index] === PAINTED) {
        const at = index * 4;
        rgba[at] = 0;
        rgba[at + 1] = 0;
        rgba[at + 2] = 0;
        rgba[at + 3] = 0;
      }
    }
    return rgba;
  }

  /**
   * The overlay for display: RGBA of `rect` with `color` (r, g, b, a) where painted and transparent elsewhere,
   * ready for `new ImageData(...)`.
   */
  overlayRgba(rect: MaskRect, color: readonly [number, number, number, number]): Uint8ClampedArray<ArrayBuffer> {
    const out = new Uint8ClampedArray(rect.width * rect.height * 4);
    for (let row = 0; row < rect.height; row++) {
      const from = (rect.y + row) * this.width + rect.x;
      for (let column = 0; column < rect.width; column++) {
        if (this.coverage[from + column] === PAINTED) out.set(color, (row * rect.width + column) * 4);
      }
    }
    return out;
  }

  private stroke(points: readonly MaskPoint[], radius: number, erase: boolean): MaskRect | undefined {
    if (points.length === 0 || !(radius > 0)) return undefined;
    // A radius under half a pixel would miss the pixel under the pointer.
    const r = Math.max(radius, 0.5);
    let changed: MaskRect | undefined;
    const segments = points.length === 1 ? [[points[0]!, points[0]!] as const] : points.slice(1).map((point, index) => [points[index]!, point] as const);
    for (const [from, to] of segments) {
      const rect = this.segment(from, to, r, erase);
      if (rect) changed = changed ? union(changed, rect) : rect;
    }
    return changed;
  }

  /**
   * Sets every pixel whose centre is within r of the segment a–b. The shape (a capsule) is convex, so each row
   * crosses it in one interval: the hull of the two end discs' and the band's intervals on that row.
   */
  private segment(a: MaskPoint, b: MaskPoint, r: number, erase: boolean): MaskRect | undefined {
    if (![a.x, a.y, b.x, b.y].every(Number.isFinite)) return undefined;
    const y0 = Math.max(0, Math.floor(Math.min(a.y, b.y) - r));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(a.y, b.y) + r));
    const limitX0 = Math.max(0, Math.floor(Math.min(a.x, b.x) - r));
    const limitX1 = Math.min(this.width - 1, Math.ceil(Math.max(a.x, b.x) + r));
    if (limitX0 > limitX1 || y0 > y1) return undefined;
    const value = erase ? 0 : PAINTED;
    let changedX0 = Infinity;
    let changedX1 = -Infinity;
    for (let y = y0; y <= y1; y++) {
      const span = capsuleRow(a, b, r, y + 0.5);
      if (!span) continue;
      // Pixel x is inside when its centre x + 0.5 lies in [low, high].
      const from = Math.max(limitX0, Math.ceil(span[0] - 0.5));
      const to = Math.min(limitX1, Math.floor(span[1] - 0.5));
      if (from > to) continue;
      changedX0 = Math.min(changedX0, from);
      changedX1 = Math.max(changedX1, to);
      // Tile by tile: a run already of the wanted value (most of a stroke over itself) costs one native scan.
      const row = y * this.width;
      const other = erase ? PAINTED : 0;
      for (let start = from; start <= to; ) {
        const end = Math.min(to, (((start >> TILE_SHIFT) + 1) << TILE_SHIFT) - 1);
        const run = this.coverage.subarray(row + start, row + end + 1);
        if (run.indexOf(other) !== -1) {
          this.saveTile((y >> TILE_SHIFT) * this.tilesAcross + (start >> TILE_SHIFT));
          let changed = 0;
          for (let index = 0; index < run.length; index++) if (run[index] === other) changed++;
          run.fill(value);
          this.painted += erase ? -changed : changed;
        }
        start = end + 1;
      }
    }
    if (changedX0 > changedX1) return undefined;
    return { x: changedX0, y: y0, width: changedX1 - changedX0 + 1, height: y1 - y0 + 1 };
  }

  /** Before the first change to a tile in the current stroke, keep its bytes for undo. */
  private saveTile(tile: number): void {
    const step = this.undoSteps.at(-1);
    if (step?.kind !== 'tiles' || step.tiles.has(tile)) return;
    const { x0, y0, width, height } = this.tileRect(tile);
    const saved = new Uint8Array(width * height);
    for (let row = 0; row < height; row++) {
      const at = (y0 + row) * this.width + x0;
      saved.set(this.coverage.subarray(at, at + width), row * width);
    }
    step.tiles.set(tile, saved);
    step.bytes += saved.length;
    this.undoBytes += saved.length;
    this.trimUndo();
  }

  private tileRect(tile: number): { x0: number; y0: number; width: number; height: number } {
    const x0 = (tile % this.tilesAcross) * TILE;
    const y0 = Math.floor(tile / this.tilesAcross) * TILE;
    return { x0, y0, width: Math.min(TILE, this.width - x0), height: Math.min(TILE, this.height - y0) };
  }

  private pushUndo(step: UndoStep): void {
    this.undoSteps.push(step);
    this.undoBytes += step.bytes;
    this.trimUndo();
  }

  /** Drops the oldest steps beyond the limits, never the step in progress. */
  private trimUndo(): void {
    while (this.undoSteps.length > 1 && (this.undoSteps.length > MAX_UNDO_STEPS || this.undoBytes > MAX_UNDO_BYTES)) {
      this.undoBytes -= this.undoSteps.shift()!.bytes;
    }
  }
}

/**
 * Where the row at height `cy` crosses the capsule of radius r around segment a–b: [low, high] in x, or
 * undefined when it misses it.
 */
function capsuleRow(a: MaskPoint, b: MaskPoint, r: number, cy: number): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const end of [a, b]) {
    const dy = cy - end.y;
    const reach = r * r - dy * dy;
    if (reach < 0) continue;
    const half = Math.sqrt(reach);
    low = Math.min(low, end.x - half);
    high = Math.max(high, end.x + half);
  }
  // The band between the ends: 0 <= (p - a)·d <= |d|² and |d × (p - a)| <= r|d|, each linear in x.
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  if (lengthSquared > 0) {
    let bandLow = -Infinity;
    let bandHigh = Infinity;
    const clip = (coefficient: number, constant: number, min: number, max: number): boolean => {
      // min <= coefficient * x + constant <= max
      if (coefficient === 0) return constant >= min && constant <= max;
      const first = (min - constant) / coefficient;
      const second = (max - constant) / coefficient;
      bandLow = Math.max(bandLow, Math.min(first, second));
      bandHigh = Math.min(bandHigh, Math.max(first, second));
      return true;
    };
    const along = clip(dx, -a.x * dx + (cy - a.y) * dy, 0, lengthSquared);
    const across = clip(-dy, dx * (cy - a.y) + dy * a.x, -r * Math.sqrt(lengthSquared), r * Math.sqrt(lengthSquared));
    if (along && across && bandLow <= bandHigh) {
      low = Math.min(low, bandLow);
      high = Math.max(high, bandHigh);
    }
  }
  return low <= high ? [low, high] : undefined;
}

function count(data: Uint8Array, from: number, length: number): number {
  let total = 0;
  for (let index = from; index < from + length; index++) if (data[index] === PAINTED) total++;
  return total;
}

function union(a: MaskRect, b: MaskRect): MaskRect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
