import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodePng, readPngInfo } from '../../../../src/core/image/png';
import { promptColour, renderPlaceholder } from '../../../../src/core/image/placeholder-art';

type Rgb = [number, number, number];

function pixelAt(pixels: Uint8Array, width: number, x: number, y: number): Rgb {
  const at = (y * width + x) * 3;
  return [pixels[at]!, pixels[at + 1]!, pixels[at + 2]!];
}

function distance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** WCAG 2 contrast ratio. */
function contrast(a: Rgb, b: Rgb): number {
  const luminance = (colour: Rgb): number => {
    const [r, g, b] = colour.map((channel) => {
      const value = channel / 255;
      return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
    }) as Rgb;
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

interface Band {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

interface Analysis {
  border: number;
  /** Distinct colours of pixels far from the background, inside the border. */
  textColours: Set<string>;
  textPixels: number;
  /** Runs of rows that contain text pixels, top to bottom, with their horizontal extent. */
  bands: Band[];
}

/**
 * Finds the drawn text: pixels inside the border that are far from the prompt colour (the
 * gradient stays within about 60 of it; text is chosen for contrast, so it is much further).
 */
function analyse(pixels: Uint8Array, width: number, height: number, prompt: string): Analysis {
  const base = promptColour(prompt);
  const edge = pixelAt(pixels, width, 0, height >> 1);
  let border = 0;
  while (border < width && distance(pixelAt(pixels, width, border, height >> 1), edge) === 0) border++;
  const textColours = new Set<string>();
  let textPixels = 0;
  const bands: Band[] = [];
  let current: Band | undefined;
  for (let y = border; y < height - border; y++) {
    let left = Infinity;
    let right = -1;
    for (let x = border; x < width - border; x++) {
      const colour = pixelAt(pixels, width, x, y);
      if (distance(colour, base) > 100) {
        textColours.add(colour.join(','));
        textPixels++;
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    if (right < 0) {
      current = undefined;
      continue;
    }
    if (!current) bands.push((current = { top: y, bottom: y, left, right }));
    current.bottom = y;
    current.left = Math.min(current.left, left);
    current.right = Math.max(current.right, right);
  }
  return { border, textColours, textPixels, bands };
}

describe('promptColour', () => {
  it('is a deterministic RGB colour per prompt', () => {
    const colour = promptColour('a red fox in the snow');
    assert.deepEqual(promptColour('a red fox in the snow'), colour);
    for (const channel of colour) assert.ok(Number.isInteger(channel) && channel >= 0 && channel <= 255);
  });

  it('spreads different prompts, even near-identical ones, over different colours', () => {
    const prompts = Array.from({ length: 40 }, (_, i) => `a watercolour fox, variant ${i}`);
    const colours = new Set(prompts.map((prompt) => promptColour(prompt).join(',')));
    assert.ok(colours.size >= 38, `only ${colours.size} distinct colours`);
    assert.notDeepEqual(promptColour('a cat'), promptColour('a cat.'));
    assert.notDeepEqual(promptColour('一只猫'), promptColour('一只狗'));
  });
});

describe('renderPlaceholder', () => {
  const width = 512;
  const height = 512;
  const prompt = 'a lighthouse on a cliff at night';

  it('returns deterministic RGB pixels of the requested size', () => {
    const pixels = renderPlaceholder({ width: 300, height: 200, prompt });
    assert.equal(pixels.length, 300 * 200 * 3);
    assert.deepEqual(renderPlaceholder({ width: 300, height: 200, prompt }), pixels);
  });

  it('paints the background in the prompt colour family, lighter top-left than bottom-right', () => {
    const other = 'a bowl of ramen, studio photo';
    assert.ok(distance(promptColour(prompt), promptColour(other)) > 60, 'the two prompts should have clearly different colours');
    for (const [text, rival] of [[prompt, other], [other, prompt]] as const) {
      const pixels = renderPlaceholder({ width, height, prompt: text });
      const own = promptColour(text);
      const topLeft = pixelAt(pixels, width, 6, 6);
      const bottomRight = pixelAt(pixels, width, width - 7, height - 7);
      for (const corner of [topLeft, bottomRight]) {
        corner.forEach((channel, index) => assert.ok(Math.abs(channel - own[index]!) <= 45, `${corner} vs ${own}`));
        assert.ok(distance(corner, own) < distance(corner, promptColour(rival)));
      }
      assert.ok(topLeft.reduce((a, b) => a + b) > bottomRight.reduce((a, b) => a + b), 'diagonal gradient');
    }
  });

  it('draws a thin border of one colour all round', () => {
    const pixels = renderPlaceholder({ width, height, prompt });
    const colour = pixelAt(pixels, width, 0, 0);
    for (let i = 0; i < width; i++) {
      assert.deepEqual(pixelAt(pixels, width, i, 0), colour);
      assert.deepEqual(pixelAt(pixels, width, i, height - 1), colour);
      assert.deepEqual(pixelAt(pixels, width, 0, i), colour);
      assert.deepEqual(pixelAt(pixels, width, width - 1, i), colour);
    }
    assert.notDeepEqual(pixelAt(pixels, width, 3, 3), colour);
  });

  it('centres the size label in one high-contrast text colour, with the prompt below in smaller type', () => {
    const pixels = renderPlaceholder({ width, height, prompt });
    const { textColours, bands } = analyse(pixels, width, height, prompt);
    assert.equal(textColours.size, 1);
    const text = [...textColours][0]!.split(',').map(Number) as Rgb;
    assert.ok(contrast(text, promptColour(prompt)) >= 4.5, `contrast ${contrast(text, promptColour(prompt))}`);

    // "512 × 512" is 9 cells of 6 columns (the last without its gap) by 7 rows, scaled.
    const label = bands[0]!;
    const scale = (label.bottom - label.top + 1) / 7;
    assert.ok(Number.isInteger(scale) && scale >= 2, `label scale ${scale}`);
    assert.equal(label.right - label.left + 1, (9 * 6 - 1) * scale);
    assert.ok(Math.abs(label.left - (width - 1 - label.right)) <= 1, 'centred horizontally');
    assert.ok(label.top > height * 0.15 && label.bottom < height * 0.75, 'near the middle vertically');

    const promptLines = bands.slice(1);
    assert.ok(promptLines.length >= 1);
    for (const line of promptLines) {
      assert.ok(line.top > label.bottom);
      assert.ok(line.bottom - line.top + 1 < label.bottom - label.top + 1, 'prompt is smaller than the label');
    }
  });

  it('keeps contrasting text for many prompts', () => {
    for (let i = 0; i < 30; i++) {
      const text = `prompt number ${i} ${'x'.repeat(i)}`;
      const { textColours } = analyse(renderPlaceholder({ width: 96, height: 64, prompt: text }), 96, 64, text);
      assert.equal(textColours.size, 1, text);
      const colour = [...textColours][0]!.split(',').map(Number) as Rgb;
      assert.ok(contrast(colour, promptColour(text)) >= 4.5, `${text}: ${contrast(colour, promptColour(text))}`);
    }
  });

  it('uses a custom label instead of the size when given', () => {
    const plain = renderPlaceholder({ width, height, prompt });
    const labelled = renderPlaceholder({ width, height, prompt, label: 'OFFLINE' });
    assert.notDeepEqual(labelled, plain);
    assert.deepEqual(pixelAt(labelled, width, 6, 6), pixelAt(plain, width, 6, 6));
    const label = analyse(labelled, width, height, prompt).bands[0]!;
    const scale = (label.bottom - label.top + 1) / 7;
    assert.equal(label.right - label.left + 1, (7 * 6 - 1) * scale);
  });

  it('wraps a label too wide for a small image instead of clipping it', () => {
    const pixels = renderPlaceholder({ width: 96, height: 96, prompt: '', label: '1024 x 1024  #2  (partial 1)' });
    const { bands } = analyse(pixels, 96, 96, '');
    assert.ok(bands.length >= 2 && bands.length <= 3, `${bands.length} label lines`);
    for (const band of bands) assert.ok(band.left > 2 && band.right < 93, `line spans ${band.left}-${band.right}`);
  });

  it('draws one hollow box per non-ASCII character, so Chinese prompts still show their length', () => {
    const count = (text: string): number => {
      // Total width of the prompt lines (every band after the label).
      const { bands } = analyse(renderPlaceholder({ width, height, prompt: text }), width, height, text);
      return bands.slice(1).reduce((sum, band) => sum + (band.right - band.left + 1), 0);
    };
    const one = count('猫');
    const five = count('一只睡觉猫');
    assert.ok(one > 0, 'a box is drawn for a single Chinese character');
    // Five cells are 5 * 6 - 1 = 29 columns against 5 for one cell.
    assert.equal(five / one, 29 / 5);
  });

  it('wraps and truncates a long prompt inside the margins', () => {
    const long = 'an extremely detailed prompt '.repeat(400);
    const started = performance.now();
    const pixels = renderPlaceholder({ width: 640, height: 480, prompt: long });
    assert.ok(performance.now() - started < 2000);
    const { bands, textPixels } = analyse(pixels, 640, 480, long);
    assert.ok(bands.length >= 4, 'several prompt lines');
    const last = bands[bands.length - 1]!;
    assert.ok(last.bottom < 480 - 480 * 0.05, 'no text in the bottom margin');
    assert.ok(bands.every((band) => band.left > 640 * 0.04 && band.right < 640 * 0.96), 'no text in the side margins');
    assert.ok(textPixels < 640 * 480 * 0.25);
  });

  it('renders readable text from tiny to huge sizes and odd aspect ratios', () => {
    for (const [w, h] of [[1, 1], [2, 3], [8, 8], [64, 64], [4096, 16], [16, 4096], [1536, 1024], [1024, 1536]] as const) {
      const pixels = renderPlaceholder({ width: w, height: h, prompt: 'sunset' });
      assert.equal(pixels.length, w * h * 3);
      if (w >= 64 && h >= 64) {
        const label = analyse(pixels, w, h, 'sunset').bands[0];
        assert.ok(label, `label drawn at ${w}x${h}`);
      }
    }
  });

  it('rejects sizes that are not whole pixels in range', () => {
    for (const [w, h] of [[0, 10], [10, -1], [1.5, 10], [Number.NaN, 10], [10, 20000]]) {
      assert.throws(() => renderPlaceholder({ width: w!, height: h!, prompt: 'x' }), RangeError);
    }
  });

  it('renders and encodes 4096x4096 quickly', (t) => {
    const started = performance.now();
    const pixels = renderPlaceholder({ width: 4096, height: 4096, prompt: '一只在樱花树下睡觉的狐狸 — a fox asleep under a cherry tree, watercolour' });
    const rendered = performance.now();
    const png = encodePng(pixels, 4096, 4096, 3, { level: 6 });
    const finished = performance.now();
    t.diagnostic(`render ${(rendered - started).toFixed(0)} ms, encode ${(finished - rendered).toFixed(0)} ms, ${png.length} bytes`);
    // Typically about half a second on two cores; the bound only catches a pathological slowdown.
    assert.ok(finished - started < 5000, `took ${finished - started} ms`);
    const info = readPngInfo(png);
    assert.equal(info.width, 4096);
    assert.equal(info.height, 4096);
    // The label scales with the image: "4096 × 4096" is 11 cells wide.
    const row = 2048;
    let textInMiddleRow = 0;
    const base = promptColour('一只在樱花树下睡觉的狐狸 — a fox asleep under a cherry tree, watercolour');
    for (let y = row - 400; y < row + 400; y += 8) {
      for (let x = 0; x < 4096; x += 8) if (distance(pixelAt(pixels, 4096, x, y), base) > 100) textInMiddleRow++;
    }
    assert.ok(textInMiddleRow > 1000, `${textInMiddleRow} sampled text pixels near the middle`);
  });
});
