import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, encodePng } from '../../../src/core/image/png';
import { sniffImage } from '../../../src/core/image/sniff';
import { encodeJpeg } from '../../support/jpeg-encoder';
import { encodeWebp } from '../../support/webp-encoder';
import { randomBytes } from '../helpers';


/** A smooth RGB test card: horizontal and vertical ramps plus a diagonal one. */
function gradient(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      rgb[at] = Math.round((x / Math.max(1, width - 1)) * 255);
      rgb[at + 1] = Math.round((y / Math.max(1, height - 1)) * 255);
      rgb[at + 2] = Math.round(((x + y) / Math.max(1, width + height - 2)) * 200) + 20;
    }
  }
  return rgb;
}

/** Parses binary PPM (P6) and PAM (P7) files as written by djpeg and dwebp. */
function readNetpbm(bytes: Buffer): { width: number; height: number; channels: number; data: Buffer } {
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 256));
  if (head.startsWith('P7')) {
    const end = head.indexOf('ENDHDR\n') + 'ENDHDR\n'.length;
    const field = (name: string): number => Number(new RegExp(`${name} (\\d+)`).exec(head)![1]);
    return { width: field('WIDTH'), height: field('HEIGHT'), channels: field('DEPTH'), data: bytes.subarray(end) };
  }
  const match = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(head);
  assert.ok(match, `unexpected decoder output: ${JSON.stringify(head.slice(0, 20))}`);
  return { width: Number(match[1]), height: Number(match[2]), channels: 3, data: bytes.subarray(match[0].length) };
}

function onPath(tool: string): boolean {
  return spawnSync(tool, ['-version'], { stdio: 'ignore' }).error === undefined;
}

/** Mean and largest absolute difference per sample. */
function difference(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  assert.equal(a.length, b.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const delta = Math.abs(a[i]! - b[i]!);
    sum += delta;
    if (delta > max) max = delta;
  }
  return { mean: sum / a.length, max };
}

/** The JPEG's markers in order, walking segment lengths up to SOS. */
function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  let at = 2;
  for (;;) {
    assert.equal(jpeg[at], 0xff);
    const marker = jpeg[at + 1]!;
    markers.push(marker);
    if (marker === 0xda) return markers;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
}

describe('encodeJpeg', () => {
  it('writes a baseline JFIF file: SOI, APP0, DQT, SOF0, DHT, SOS ... EOI', () => {
    const jpeg = encodeJpeg(gradient(17, 9), 17, 9);
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
    assert.equal(jpeg.toString('latin1', 6, 11), 'JFIF\0');
    assert.deepEqual(jpegMarkers(jpeg), [0xe0, 0xdb, 0xc0, 0xc4, 0xda]);
    assert.deepEqual(sniffImage(jpeg), { mediaType: 'image/jpeg', width: 17, height: 9 });
  });

  it('handles sizes that are not multiples of the 8x8 block', () => {
    for (const [width, height] of [[1, 1], [8, 8], [9, 17], [257, 13]] as const) {
      assert.deepEqual(sniffImage(encodeJpeg(randomBytes(width * height * 3, width), width, height)), { mediaType: 'image/jpeg', width, height });
    }
  });

  it('rejects mismatched buffers and sizes JPEG cannot hold', () => {
    assert.throws(() => encodeJpeg(new Uint8Array(10), 2, 2), RangeError);
    assert.throws(() => encodeJpeg(new Uint8Array(0), 0, 0), RangeError);
    assert.throws(() => encodeJpeg(new Uint8Array(70000 * 3), 70000, 1), RangeError);
  });

  it('encodes 1536x1024 quickly', (t) => {
    const rgb = gradient(1536, 1024);
    const started = performance.now();
    const jpeg = encodeJpeg(rgb, 1536, 1024);
    const elapsed = performance.now() - started;
    t.diagnostic(`1536x1024 in ${elapsed.toFixed(0)} ms, ${jpeg.length} bytes`);
    // Typically about 0.2 s; the bound only catches a pathological slowdown.
    assert.ok(elapsed < 3000, `${elapsed} ms`);
  });
});

