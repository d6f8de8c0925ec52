import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../../../src/core/image/png';
import { extensionFor, sniffImage } from '../../../../src/core/image/sniff';
import { encodeJpeg } from '../../../support/jpeg-encoder';
import { encodeWebp } from '../../../support/webp-encoder';

/** Deterministic pseudo-random generator (mulberry32) returning 0..255. */
function randomByteSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
}

/** A JPEG marker segment: FF, marker, big-endian length (including itself), body. */
function segment(marker: number, body: number[]): number[] {
  return [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
}

function frameHeader(marker: number, width: number, height: number): number[] {
  return segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
}

function riff(fourCc: string, payload: number[]): Buffer {
  const data = Buffer.from(payload);
  const file = Buffer.alloc(20 + data.length);
  file.write('RIFF', 0, 'latin1');
  file.writeUInt32LE(12 + data.length, 4);
  file.write('WEBP' + fourCc, 8, 'latin1');
  file.writeUInt32LE(data.length, 16);
  data.copy(file, 20);
  return file;
}

/** A VP8 (lossy) key-frame header with the given 14-bit sizes and 2-bit scale hints. */
function lossyWebp(width: number, height: number, scale = 0): Buffer {
  const size = (value: number): number[] => [value & 0xff, ((value >> 8) & 0x3f) | (scale << 6)];
  return riff('VP8 ', [0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...size(width), ...size(height), 0, 0]);
}

function extendedWebp(width: number, height: number): Buffer {
  const size = (value: number): number[] => [(value - 1) & 0xff, ((value - 1) >> 8) & 0xff, ((value - 1) >> 16) & 0xff];
  return riff('VP8X', [0x10, 0, 0, 0, ...size(width), ...size(height)]);
}

function onPath(tool: string): boolean {
  return spawnSync(tool, ['-version'], { stdio: 'ignore' }).error === undefined;
}

describe('sniffImage', () => {
  for (const [width, height] of [[1536, 1024], [17, 9], [1, 1]] as const) {
    it(`reads ${width}x${height} from PNG, JPEG and WebP files made by the encoders`, () => {
      const rgb = new Uint8Array(width * height * 3).fill(90);
      const rgba = new Uint8Array(width * height * 4).fill(200);
      assert.deepEqual(sniffImage(encodePng(rgb, width, height, 3)), { mediaType: 'image/png', width, height });
      assert.deepEqual(sniffImage(encodeJpeg(rgb, width, height)), { mediaType: 'image/jpeg', width, height });
      assert.deepEqual(sniffImage(encodeWebp(rgba, width, height)), { mediaType: 'image/webp', width, height });
    });
  }

  it('walks JPEG markers past APPn, COM, DHT, DAC, JPG, fill bytes and standalone markers to any SOFn', () => {
    // The DHT body contains FF C0 with a plausible size: only skipping by length gets past it.
    const prefix = [
      0xff, 0xd8,
      ...segment(0xe0, [...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]),
      ...segment(0xe1, [...Buffer.from('Exif\0\0'), ...new Array<number>(300).fill(0xff)]),
      0xff, 0xff, 0xff, // fill bytes
      ...segment(0xfe, [...Buffer.from('a comment')]),
      ...segment(0xc4, [0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x01, 0x00, 0x01]),
      ...segment(0xcc, [0x10, 0x01]),
      ...segment(0xc8, [1, 2, 3]),
      0xff, 0x01, // TEM
      0xff, 0xd3, // RST3
    ];
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      const jpeg = Buffer.from([...prefix, ...frameHeader(marker, 4000, 65535)]);
      assert.deepEqual(sniffImage(jpeg), { mediaType: 'image/jpeg', width: 4000, height: 65535 }, marker.toString(16));
    }
  });

  it('gives up on JPEGs whose size cannot come from the headers', () => {
    const start = [0xff, 0xd8, ...segment(0xe0, [0, 0])];
    assert.equal(sniffImage(Buffer.from([...start, ...segment(0xda, [1, 2, 3]), ...frameHeader(0xc0, 8, 8)])), undefined); // SOS first
    assert.equal(sniffImage(Buffer.from([...start, 0xff, 0xd9, ...frameHeader(0xc0, 8, 8)])), undefined); // EOI first
    assert.equal(sniffImage(Buffer.from([...start, ...frameHeader(0xc0, 8, 0)])), undefined); // height in a later DNL
    assert.equal(sniffImage(Buffer.from([...start, 0x12, 0x34, ...frameHeader(0xc0, 8, 8)])), undefined); // not a marker
    assert.equal(sniffImage(Buffer.from([...start, 0xff, 0xe1, 0x00, 0x01])), undefined); // impossible length
  });

  it('reads lossy (VP8), lossless (VP8L) and extended (VP8X) WebP headers', () => {
    assert.deepEqual(sniffImage(lossyWebp(1536, 1024)), { mediaType: 'image/webp', width: 1536, height: 1024 });
    assert.deepEqual(sniffImage(lossyWebp(16383, 7, 3)), { mediaType: 'image/webp', width: 16383, height: 7 });
    assert.deepEqual(sniffImage(extendedWebp(20000, 300)), { mediaType: 'image/webp', width: 20000, height: 300 });
    assert.deepEqual(sniffImage(extendedWebp(1 << 24, 1)), { mediaType: 'image/webp', width: 1 << 24, height: 1 });
    assert.deepEqual(sniffImage(encodeWebp(new Uint8Array(16384 * 4), 16384, 1)), { mediaType: 'image/webp', width: 16384, height: 1 });
  });

  it('rejects WebP headers that do not check out', () => {
    const interFrame = lossyWebp(10, 10);
    interFrame[20] = 0x01; // frame tag bit 0 set: not a key frame, no size
    assert.equal(sniffImage(interFrame), undefined);
    const badStartCode = lossyWebp(10, 10);
    badStartCode[24] = 0x02;
    assert.equal(sniffImage(badStartCode), undefined);
    const lossless = encodeWebp(new Uint8Array(4), 1, 1);
    assert.equal(sniffImage(Buffer.concat([lossless.subarray(0, 20), Buffer.from([0x2e]), lossless.subarray(21)])), undefined);
    const futureVersion = Buffer.from(lossless);
    futureVersion[24]! |= 0x20; // version bits must be 0
    assert.equal(sniffImage(futureVersion), undefined);
    assert.equal(sniffImage(riff('ALPH', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), undefined);
    const wave = Buffer.from(lossless);
    wave.write('WAVE', 8, 'latin1');
    assert.equal(sniffImage(wave), undefined);
  });

  it('returns undefined for every prefix too short to hold the size', () => {
    const cases: [Buffer, number][] = [
      [encodePng(new Uint8Array(3), 1, 1, 3), 24],
      [encodeJpeg(new Uint8Array(3), 1, 1), 2 + 18 + (4 + 2 * 65) + 9], // SOI, APP0, DQT, then SOF0 up to the width
      [encodeWebp(new Uint8Array(4), 1, 1), 25],
      [lossyWebp(5, 5), 30],
      [extendedWebp(5, 5), 30],
    ];
    for (const [file, needed] of cases) {
      assert.ok(sniffImage(file.subarray(0, needed)), `full header of ${needed} bytes`);
      for (let length = 0; length < needed; length++) assert.equal(sniffImage(file.subarray(0, length)), undefined, `prefix of ${length}`);
    }
  });

  it('returns undefined for other formats and garbage', () => {
    const others = [
      Buffer.alloc(0),
      Buffer.from('GIF89a\x10\x00\x10\x00\x00\x00\x00', 'latin1'),
      Buffer.from('BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00(\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00', 'latin1'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      Buffer.from('{"error":{"message":"rate limited"}}'),
      Buffer.from('\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x00\x00\x00\x00\x01', 'latin1'), // zero width
    ];
    for (const bytes of others) assert.equal(sniffImage(bytes), undefined, bytes.toString('latin1', 0, 12));
  });

  it('never throws, whatever the bytes', () => {
    const next = randomByteSource(2024);
    const seeds = [
      encodePng(new Uint8Array(12), 2, 2, 3).subarray(0, 40),
      encodeJpeg(new Uint8Array(12), 2, 2).subarray(0, 200),
      encodeWebp(new Uint8Array(16), 2, 2),
      lossyWebp(3, 3),
      extendedWebp(3, 3),
    ];
    for (let round = 0; round < 4000; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = Uint8Array.from({ length: next() % 64 }, next);
      } else {
        const seed = seeds[round % seeds.length]!;
        bytes = Uint8Array.from(seed.subarray(0, next() % (seed.length + 1)));
        for (let flips = next() % 4; flips > 0 && bytes.length > 0; flips--) bytes[next() % bytes.length] = next();
      }
      const view = new Uint8Array(new Uint8Array(bytes.length + 3).buffer, 3, bytes.length); // odd byteOffset
      view.set(bytes);
      assert.doesNotThrow(() => sniffImage(view));
    }
  });

  it('reads real lossy and extended WebP files from cwebp', (t) => {
    if (!onPath('cwebp')) {
      t.skip('cwebp is not on PATH');
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'sniff-'));
    try {
      const rgba = new Uint8Array(300 * 200 * 4).map((_, i) => (i % 4 === 3 ? (i % 7) * 30 : i % 251));
      writeFileSync(join(directory, 'in.png'), encodePng(rgba, 300, 200, 4));
      for (const [name, flags] of [['lossy', ['-q', '70', '-noalpha']], ['alpha', ['-q', '70']]] as const) {
        const out = join(directory, `${name}.webp`);
        const result = spawnSync('cwebp', ['-quiet', ...flags, join(directory, 'in.png'), '-o', out]);
        assert.equal(result.status, 0, result.stderr.toString());
        const bytes = readFileSync(out);
        assert.equal(bytes.toString('latin1', 12, 16), name === 'lossy' ? 'VP8 ' : 'VP8X');
        assert.deepEqual(sniffImage(bytes), { mediaType: 'image/webp', width: 300, height: 200 });
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('extensionFor', () => {
  it('maps each media type to its usual extension', () => {
    assert.equal(extensionFor('image/png'), 'png');
    assert.equal(extensionFor('image/jpeg'), 'jpg');
    assert.equal(extensionFor('image/webp'), 'webp');
  });
});
