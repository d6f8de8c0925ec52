// A minimal lossless WebP (RIFF / WEBP / VP8L) encoder for tests: it lets fake provider servers
// answer with real WebP bytes. No transforms, no colour cache, no backward references: every pixel
// is four literal symbols (green, red, blue, alpha), each coded with a Huffman code built from that
// channel's histogram. Correctness over size. Format: RFC 9649, "WebP Image Format".

/** LSB-first bit writer, as VP8L packs its bit stream. */
class BitWriter {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;
  private accumulator = 0;
  private bitCount = 0;

  /** Writes the low `count` (at most 16) bits of `value`, least significant first. */
  bits(value: number, count: number): void {
    this.accumulator |= (value & ((1 << count) - 1)) << this.bitCount;
    this.bitCount += count;
    while (this.bitCount >= 8) {
      if (this.length === this.bytes.length) {
        const grown = new Uint8Array(this.bytes.length * 2);
        grown.set(this.bytes);
        this.bytes = grown;
      }
      this.bytes[this.length++] = this.accumulator & 0xff;
      this.accumulator >>>= 8;
      this.bitCount -= 8;
    }
  }

  finish(): Uint8Array {
    if (this.bitCount > 0) this.bits(0, 8 - this.bitCount);
    return this.bytes.subarray(0, this.length);
  }
}

/** Plain Huffman code lengths for the non-zero counts (at least two of them). */
function huffmanLengths(counts: readonly number[]): number[] {
  const lengths = counts.map(() => 0);
  let nodes = counts.flatMap((weight, symbol) => (weight > 0 ? [{ weight, symbols: [symbol] }] : []));
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.weight - b.weight);
    const [first, second] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const merged = { weight: first.weight + second.weight, symbols: [...first.symbols, ...second.symbols] };
    for (const symbol of merged.symbols) lengths[symbol]!++;
    nodes = [merged, ...nodes.slice(2)];
  }
  return lengths;
}

/**
 * Huffman code lengths no longer than `limit`. When the optimal tree is too deep, rare symbols are
 * made to look more common (raising every count to a floor that doubles each try) until it fits;
 * in the end all counts are equal and the tree is balanced, so this always terminates.
 */
function limitedLengths(counts: readonly number[], limit: number): number[] {
  for (let floor = 0; ; floor = floor ? floor * 2 : 1) {
    const lengths = huffmanLengths(counts.map((count) => (count > 0 ? Math.max(count, floor) : 0)));
    if (Math.max(...lengths) <= limit) return lengths;
  }
}

/** Canonical codes for the lengths, bit-reversed so an LSB-first writer sends the code's MSB first. */
function canonicalCodes(lengths: readonly number[]): number[] {
  const perLength = new Array<number>(16).fill(0);
  for (const length of lengths) if (length) perLength[length]!++;
  const next = new Array<number>(16).fill(0);
  for (let length = 1, code = 0; length < 16; length++) {
    code = (code + perLength[length - 1]!) << 1;
    next[length] = code;
  }
  return lengths.map((length) => {
    if (!length) return 0;
    const code = next[length]!++;
    let reversed = 0;
    for (let bit = 0; bit < length; bit++) reversed |= ((code >> bit) & 1) << (length - 1 - bit);
    return reversed;
  });
}

/** The order in which the code-length code's own lengths are sent. */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** A prefix code ready for writing symbols: bit-reversed code and length per symbol. */
interface PrefixCode {
  codes: number[];
  lengths: number[];
}

/**
 * Writes the prefix code for a histogram and returns how to emit its symbols. One or two used
 * symbols below 256 use the "simple" form; anything else a normal code-length code.
 */
