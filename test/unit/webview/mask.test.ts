import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaskBitmap } from '../../../src/webview/mask';
import { decodePng, encodePng, readPngInfo } from '../../../src/core/image/png';

/** Alpha of pixel (x, y) in RGBA rows. */
function alphaAt(rgba: Uint8Array, width: number, x: number, y: number): number {
  return rgba[(y * width + x) * 4 + 3]!;
}

/** Every pixel's alpha is 0 or 255, and it is 0 exactly where `painted(x, y)`. */
function assertAlphaMatches(mask: MaskBitmap, painted: (x: number, y: number) => boolean): void {
  const rgba = mask.toRgba();
  let mismatches = 0;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (alphaAt(rgba, mask.width, x, y) !== (painted(x, y) ? 0 : 255)) mismatches++;
    }
  }
  assert.equal(mismatches, 0);
}

describe('MaskBitmap', () => {
  it('exports RGBA of exactly the reference size, fully opaque while nothing is painted', () => {
    const mask = new MaskBitmap(1536, 1024);
    const rgba = mask.toRgba();
    assert.equal(rgba.length, 1536 * 1024 * 4);
    assert.ok(mask.isEmpty());
    assert.ok(rgba.every((value) => value === 255));
  });

  it('makes alpha 0 exactly under a stroke: its centre is transparent, a far pixel stays opaque', () => {
    const mask = new MaskBitmap(200, 100);
    mask.paintStroke([{ x: 20, y: 50 }, { x: 120, y: 50 }], 10);
    const rgba = mask.toRgba();
    assert.equal(alphaAt(rgba, 200, 70, 50), 0, 'middle of the stroke');
    assert.equal(alphaAt(rgba, 200, 20, 50), 0, 'its first point');
    assert.equal(alphaAt(rgba, 200, 119, 50), 0, 'its last point');
    assert.equal(alphaAt(rgba, 200, 190, 5), 255, 'far corner');
    assert.equal(alphaAt(rgba, 200, 70, 65), 255, 'just outside the brush radius');
    assert.ok(!mask.isEmpty());
    // Exactly the pixels whose centre lies within the radius of the segment (a capsule), nothing else.
    assertAlphaMatches(mask, (x, y) => {
      const cx = Math.min(Math.max(x + 0.5, 20), 120);
      return Math.hypot(x + 0.5 - cx, y + 0.5 - 50) <= 10;
    });
    const painted = [...Array(200 * 100).keys()].filter((index) => mask.isPainted(index % 200, Math.floor(index / 200))).length;
    assert.equal(mask.paintedPixels, painted);
  });

  it('clips strokes at the edges and paints at least the pixel under a tiny brush', () => {
    const mask = new MaskBitmap(10, 10);
    assert.ok(mask.paintStroke([{ x: -5, y: -5 }, { x: 2, y: 2 }], 1.5));
    assert.equal(alphaAt(mask.toRgba(), 10, 0, 0), 0);
    const dot = new MaskBitmap(10, 10);
    dot.paintStroke([{ x: 4.5, y: 7.5 }], 0.1);
    assert.equal(dot.paintedPixels, 1);
    assert.ok(dot.isPainted(4, 7));
    const outside = new MaskBitmap(10, 10);
    assert.equal(outside.paintStroke([{ x: 50, y: 50 }], 3), undefined);
    assert.ok(outside.isEmpty());
  });

  it('erases with the eraser, down to empty again', () => {
    const mask = new MaskBitmap(64, 64);
    mask.paintStroke([{ x: 32, y: 32 }], 8);
    mask.paintStroke([{ x: 32, y: 32 }], 3, true);
    const rgba = mask.toRgba();
    assert.equal(alphaAt(rgba, 64, 32, 32), 255, 'erased centre');
    assert.equal(alphaAt(rgba, 64, 32, 38), 0, 'ring still painted');
    mask.paintStroke([{ x: 32, y: 32 }], 20, true);
    assert.ok(mask.isEmpty());
    assert.ok(mask.toRgba().every((value) => value === 255));
  });

  it('inverts: painted becomes kept and the rest becomes editable', () => {
    const mask = new MaskBitmap(40, 30);
    mask.paintStroke([{ x: 10, y: 10 }], 4);
    const before = mask.paintedPixels;
    mask.invert();
    assert.equal(mask.paintedPixels, 40 * 30 - before);
    const rgba = mask.toRgba();
    assert.equal(alphaAt(rgba, 40, 10, 10), 255);
    assert.equal(alphaAt(rgba, 40, 35, 25), 0);
    const empty = new MaskBitmap(5, 5);
    empty.invert();
    assert.equal(empty.paintedPixels, 25, 'inverting nothing paints everything');
  });

  it('undoes one whole stroke at a time (continued strokes included), then clear and invert', () => {
    const mask = new MaskBitmap(300, 200);
    mask.paintStroke([{ x: 10, y: 10 }], 5);
    const afterFirst = mask.toRgba();
    // One stroke made of several pointer moves across many tiles.
    mask.paintStroke([{ x: 20, y: 100 }], 6);
    mask.extendStroke([{ x: 20, y: 100 }, { x: 150, y: 120 }], 6);
    mask.extendStroke([{ x: 150, y: 120 }, { x: 290, y: 190 }], 6);
    assert.ok(mask.isPainted(150, 120));
    assert.ok(mask.undo());
    assert.deepEqual(mask.toRgba(), afterFirst);
    assert.ok(!mask.isPainted(150, 120));

    mask.clear();
    assert.ok(mask.isEmpty());
    assert.ok(mask.undo(), 'clear is undoable');
    assert.deepEqual(mask.toRgba(), afterFirst);

    mask.invert();
    assert.ok(mask.undo(), 'invert is undoable');
    assert.deepEqual(mask.toRgba(), afterFirst);

    assert.ok(mask.undo());
    assert.ok(mask.isEmpty());
    assert.equal(mask.canUndo, false);
    assert.equal(mask.undo(), false, 'nothing left to undo');
  });

  it('does not count an eraser stroke over nothing as a step to undo', () => {
    const mask = new MaskBitmap(50, 50);
    mask.paintStroke([{ x: 10, y: 10 }], 3);
    mask.paintStroke([{ x: 40, y: 40 }], 3, true);
    assert.ok(mask.undo());
    assert.ok(mask.isEmpty(), 'the undo took back the real stroke');
  });

  it('clears everything and knows it is empty', () => {
    const mask = new MaskBitmap(30, 30);
    assert.ok(mask.isEmpty());
    mask.paintStroke([{ x: 1, y: 1 }, { x: 29, y: 29 }], 2);
    assert.ok(!mask.isEmpty());
    mask.clear();
    assert.ok(mask.isEmpty());
    assert.equal(mask.paintedPixels, 0);
    assert.ok(mask.toRgba().every((value) => value === 255));
  });

  it('encodes as a PNG of the reference size with an alpha channel that keeps 0 and 255 exactly', () => {
    const mask = new MaskBitmap(1024, 1536);
    mask.paintStroke([{ x: 512, y: 300 }, { x: 512, y: 900 }], 40);
    const png = encodePng(mask.toRgba(), 1024, 1536, 4);
    const info = readPngInfo(png);
    assert.equal(info.width, 1024);
    assert.equal(info.height, 1536);
    assert.ok(info.hasAlpha);
    const decoded = decodePng(png);
    assert.equal(alphaAt(decoded.rgba, 1024, 512, 600), 0);
    assert.equal(alphaAt(decoded.rgba, 1024, 10, 10), 255);
  });

  it('refuses a size that is not a positive whole number', () => {
    assert.throws(() => new MaskBitmap(0, 10), RangeError);
    assert.throws(() => new MaskBitmap(10.5, 10), RangeError);
  });
});