describe('encodeWebp', () => {
  it('writes a well-formed RIFF / WEBP / VP8L container', () => {
    for (const [width, height] of [[1, 1], [17, 9], [3, 5]] as const) {
      const webp = encodeWebp(randomBytes(width * height * 4, height), width, height);
      assert.equal(webp.toString('latin1', 0, 4), 'RIFF');
      assert.equal(webp.readUInt32LE(4), webp.length - 8);
      assert.equal(webp.length % 2, 0);
      assert.equal(webp.toString('latin1', 8, 16), 'WEBPVP8L');
      const chunkSize = webp.readUInt32LE(16);
      assert.ok(chunkSize === webp.length - 20 || chunkSize === webp.length - 21);
      assert.equal(webp[20], 0x2f);
      const bits = webp.readUInt32LE(21);
      assert.equal((bits & 0x3fff) + 1, width);
      assert.equal(((bits >>> 14) & 0x3fff) + 1, height);
      assert.equal((bits >>> 28) & 1, 1, 'random alpha is flagged as used');
      assert.equal(bits >>> 29, 0, 'version 0');
    }
  });

  it('flags alpha only when some pixel is not opaque', () => {
    const opaque = new Uint8Array(16).fill(255);
    assert.equal((encodeWebp(opaque, 2, 2).readUInt32LE(21) >>> 28) & 1, 0);
  });

  it('rejects mismatched buffers and sizes VP8L cannot hold', () => {
    assert.throws(() => encodeWebp(new Uint8Array(3), 1, 1), RangeError);
    assert.throws(() => encodeWebp(new Uint8Array(16385 * 4), 16385, 1), RangeError);
  });
});