function writePrefixCode(writer: BitWriter, histogram: readonly number[]): PrefixCode {
  const used = histogram.flatMap((count, symbol) => (count > 0 ? [symbol] : []));
  if (used.length <= 2 && used.every((symbol) => symbol < 256)) {
    const symbols = used.length > 0 ? used : [0];
    writer.bits(1, 1);
    writer.bits(symbols.length - 1, 1);
    if (symbols[0]! < 2) {
      writer.bits(0, 1);
      writer.bits(symbols[0]!, 1);
    } else {
      writer.bits(1, 1);
      writer.bits(symbols[0]!, 8);
    }
    if (symbols.length === 2) writer.bits(symbols[1]!, 8);
    // One symbol costs no bits at all; two get one bit each, the smaller symbol coded 0.
    const lengths = histogram.map((_, symbol) => (symbols.length === 2 && symbols.includes(symbol) ? 1 : 0));
    return { codes: canonicalCodes(lengths), lengths };
  }

  const lengths = limitedLengths(histogram, 15);
  // Tokenise the lengths: literal 0-15, or 17 / 18 for runs of 3-10 / 11-138 zeros.
  const tokens: [symbol: number, extra: number, extraBits: number][] = [];
  for (let i = 0; i < lengths.length; ) {
    if (lengths[i] !== 0) {
      tokens.push([lengths[i++]!, 0, 0]);
      continue;
    }
    let run = 0;
    while (i + run < lengths.length && lengths[i + run] === 0 && run < 138) run++;
    if (run >= 11) tokens.push([18, run - 11, 7]);
    else if (run >= 3) tokens.push([17, run - 3, 3]);
    else for (let k = 0; k < run; k++) tokens.push([0, 0, 0]);
    i += run;
  }
  const tokenCounts = new Array<number>(19).fill(0);
  for (const [symbol] of tokens) tokenCounts[symbol]!++;
  // A code with one used symbol is a special case for decoders; a second, never-sent symbol
  // keeps the code-length code an ordinary complete two-leaf tree.
  if (tokenCounts.filter(Boolean).length < 2) tokenCounts[tokenCounts.findIndex((count) => count === 0)] = 1;
  const tokenLengths = limitedLengths(tokenCounts, 7);
  const tokenCodes = canonicalCodes(tokenLengths);

  let sent = CODE_LENGTH_ORDER.length;
  while (sent > 4 && tokenLengths[CODE_LENGTH_ORDER[sent - 1]!] === 0) sent--;
  writer.bits(0, 1);
  writer.bits(sent - 4, 4);
  for (let i = 0; i < sent; i++) writer.bits(tokenLengths[CODE_LENGTH_ORDER[i]!]!, 3);
  // 0: the lengths run to the end of the alphabet (no explicit max_symbol).
  writer.bits(0, 1);
  for (const [symbol, extra, extraBits] of tokens) {
    writer.bits(tokenCodes[symbol]!, tokenLengths[symbol]!);
    if (extraBits) writer.bits(extra, extraBits);
  }
  return { codes: canonicalCodes(lengths), lengths };
}

/**
 * Encodes 8-bit RGBA pixels (4 bytes per pixel, rows top to bottom) as a lossless WebP.
 * Decoding gives back exactly the same pixels.
 */
export function encodeWebp(rgba: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new RangeError(`WebP dimensions must be 1-16384, got ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);

  // Alphabets: green also holds 24 length-prefix codes (no colour cache), distance has 40.
  const histograms = [new Array<number>(256 + 24).fill(0), new Array<number>(256).fill(0), new Array<number>(256).fill(0), new Array<number>(256).fill(0), new Array<number>(40).fill(0)];
  const [green, red, blue, alpha] = histograms as [number[], number[], number[], number[]];
  let usesAlpha = false;
  for (let at = 0; at < rgba.length; at += 4) {
    red[rgba[at]!]!++;
    green[rgba[at + 1]!]!++;
    blue[rgba[at + 2]!]!++;
    alpha[rgba[at + 3]!]!++;
    if (rgba[at + 3] !== 255) usesAlpha = true;
  }

  const writer = new BitWriter();
  writer.bits(0x2f, 8);
  writer.bits(width - 1, 14);
  writer.bits(height - 1, 14);
  writer.bits(usesAlpha ? 1 : 0, 1);
  writer.bits(0, 3);
  writer.bits(0, 1); // no transforms
  writer.bits(0, 1); // no colour cache
  writer.bits(0, 1); // no meta prefix codes: one code group for the whole image
  const [greenCode, redCode, blueCode, alphaCode] = histograms.map((histogram) => writePrefixCode(writer, histogram)) as [PrefixCode, PrefixCode, PrefixCode, PrefixCode];

  for (let at = 0; at < rgba.length; at += 4) {
    const r = rgba[at]!, g = rgba[at + 1]!, b = rgba[at + 2]!, a = rgba[at + 3]!;
    writer.bits(greenCode.codes[g]!, greenCode.lengths[g]!);
    writer.bits(redCode.codes[r]!, redCode.lengths[r]!);
    writer.bits(blueCode.codes[b]!, blueCode.lengths[b]!);
    writer.bits(alphaCode.codes[a]!, alphaCode.lengths[a]!);
  }
  const stream = writer.finish();

  const padding = stream.length % 2;
  const file = Buffer.alloc(20 + stream.length + padding);
  file.write('RIFF', 0, 'latin1');
  file.writeUInt32LE(12 + stream.length + padding, 4);
  file.write('WEBPVP8L', 8, 'latin1');
  file.writeUInt32LE(stream.length, 16);
  file.set(stream, 20);
  return file;
}
