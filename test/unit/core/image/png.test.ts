import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { decodePng, encodePng, insertPngText, itxtChunkData, pngChunk, readPngInfo } from '../../../../src/core/image/png';
import { randomBytes } from '../../helpers';



const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The PNG filters written independently of the decoder: filtered = raw - predictor. */
function filterRow(type: number, row: Uint8Array, above: Uint8Array, bytesPerPixel: number): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const left = i >= bytesPerPixel ? row[i - bytesPerPixel]! : 0;
    const up = above[i]!;
    const upLeft = i >= bytesPerPixel ? above[i - bytesPerPixel]! : 0;
    let predictor = 0;
    if (type === 1) predictor = left;
    else if (type === 2) predictor = up;
    else if (type === 3) predictor = Math.floor((left + up) / 2);
    else if (type === 4) {
      const estimate = left + up - upLeft;
      const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
      predictor = a <= b && a <= c ? left : b <= c ? up : upLeft;
    }
    out[i] = (row[i]! - predictor) & 0xff;
  }
  return out;
}

interface PngSpec {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  /** Unfiltered rows, packed as the PNG spec lays them out. */
  rows: Uint8Array[];
  /** Filter type per row (cycled). */
  filters?: number[];
  palette?: number[];
  transparency?: number[];
  interlace?: number;
  extraChunks?: Buffer[];
}

