// A compact baseline JPEG encoder for tests: it lets fake provider servers answer with real JPEG
// bytes of any requested size. Baseline DCT (SOF0), 8-bit, three components without chroma
// subsampling (4:4:4), the example quantisation and Huffman tables of ITU-T T.81 Annex K, JFIF APP0.

/** Annex K.1 example quantisation tables, in natural (row-major) order. */
const LUMINANCE_QUANTISATION = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMINANCE_QUANTISATION = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...new Array<number>(32).fill(99),
];

/** ZIGZAG[k] is the natural-order index of the k-th coefficient in zigzag (transmission) order. */
const ZIGZAG = (() => {
  const order: number[] = [];
  for (let sum = 0; sum < 15; sum++) {
    const cells: number[] = [];
    for (let row = Math.max(0, sum - 7); row <= Math.min(7, sum); row++) cells.push(row * 8 + (sum - row));
    // Odd diagonals run top-right to bottom-left (row increasing), even ones the other way.
    order.push(...(sum % 2 === 1 ? cells : cells.reverse()));
  }
  return order;
})();

/** A Huffman table as DHT transmits it: how many codes of each length 1-16, then the symbols. */
interface HuffmanSpec {
  counts: number[];
  symbols: number[];
}

/** Expands "a..b" runs of AC symbols, which in Annex K come in long ascending stretches. */
function symbolRange(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

const DC_LUMINANCE: HuffmanSpec = { counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], symbols: symbolRange(0, 11) };
const DC_CHROMINANCE: HuffmanSpec = { counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], symbols: symbolRange(0, 11) };
const AC_LUMINANCE: HuffmanSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91,
    0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a,
    0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, ...symbolRange(0x34, 0x3a), ...symbolRange(0x43, 0x4a), ...symbolRange(0x53, 0x5a),
    ...symbolRange(0x63, 0x6a), ...symbolRange(0x73, 0x7a), ...symbolRange(0x83, 0x8a), ...symbolRange(0x92, 0x9a),
    ...symbolRange(0xa2, 0xaa), ...symbolRange(0xb2, 0xba), ...symbolRange(0xc2, 0xca), ...symbolRange(0xd2, 0xda),
    ...symbolRange(0xe1, 0xea), ...symbolRange(0xf1, 0xfa),
  ],
};
const AC_CHROMINANCE: HuffmanSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14,
    0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17,
    0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, ...symbolRange(0x35, 0x3a), ...symbolRange(0x43, 0x4a), ...symbolRange(0x53, 0x5a),
    ...symbolRange(0x63, 0x6a), ...symbolRange(0x73, 0x7a), ...symbolRange(0x82, 0x8a), ...symbolRange(0x92, 0x9a),
    ...symbolRange(0xa2, 0xaa), ...symbolRange(0xb2, 0xba), ...symbolRange(0xc2, 0xca), ...symbolRange(0xd2, 0xda),
    ...symbolRange(0xe2, 0xea), ...symbolRange(0xf2, 0xfa),
  ],
};

/** Canonical codes (T.81 Annex C) as parallel code/length arrays indexed by symbol. */
interface HuffmanCodes {
  code: Uint16Array;
  length: Uint8Array;
}

function canonicalCodes(spec: HuffmanSpec): HuffmanCodes {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let symbol = 0;
  spec.counts.forEach((count, index) => {
    for (let i = 0; i < count; i++) {
      const value = spec.symbols[symbol++]!;
      code[value] = next++;
      length[value] = index + 1;
    }
    next <<= 1;
  });
  return { code, length };
}

/** AAN scale factors: the float DCT below produces coefficients scaled by these (per row and column). */
const AAN_SCALE = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** The IJG quality curve: 50 keeps the Annex K tables, 100 makes every step 1. */
function scaledTable(base: readonly number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const factor = q < 50 ? 5000 / q : 200 - 2 * q;
  return base.map((value) => Math.min(255, Math.max(1, Math.floor((value * factor + 50) / 100))));
}

/** Multipliers that undo the AAN scaling and quantise in one step, natural order. */
function divisors(table: readonly number[]): Float64Array {
  const result = new Float64Array(64);
  for (let row = 0; row < 8; row++) {
    for (let column = 0; column < 8; column++) {
      result[row * 8 + column] = 1 / (table[row * 8 + column]! * AAN_SCALE[row]! * AAN_SCALE[column]! * 8);
    }
  }
  return result;
}