describe('real decoders accept the encoders output', () => {
  let directory = '';
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'imagegen-encoders-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  /** Decodes with djpeg (libjpeg-turbo) to PPM. */
  const djpeg = (jpeg: Buffer): ReturnType<typeof readNetpbm> => {
    const result = spawnSync('djpeg', ['-pnm'], { input: jpeg, maxBuffer: 1 << 28 });
    assert.equal(result.status, 0, result.stderr.toString());
    assert.equal(result.stderr.length, 0, `djpeg warned: ${result.stderr.toString()}`);
    return readNetpbm(result.stdout);
  };

  /** Decodes with dwebp (libwebp) to PAM, or to PNG (written by libpng) when asked. */
  const dwebp = (webp: Buffer, format: 'pam' | 'png' = 'pam'): Buffer => {
    const input = join(directory, 'in.webp');
    const output = join(directory, `out.${format}`);
    writeFileSync(input, webp);
    const result = spawnSync('dwebp', ['-quiet', input, ...(format === 'pam' ? ['-pam'] : []), '-o', output]);
    assert.equal(result.status, 0, result.stderr.toString());
    return readFileSync(output);
  };

  it('djpeg decodes smooth images to close colours', (t) => {
    if (!onPath('djpeg')) return t.skip('djpeg (libjpeg-turbo-progs) is not on PATH');
    for (const [width, height] of [[1536, 1024], [17, 9], [9, 17], [1, 1]] as const) {
      const rgb = gradient(width, height);
      const decoded = djpeg(encodeJpeg(rgb, width, height, 90));
      assert.equal(decoded.width, width);
      assert.equal(decoded.height, height);
      const { mean, max } = difference(decoded.data, rgb);
      assert.ok(mean < 2 && max < 24, `${width}x${height}: mean ${mean.toFixed(2)}, max ${max}`);
    }
  });

  it('djpeg decodes flat colour blocks to their colours, edge blocks included', (t) => {
    if (!onPath('djpeg')) return t.skip('djpeg (libjpeg-turbo-progs) is not on PATH');
    const width = 44;
    const height = 27;
    const colours = [[230, 30, 40], [20, 200, 60], [30, 60, 220], [250, 250, 250], [0, 0, 0], [128, 128, 0]];
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgb.set(colours[(Math.floor(x / 8) + Math.floor(y / 8)) % colours.length]!, (y * width + x) * 3);
    }
    const decoded = djpeg(encodeJpeg(rgb, width, height, 95));
    // In the middle of each block (flat, even when padded at the edges) colours come back within a few levels.
    for (let blockY = 0; blockY < height; blockY += 8) {
      for (let blockX = 0; blockX < width; blockX += 8) {
        const at = (Math.min(height - 1, blockY + 3) * width + Math.min(width - 1, blockX + 3)) * 3;
        for (let channel = 0; channel < 3; channel++) {
          const error = Math.abs(decoded.data[at + channel]! - rgb[at + channel]!);
          assert.ok(error <= 10, `block (${blockX}, ${blockY}) channel ${channel} off by ${error}`);
        }
      }
    }
  });

  it('djpeg decodes noise at every quality, with error shrinking as quality rises', (t) => {
    if (!onPath('djpeg')) return t.skip('djpeg (libjpeg-turbo-progs) is not on PATH');
    // Noise exercises every coefficient size, zero runs of 16+ and 0xFF byte stuffing.
    const rgb = randomBytes(67 * 45 * 3, 99);
    let previous = Infinity;
    for (const quality of [1, 10, 50, 85, 100]) {
      const decoded = djpeg(encodeJpeg(rgb, 67, 45, quality));
      const { mean } = difference(decoded.data, rgb);
      assert.ok(mean < previous, `quality ${quality}: mean ${mean}`);
      previous = mean;
    }
    assert.ok(previous < 3, `quality 100 mean error ${previous}`);
  });

  it('dwebp decodes to exactly the original pixels', (t) => {
    if (!onPath('dwebp')) return t.skip('dwebp (webp) is not on PATH');
    const fibonacci = [1, 1];
    while (fibonacci.length < 20) fibonacci.push(fibonacci[fibonacci.length - 1]! + fibonacci[fibonacci.length - 2]!);
    // Fibonacci-distributed red values make an optimal Huffman tree 19 deep: the encoder must
    // limit it to VP8L's 15.
    const skewedRed = fibonacci.flatMap((count, value) => new Array<number>(count).fill(value * 10));
    const skewed = new Uint8Array(161 * 110 * 4);
    skewedRed.forEach((red, pixel) => skewed.set([red, pixel % 3, 7, 255], pixel * 4));

    const cases: [string, Uint8Array, number, number][] = [
      ['single pixel', Uint8Array.of(10, 20, 30, 255), 1, 1],
      ['one colour', new Uint8Array(17 * 9 * 4).fill(77), 17, 9],
      ['two colours', Uint8Array.from({ length: 17 * 9 * 4 }, (_, i) => ((i >> 2) % 2 ? 255 : 0)), 17, 9],
      ['three grey levels', Uint8Array.from({ length: 9 * 5 * 4 }, (_, i) => (i % 4 === 3 ? 255 : ((i >> 2) % 3) * 100)), 9, 5],
      ['random RGBA', randomBytes(257 * 13 * 4, 5), 257, 13],
      ['skewed histogram', skewed, 161, 110],
      ['large gradient', Uint8Array.from({ length: 1536 * 1024 * 4 }, (_, i) => (i % 4 === 3 ? 255 - ((i >> 12) & 0x7f) : (i * 7) >> 10)), 1536, 1024],
    ];
    for (const [name, rgba, width, height] of cases) {
      const decoded = readNetpbm(dwebp(encodeWebp(rgba, width, height)));
      assert.equal(decoded.width, width, name);
      assert.equal(decoded.height, height, name);
      assert.equal(decoded.channels, 4, name);
      assert.ok(Buffer.from(rgba).equals(decoded.data), `${name}: pixels differ`);
    }
  });

  it('decodePng reads PNGs that libpng wrote (via dwebp), adaptive filters and all', (t) => {
    if (!onPath('dwebp')) return t.skip('dwebp (webp) is not on PATH');
    const rgba = Uint8Array.from({ length: 300 * 200 * 4 }, (_, i) => ((i >> 2) % 300) * ((i & 3) + 1) + (i >> 10));
    const png = dwebp(encodeWebp(rgba, 300, 200), 'png');
    const decoded = decodePng(png);
    assert.equal(decoded.width, 300);
    assert.equal(decoded.height, 200);
    assert.ok(Buffer.from(decoded.rgba).equals(rgba));
  });

  it('libpng reads what encodePng writes (via cwebp -lossless and dwebp)', (t) => {
    if (!onPath('cwebp') || !onPath('dwebp')) return t.skip('cwebp and dwebp (webp) are not on PATH');
    const rgba = randomBytes(33 * 21 * 4, 8);
    const pngPath = join(directory, 'ours.png');
    writeFileSync(pngPath, encodePng(rgba, 33, 21, 4, { text: { Comment: '你好' } }));
    const webpPath = join(directory, 'ours.webp');
    const result = spawnSync('cwebp', ['-quiet', '-lossless', '-exact', pngPath, '-o', webpPath]);
    assert.equal(result.status, 0, result.stderr.toString());
    const decoded = readNetpbm(dwebp(readFileSync(webpPath)));
    assert.ok(decoded.data.equals(Buffer.from(rgba)));
  });
});