/** Builds a PNG by hand: our own filtering, zlib for IDAT, split over two IDAT chunks. */
function buildPng(spec: PngSpec): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType]!;
  const bytesPerPixel = Math.max(1, (channels * spec.bitDepth) >> 3);
  const filters = spec.filters ?? [0];
  const parts: Uint8Array[] = [];
  let above: Uint8Array = new Uint8Array(spec.rows[0]!.length);
  spec.rows.forEach((row, y) => {
    const type = filters[y % filters.length]!;
    parts.push(Uint8Array.of(type), filterRow(type, row, above, bytesPerPixel));
    above = row;
  });
  const compressed = deflateSync(Buffer.concat(parts));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(spec.width, 0);
  header.writeUInt32BE(spec.height, 4);
  header[8] = spec.bitDepth;
  header[9] = spec.colorType;
  header[12] = spec.interlace ?? 0;
  const half = Math.floor(compressed.length / 2);
  return Buffer.concat([
    SIGNATURE,
    pngChunk('IHDR', header),
    ...(spec.extraChunks ?? []),
    ...(spec.palette ? [pngChunk('PLTE', Uint8Array.from(spec.palette))] : []),
    ...(spec.transparency ? [pngChunk('tRNS', Uint8Array.from(spec.transparency))] : []),
    pngChunk('IDAT', compressed.subarray(0, half)),
    pngChunk('IDAT', compressed.subarray(half)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Splits packed pixels into rows of `rowBytes`. */
function rowsOf(bytes: Uint8Array, rowBytes: number): Uint8Array[] {
  return Array.from({ length: bytes.length / rowBytes }, (_, y) => bytes.subarray(y * rowBytes, (y + 1) * rowBytes));
}

function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) rgba.set([rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, 255], j);
  return rgba;
}

/** Packs sub-byte samples MSB first, each row starting on a byte boundary. */
function packSamples(samples: number[], width: number, bitDepth: number): Uint8Array[] {
  const rowBytes = Math.ceil((width * bitDepth) / 8);
  const rows: Uint8Array[] = [];
  for (let start = 0; start < samples.length; start += width) {
    const row = new Uint8Array(rowBytes);
    samples.slice(start, start + width).forEach((value, x) => {
      row[(x * bitDepth) >> 3]! |= value << (8 - bitDepth - ((x * bitDepth) & 7));
    });
    rows.push(row);
  }
  return rows;
}

const SIZES: [number, number][] = [[1, 1], [3, 5], [257, 13]];

describe('encodePng / decodePng round trip', () => {
  for (const [width, height] of SIZES) {
    for (const channels of [3, 4] as const) {
      it(`restores ${channels === 3 ? 'RGB' : 'RGBA'} pixels exactly at ${width}x${height}`, () => {
        const pixels = randomBytes(width * height * channels, width * 31 + height + channels);
        const decoded = decodePng(encodePng(pixels, width, height, channels));
        assert.equal(decoded.width, width);
        assert.equal(decoded.height, height);
        assert.deepEqual(decoded.rgba, channels === 4 ? pixels : rgbToRgba(pixels));
      });
    }
  }

  it('still writes text given to encodePng as readable iTXt', () => {
    const png = encodePng(new Uint8Array(12), 2, 2, 3, { level: 9, text: { Comment: 'héllo 你好' } });
    assert.deepEqual(readPngInfo(png).text, { Comment: 'héllo 你好' });
    assert.deepEqual(decodePng(png).rgba, rgbToRgba(new Uint8Array(12)));
  });

  it('rejects a pixel buffer of the wrong length', () => {
    assert.throws(() => encodePng(new Uint8Array(5), 2, 1, 3), RangeError);
  });
});

describe('decodePng filters', () => {
  for (const [width, height] of SIZES) {
    for (const filter of [0, 1, 2, 3, 4]) {
      it(`undoes filter ${filter} on RGB and RGBA at ${width}x${height}`, () => {
        for (const [colorType, channels] of [[2, 3], [6, 4]] as const) {
          const pixels = randomBytes(width * height * channels, filter * 1000 + width + colorType);
          const png = buildPng({ width, height, colorType, bitDepth: 8, rows: rowsOf(pixels, width * channels), filters: [filter] });
          assert.deepEqual(decodePng(png).rgba, channels === 4 ? pixels : rgbToRgba(pixels));
        }
      });
    }
  }

  it('undoes a different filter on every row, on smooth and noisy content', () => {
    const width = 37;
    const height = 23;
    const smooth = new Uint8Array(width * height * 4).map((_, i) => (i % 4 === 3 ? 200 : ((i >> 2) % width) * 3 + Math.floor(i / (width * 4)) * 5));
    for (const pixels of [smooth, randomBytes(width * height * 4, 7)]) {
      const png = buildPng({ width, height, colorType: 6, bitDepth: 8, rows: rowsOf(pixels, width * 4), filters: [4, 3, 2, 1, 0, 3, 4, 1] });
      assert.deepEqual(decodePng(png).rgba, pixels);
    }
  });
});

describe('decodePng colour types and bit depths', () => {
  it('expands 8-bit grey and grey + alpha', () => {
    const grey = randomBytes(15, 1);
    const greyPng = buildPng({ width: 5, height: 3, colorType: 0, bitDepth: 8, rows: rowsOf(grey, 5), filters: [1, 4, 3] });
    assert.deepEqual(decodePng(greyPng).rgba, Uint8Array.from([...grey].flatMap((value) => [value, value, value, 255])));

    const greyAlpha = randomBytes(30, 2);
    const greyAlphaPng = buildPng({ width: 5, height: 3, colorType: 4, bitDepth: 8, rows: rowsOf(greyAlpha, 10), filters: [2, 4] });
    const expected = [];
    for (let i = 0; i < 30; i += 2) expected.push(greyAlpha[i]!, greyAlpha[i]!, greyAlpha[i]!, greyAlpha[i + 1]!);
    assert.deepEqual(decodePng(greyAlphaPng).rgba, Uint8Array.from(expected));
  });

  it('scales 1, 2 and 4-bit grey to the full 0-255 range, honouring the tRNS grey value', () => {
    for (const bitDepth of [1, 2, 4]) {
      const max = (1 << bitDepth) - 1;
      const width = 11;
      const samples = Array.from({ length: width * 3 }, (_, i) => (i * 7) % (max + 1));
      const png = buildPng({ width, height: 3, colorType: 0, bitDepth, rows: packSamples(samples, width, bitDepth), filters: [0, 1, 4], transparency: [0, max] });
      const expected = samples.flatMap((value) => {
        const level = Math.round((value * 255) / max);
        return [level, level, level, value === max ? 0 : 255];
      });
      assert.deepEqual(decodePng(png).rgba, Uint8Array.from(expected), `bit depth ${bitDepth}`);
    }
  });

  it('looks up 1, 2, 4 and 8-bit palettes with per-entry tRNS alpha', () => {
    for (const bitDepth of [1, 2, 4, 8]) {
      const entries = 1 << bitDepth;
      const palette = Array.from({ length: entries * 3 }, (_, i) => (i * 37) & 0xff);
      const transparency = [0, 128]; // entries 2+ stay opaque
      const width = 9;
      const samples = Array.from({ length: width * 4 }, (_, i) => (i * 5) % entries);
      const png = buildPng({ width, height: 4, colorType: 3, bitDepth, rows: packSamples(samples, width, bitDepth), filters: [0, 2, 3, 4], palette, transparency });
      const expected = samples.flatMap((index) => [palette[index * 3]!, palette[index * 3 + 1]!, palette[index * 3 + 2]!, transparency[index] ?? 255]);
      assert.deepEqual(decodePng(png).rgba, Uint8Array.from(expected), `bit depth ${bitDepth}`);
    }
  });

  it('reduces 16-bit RGBA, RGB with tRNS, grey and grey + alpha to 8 bits', () => {
    const width = 4;
    const height = 3;
    const toEight = (value: number): number => (value * 255 + 32895) >>> 16;
    const words = Array.from({ length: width * height * 4 }, (_, i) => (i * 4099 + 17) & 0xffff);
    const bytes = Uint8Array.from(words.flatMap((word) => [word >> 8, word & 0xff]));
    const rgba = buildPng({ width, height, colorType: 6, bitDepth: 16, rows: rowsOf(bytes, width * 8), filters: [1, 4, 2] });
    assert.deepEqual(decodePng(rgba).rgba, Uint8Array.from(words.map(toEight)));

    const rgbWords = words.slice(0, width * height * 3);
    rgbWords.splice(3, 3, 0x1234, 0x5678, 0x9abc); // pixel 1 is the transparent colour
    const rgbBytes = Uint8Array.from(rgbWords.flatMap((word) => [word >> 8, word & 0xff]));
    const rgb = buildPng({ width, height, colorType: 2, bitDepth: 16, rows: rowsOf(rgbBytes, width * 6), filters: [3], transparency: [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc] });
    const expected: number[] = [];
    for (let pixel = 0; pixel < width * height; pixel++) {
      const [red, green, blue] = rgbWords.slice(pixel * 3, pixel * 3 + 3) as [number, number, number];
      expected.push(toEight(red), toEight(green), toEight(blue), pixel === 1 ? 0 : 255);
    }
    assert.deepEqual(decodePng(rgb).rgba, Uint8Array.from(expected));

    const greyWords = words.slice(0, width * height * 2);
    const greyBytes = Uint8Array.from(greyWords.flatMap((word) => [word >> 8, word & 0xff]));
    const greyAlpha = buildPng({ width, height, colorType: 4, bitDepth: 16, rows: rowsOf(greyBytes, width * 4), filters: [4] });
    const greyAlphaExpected: number[] = [];
    for (let i = 0; i < greyWords.length; i += 2) {
      const level = toEight(greyWords[i]!);
      greyAlphaExpected.push(level, level, level, toEight(greyWords[i + 1]!));
    }
    assert.deepEqual(decodePng(greyAlpha).rgba, Uint8Array.from(greyAlphaExpected));

    const grey = buildPng({ width: width * 2, height, colorType: 0, bitDepth: 16, rows: rowsOf(greyBytes, width * 4), filters: [2] });
    assert.deepEqual(decodePng(grey).rgba, Uint8Array.from(greyWords.flatMap((word) => [toEight(word), toEight(word), toEight(word), 255])));
  });
});

describe('decodePng errors', () => {
  const good = encodePng(randomBytes(48, 3), 4, 4, 3);

  it('says what is wrong with bad input', () => {
    assert.throws(() => decodePng(new Uint8Array(0)), { message: 'not a PNG file' });
    assert.throws(() => decodePng(Buffer.from('GIF89a not a png at all')), { message: 'not a PNG file' });
    assert.throws(() => decodePng(good.subarray(0, good.length - 20)), /truncated PNG/);
    assert.throws(() => decodePng(good.subarray(0, 20)), /truncated PNG/);
  });

  it('refuses interlaced images clearly', () => {
    const png = buildPng({ width: 2, height: 2, colorType: 2, bitDepth: 8, rows: rowsOf(new Uint8Array(12), 6), interlace: 1 });
    assert.throws(() => decodePng(png), /interlaced/);
    assert.equal(readPngInfo(png).interlaced, true);
  });

  it('reports corrupt image data and unknown filter types', () => {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(2, 0);
    header.writeUInt32BE(2, 4);
    header[8] = 8;
    header[9] = 2;
    const withIdat = (data: Uint8Array): Buffer => Buffer.concat([SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', data), pngChunk('IEND', new Uint8Array(0))]);
    assert.throws(() => decodePng(withIdat(Buffer.from('definitely not zlib'))), /corrupt PNG image data/);
    assert.throws(() => decodePng(withIdat(deflateSync(Buffer.alloc(7)))), /truncated PNG image data/);
    assert.throws(() => decodePng(withIdat(deflateSync(Buffer.from([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])))), /filter type 5/);
  });

  it('rejects invalid headers and oversized images before allocating', () => {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(2, 0);
    header.writeUInt32BE(2, 4);
    header[8] = 16;
    header[9] = 3; // palette images cannot be 16-bit
    const png = Buffer.concat([SIGNATURE, pngChunk('IHDR', header), pngChunk('IEND', new Uint8Array(0))]);
    assert.throws(() => readPngInfo(png), /bit depth 16 is not allowed with colour type 3/);
    assert.throws(() => decodePng(good, { maxPixels: 15 }), /too large/);
  });
});

describe('readPngInfo', () => {
  const rows = (width: number, height: number, bytesPerPixel: number): Uint8Array[] => rowsOf(new Uint8Array(width * height * bytesPerPixel), width * bytesPerPixel);

  it('reads size and format, and detects alpha from the colour type or a tRNS chunk', () => {
    const cases: [string, Buffer, Partial<ReturnType<typeof readPngInfo>>][] = [
      ['RGB', encodePng(new Uint8Array(3 * 5 * 3), 3, 5, 3), { width: 3, height: 5, bitDepth: 8, colorType: 2, hasAlpha: false }],
      ['RGBA', encodePng(new Uint8Array(3 * 5 * 4), 3, 5, 4), { width: 3, height: 5, bitDepth: 8, colorType: 6, hasAlpha: true }],
      ['grey + alpha', buildPng({ width: 2, height: 2, colorType: 4, bitDepth: 8, rows: rows(2, 2, 2) }), { colorType: 4, hasAlpha: true }],
      ['palette', buildPng({ width: 2, height: 2, colorType: 3, bitDepth: 8, rows: rows(2, 2, 1), palette: [1, 2, 3] }), { colorType: 3, hasAlpha: false }],
      ['palette + tRNS', buildPng({ width: 2, height: 2, colorType: 3, bitDepth: 8, rows: rows(2, 2, 1), palette: [1, 2, 3], transparency: [0] }), { colorType: 3, hasAlpha: true }],
      ['grey 16-bit', buildPng({ width: 2, height: 2, colorType: 0, bitDepth: 16, rows: rows(2, 2, 2) }), { colorType: 0, bitDepth: 16, hasAlpha: false }],
      ['RGB + tRNS', buildPng({ width: 2, height: 2, colorType: 2, bitDepth: 8, rows: rows(2, 2, 3), transparency: [0, 0, 0, 0, 0, 0] }), { colorType: 2, hasAlpha: true }],
    ];
    for (const [name, png, expected] of cases) {
      const info = readPngInfo(png);
      for (const [key, value] of Object.entries(expected)) assert.equal(info[key as keyof typeof info], value, `${name}: ${key}`);
      assert.equal(info.interlaced, false, name);
    }
  });

  it('collects tEXt and uncompressed iTXt, skipping compressed iTXt', () => {
    const compressed = Buffer.concat([Buffer.from('Zipped\0', 'latin1'), Buffer.from([1, 0, 0, 0]), deflateSync(Buffer.from('secret'))]);
    const png = buildPng({
      width: 1,
      height: 1,
      colorType: 2,
      bitDepth: 8,
      rows: rows(1, 1, 3),
      extraChunks: [
        pngChunk('tEXt', Buffer.from('Author\0Zoë', 'latin1')),
        pngChunk('iTXt', itxtChunkData('Description', '一只猫 🐈')),
        pngChunk('iTXt', Buffer.concat([Buffer.from('Lang\0', 'latin1'), Buffer.from([0, 0]), Buffer.from('zh-CN\0猫\0', 'utf8'), Buffer.from('猫咪', 'utf8')])),
        pngChunk('iTXt', compressed),
        pngChunk('tEXt', Buffer.from('no separator', 'latin1')),
      ],
    });
    assert.deepEqual(readPngInfo(png).text, { Author: 'Zoë', Description: '一只猫 🐈', Lang: '猫咪' });
  });

  it('never inflates the image data', () => {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(4000, 0);
    header.writeUInt32BE(3000, 4);
    header[8] = 8;
    header[9] = 6;
    const png = Buffer.concat([SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', Buffer.from('garbage, not zlib')), pngChunk('IEND', new Uint8Array(0))]);
    assert.deepEqual(readPngInfo(png), { width: 4000, height: 3000, bitDepth: 8, colorType: 6, interlaced: false, hasAlpha: true, text: {} });
  });

  it('throws clear errors on bad input', () => {
    const png = encodePng(new Uint8Array(3), 1, 1, 3);
    assert.throws(() => readPngInfo(Buffer.from('\xff\xd8\xff\xe0', 'latin1')), { message: 'not a PNG file' });
    assert.throws(() => readPngInfo(png.subarray(0, 30)), /truncated PNG/);
    const noIhdr = Buffer.concat([SIGNATURE, pngChunk('IDAT', new Uint8Array(2)), pngChunk('IEND', new Uint8Array(0))]);
    assert.throws(() => readPngInfo(noIhdr), /first chunk is not IHDR/);
    const broken = Buffer.from(png);
    broken.write('I$AT', 37, 'latin1');
    assert.throws(() => readPngInfo(broken), /invalid chunk type/);
  });
});

describe('insertPngText', () => {
  const pixels = randomBytes(7 * 3 * 4, 11);
  const png = encodePng(pixels, 7, 3, 4, { text: { parameters: 'old', Software: 'ImageGen' } });

  it('round-trips UTF-8 metadata JSON, including Chinese', () => {
    const metadata = JSON.stringify({ prompt: '一只在樱花树下睡觉的狐狸，水彩风格', model: 'gpt-image-1', seed: 42 });
    const tagged = insertPngText(png, { 'imagegen:metadata': metadata });
    assert.equal(JSON.parse(readPngInfo(tagged).text['imagegen:metadata']!).prompt, '一只在樱花树下睡觉的狐狸，水彩风格');
    assert.deepEqual(decodePng(tagged).rgba, pixels);
  });

  it('puts the new chunks right after IHDR and leaves the input alone', () => {
    const before = Buffer.from(png);
    const tagged = insertPngText(png, { first: '1', second: '2' });
    assert.deepEqual(png, before);
    assert.equal(tagged.toString('latin1', 12, 16), 'IHDR');
    assert.equal(tagged.toString('latin1', 37, 41), 'iTXt');
    assert.equal(tagged.toString('latin1', 41, 47), 'first\0');
    const firstLength = tagged.readUInt32BE(33);
    assert.equal(tagged.toString('latin1', 33 + 12 + firstLength + 8, 33 + 12 + firstLength + 15), 'second\0');
  });

  it('replaces an existing chunk with the same keyword and keeps the others', () => {
    const tagged = insertPngText(png, { parameters: 'new' });
    assert.deepEqual(readPngInfo(tagged).text, { parameters: 'new', Software: 'ImageGen' });
    const occurrences = tagged.toString('latin1').split('parameters\0').length - 1;
    assert.equal(occurrences, 1);
    const again = insertPngText(tagged, { parameters: 'newer' });
    assert.equal(again.length, tagged.length + 2);
    assert.deepEqual(readPngInfo(again).text, { parameters: 'newer', Software: 'ImageGen' });
  });

  it('rejects invalid keywords and non-PNG input', () => {
    assert.throws(() => insertPngText(png, { '': 'x' }), RangeError);
    assert.throws(() => insertPngText(png, { ['k'.repeat(80)]: 'x' }), RangeError);
    assert.throws(() => insertPngText(png, { 'bad\0key': 'x' }), RangeError);
    assert.throws(() => insertPngText(png, { 关键词: 'x' }), RangeError);
    assert.throws(() => insertPngText(Buffer.from('not a png'), { key: 'x' }), { message: 'not a PNG file' });
  });
});