/** In-place forward DCT of an 8x8 block (the AAN float algorithm, as in IJG's jfdctflt.c). */
function forwardDct(block: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    // Pass 0 transforms rows (stride 1 within, 8 between), pass 1 columns.
    const step = pass === 0 ? 1 : 8;
    const next = pass === 0 ? 8 : 1;
    for (let line = 0; line < 8; line++) {
      const o = line * next;
      const d0 = block[o]!, d1 = block[o + step]!, d2 = block[o + 2 * step]!, d3 = block[o + 3 * step]!;
      const d4 = block[o + 4 * step]!, d5 = block[o + 5 * step]!, d6 = block[o + 6 * step]!, d7 = block[o + 7 * step]!;
      const tmp0 = d0 + d7, tmp7 = d0 - d7, tmp1 = d1 + d6, tmp6 = d1 - d6;
      const tmp2 = d2 + d5, tmp5 = d2 - d5, tmp3 = d3 + d4, tmp4 = d3 - d4;

      let tmp10 = tmp0 + tmp3;
      const tmp13 = tmp0 - tmp3;
      let tmp11 = tmp1 + tmp2;
      let tmp12 = tmp1 - tmp2;
      block[o] = tmp10 + tmp11;
      block[o + 4 * step] = tmp10 - tmp11;
      const z1 = (tmp12 + tmp13) * 0.707106781;
      block[o + 2 * step] = tmp13 + z1;
      block[o + 6 * step] = tmp13 - z1;

      tmp10 = tmp4 + tmp5;
      tmp11 = tmp5 + tmp6;
      tmp12 = tmp6 + tmp7;
      const z5 = (tmp10 - tmp12) * 0.382683433;
      const z2 = 0.5411961 * tmp10 + z5;
      const z4 = 1.306562965 * tmp12 + z5;
      const z3 = tmp11 * 0.707106781;
      const z11 = tmp7 + z3;
      const z13 = tmp7 - z3;
      block[o + 5 * step] = z13 + z2;
      block[o + 3 * step] = z13 - z2;
      block[o + step] = z11 + z4;
      block[o + 7 * step] = z11 - z4;
    }
  }
}

/** MSB-first bit writer with JPEG's byte stuffing (a 0x00 after every 0xFF in entropy-coded data). */
class BitWriter {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;
  private accumulator = 0;
  private bitCount = 0;

  byte(value: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = value;
  }

  raw(values: readonly number[] | Uint8Array): void {
    for (const value of values) this.byte(value);
  }

  /** Writes the low `count` (at most 16) bits of `value`. */
  bits(value: number, count: number): void {
    this.accumulator = (this.accumulator << count) | (value & ((1 << count) - 1));
    this.bitCount += count;
    while (this.bitCount >= 8) {
      this.bitCount -= 8;
      const byte = (this.accumulator >>> this.bitCount) & 0xff;
      this.byte(byte);
      if (byte === 0xff) this.byte(0);
    }
    this.accumulator &= (1 << this.bitCount) - 1;
  }

  /** Pads the last byte with 1 bits, as T.81 F.1.2.3 asks. */
  flush(): void {
    if (this.bitCount > 0) this.bits(0x7f, 8 - this.bitCount);
  }

  result(): Buffer {
    return Buffer.from(this.bytes.buffer, 0, this.length);
  }
}

function segment(writer: BitWriter, marker: number, body: readonly number[]): void {
  writer.raw([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body]);
}

/** Number of bits needed for |value| (the JPEG "category"), 0 for 0. */
function category(value: number): number {
  let magnitude = value < 0 ? -value : value;
  let bits = 0;
  while (magnitude) {
    bits++;
    magnitude >>= 1;
  }
  return bits;
}

/**
 * Encodes 8-bit RGB pixels (3 bytes per pixel, rows top to bottom) as a baseline JPEG with 4:4:4
 * sampling. Edge blocks are padded by repeating the last row and column.
 * @param quality 1-100 on the usual IJG scale.
 */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 85): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new RangeError(`JPEG dimensions must be 1-65535, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} bytes of RGB, got ${rgb.length}`);
  const luminanceTable = scaledTable(LUMINANCE_QUANTISATION, quality);
  const chrominanceTable = scaledTable(CHROMINANCE_QUANTISATION, quality);
  const writer = new BitWriter();

  writer.raw([0xff, 0xd8]);
  // JFIF 1.01, no density units, 1:1 aspect, no thumbnail.
  segment(writer, 0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  segment(writer, 0xdb, [
    0, ...ZIGZAG.map((index) => luminanceTable[index]!),
    1, ...ZIGZAG.map((index) => chrominanceTable[index]!),
  ]);
  // SOF0: 8-bit precision, size, 3 components each sampled 1x1; Y uses table 0, Cb and Cr table 1.
  segment(writer, 0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const huffman: [number, HuffmanSpec][] = [[0x00, DC_LUMINANCE], [0x10, AC_LUMINANCE], [0x01, DC_CHROMINANCE], [0x11, AC_CHROMINANCE]];
  segment(writer, 0xc4, huffman.flatMap(([classAndId, spec]) => [classAndId, ...spec.counts, ...spec.symbols]));
  // SOS: 3 components (Y: DC0/AC0, Cb and Cr: DC1/AC1), full spectral range, no approximation.
  segment(writer, 0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);

  const dcCodes = [canonicalCodes(DC_LUMINANCE), canonicalCodes(DC_CHROMINANCE)];
  const acCodes = [canonicalCodes(AC_LUMINANCE), canonicalCodes(AC_CHROMINANCE)];
  const quantisers = [divisors(luminanceTable), divisors(chrominanceTable)];
  const blocks = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];
  const previousDc = [0, 0, 0];
  const quantised = new Int32Array(64);

  const encodeBlock = (component: number): void => {
    const table = component === 0 ? 0 : 1;
    const block = blocks[component]!;
    forwardDct(block);
    const quantiser = quantisers[table]!;
    for (let k = 0; k < 64; k++) {
      const index = ZIGZAG[k]!;
      quantised[k] = Math.round(block[index]! * quantiser[index]!);
    }
    const dc = dcCodes[table]!;
    const difference = quantised[0]! - previousDc[component]!;
    previousDc[component] = quantised[0]!;
    const dcBits = category(difference);
    writer.bits(dc.code[dcBits]!, dc.length[dcBits]!);
    // Negative values are sent as value - 1 in their category's bits (ones' complement).
    if (dcBits) writer.bits(difference < 0 ? difference - 1 : difference, dcBits);

    const ac = acCodes[table]!;
    let zeros = 0;
    for (let k = 1; k < 64; k++) {
      const value = quantised[k]!;
      if (value === 0) {
        zeros++;
        continue;
      }
      while (zeros >= 16) {
        writer.bits(ac.code[0xf0]!, ac.length[0xf0]!);
        zeros -= 16;
      }
      const bits = category(value);
      const symbol = (zeros << 4) | bits;
      writer.bits(ac.code[symbol]!, ac.length[symbol]!);
      writer.bits(value < 0 ? value - 1 : value, bits);
      zeros = 0;
    }
    if (zeros > 0) writer.bits(ac.code[0x00]!, ac.length[0x00]!);
  };

  const [luma, blue, red] = blocks as [Float64Array, Float64Array, Float64Array];
  for (let blockY = 0; blockY < height; blockY += 8) {
    for (let blockX = 0; blockX < width; blockX += 8) {
      for (let row = 0; row < 8; row++) {
        const y = Math.min(height - 1, blockY + row);
        for (let column = 0; column < 8; column++) {
          const at = (y * width + Math.min(width - 1, blockX + column)) * 3;
          const r = rgb[at]!, g = rgb[at + 1]!, b = rgb[at + 2]!;
          const index = row * 8 + column;
          // JFIF YCbCr, with the level shift of 128 folded into Y (Cb and Cr are already centred).
          luma[index] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
          blue[index] = -0.168735892 * r - 0.331264108 * g + 0.5 * b;
          red[index] = 0.5 * r - 0.418687589 * g - 0.081312411 * b;
        }
      }
      encodeBlock(0);
      encodeBlock(1);
      encodeBlock(2);
    }
  }
  writer.flush();
  writer.raw([0xff, 0xd9]);
  return writer.result();
}
