import { crc32, deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG's own limit on width, height and chunk length (2^31 - 1). */
const PNG_MAX_UINT = 0x7fffffff;

/** Pixel layouts `encodePng` accepts: 3 bytes (RGB) or 4 bytes (RGBA) per pixel, rows top to bottom. */
export type PngChannels = 3 | 4;

export interface EncodePngOptions {
  /** zlib level 0-9; 6 is zlib's own default. */
  level?: number;
  /** Text written as uncompressed iTXt chunks (UTF-8) before the image data; keys must be Latin-1. */
  text?: Record<string, string>;
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, tail]);
}

/** An iTXt chunk body: keyword, no compression, empty language and translated keyword, UTF-8 text. */
export function itxtChunkData(keyword: string, text: string): Buffer {
  return Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
}

/** Encodes 8-bit RGB or RGBA pixels as a PNG (filter 0 on every row). */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: PngChannels, options: EncodePngOptions = {}): Buffer {
  const stride = width * channels;
  if (pixels.length !== stride * height) throw new RangeError(`expected ${stride * height} bytes of pixels, got ${pixels.length}`);
  const raw = Buffer.allocUnsafe((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1);
    raw[at] = 0;
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), at + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = channels === 4 ? 6 : 2;
  const parts = [SIGNATURE, pngChunk('IHDR', header)];
  for (const [keyword, text] of Object.entries(options.text ?? {})) parts.push(pngChunk('iTXt', itxtChunkData(keyword, text)));
  parts.push(pngChunk('IDAT', deflateSync(raw, { level: options.level ?? 6 })), pngChunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** What `readPngInfo` learns from a PNG's chunk headers without inflating the image data. */
export interface PngInfo {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
  /** Colour type 4 or 6, or a tRNS chunk: some pixels may be (partly) transparent. */
  hasAlpha: boolean;
  /** tEXt and uncompressed iTXt chunks by keyword; a later chunk wins over an earlier one. */
  text: Record<string, string>;
}

/** A PNG decoded to 8-bit RGBA, rows top to bottom. */
export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export interface DecodePngOptions {
  /**
   * Refuse images with more pixels than this, before allocating anything: a hostile or broken
   * header must not make us allocate gigabytes. Default 2^27 (e.g. 11585 x 11585).
   */
  maxPixels?: number;
}

interface RawChunk {
  type: string;
  /** Offset of the chunk's length field; the chunk spans [start, dataEnd + 4). */
  start: number;
  dataStart: number;
  dataEnd: number;
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

/** Allowed bit depths per colour type (PNG spec table 11.1). */
const BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Samples per pixel for each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Walks the chunk list from the signature to IEND, reading only the 8-byte chunk headers, and
 * checks that IHDR comes first. Throws on anything that is not a complete PNG chunk stream.
 * CRCs are not checked: zlib's own checksum guards the image data, and ancillary chunks are
 * harmless if damaged.
 */
function walkChunks(bytes: Uint8Array): RawChunk[] {
  if (bytes.length < SIGNATURE.length || !SIGNATURE.every((value, index) => bytes[index] === value)) {
    throw new Error('not a PNG file');
  }
  const data = view(bytes);
  const chunks: RawChunk[] = [];
  let offset = SIGNATURE.length;
  for (;;) {
    if (offset + 12 > bytes.length) throw new Error('truncated PNG: it ends before the IEND chunk');
    const length = data.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`corrupt PNG: invalid chunk type at byte ${offset + 4}`);
    if (length > PNG_MAX_UINT) throw new Error(`corrupt PNG: ${type} chunk length ${length} is out of range`);
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (dataEnd + 4 > bytes.length) throw new Error(`truncated PNG: the ${type} chunk runs past the end of the file`);
    if (chunks.length === 0 && type !== 'IHDR') throw new Error('corrupt PNG: the first chunk is not IHDR');
    chunks.push({ type, start: offset, dataStart, dataEnd });
    if (type === 'IEND') return chunks;
    offset = dataEnd + 4;
  }
}

function parseHeader(bytes: Uint8Array, ihdr: RawChunk): Header {
  if (ihdr.dataEnd - ihdr.dataStart !== 13) throw new Error('corrupt PNG: IHDR must be 13 bytes long');
  const data = view(bytes);
  const at = ihdr.dataStart;
  const width = data.getUint32(at);
  const height = data.getUint32(at + 4);
  const bitDepth = bytes[at + 8]!;
  const colorType = bytes[at + 9]!;
  const interlace = bytes[at + 12]!;
  if (width === 0 || height === 0 || width > PNG_MAX_UINT || height > PNG_MAX_UINT) {
    throw new Error(`corrupt PNG: invalid dimensions ${width}x${height}`);
  }
  const depths = BIT_DEPTHS[colorType];
  if (depths === undefined) throw new Error(`corrupt PNG: invalid colour type ${colorType}`);
  if (!depths.includes(bitDepth)) throw new Error(`corrupt PNG: bit depth ${bitDepth} is not allowed with colour type ${colorType}`);
  if (bytes[at + 10] !== 0) throw new Error(`corrupt PNG: unknown compression method ${bytes[at + 10]}`);
  if (bytes[at + 11] !== 0) throw new Error(`corrupt PNG: unknown filter method ${bytes[at + 11]}`);
  if (interlace > 1) throw new Error(`corrupt PNG: unknown interlace method ${interlace}`);
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/**
 * The keyword and text of a tEXt chunk, or of an iTXt chunk whose text is not compressed.
 * Undefined for malformed or compressed chunks: they are ancillary, so we skip rather than fail.
 */
function parseTextChunk(bytes: Uint8Array, textChunk: RawChunk): [string, string] | undefined {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + textChunk.dataStart, textChunk.dataEnd - textChunk.dataStart);
  const keywordEnd = body.indexOf(0);
  if (keywordEnd < 1) return undefined;
  const keyword = body.toString('latin1', 0, keywordEnd);
  if (textChunk.type === 'tEXt') return [keyword, body.toString('latin1', keywordEnd + 1)];
  // iTXt: keyword \0, compression flag, compression method, language \0, translated keyword \0, text.
  if (body.length < keywordEnd + 3 || body[keywordEnd + 1] !== 0) return undefined;
  const languageEnd = body.indexOf(0, keywordEnd + 3);
  if (languageEnd < 0) return undefined;
  const translatedEnd = body.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return undefined;
  return [keyword, body.toString('utf8', translatedEnd + 1)];
}

/** The keyword of a tEXt, zTXt or iTXt chunk (the Latin-1 bytes before the first NUL). */
function textChunkKeyword(bytes: Uint8Array, textChunk: RawChunk): string | undefined {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + textChunk.dataStart, textChunk.dataEnd - textChunk.dataStart);
  const keywordEnd = body.indexOf(0);
  return keywordEnd < 1 ? undefined : body.toString('latin1', 0, keywordEnd);
}

/**
 * Reads a PNG's dimensions, pixel format, transparency and text metadata. Cheap: it walks the
 * chunk headers and reads only IHDR and the text chunks, never inflating the image data.
 * @throws Error when the bytes are not a well-formed PNG chunk stream (bad signature, truncated, bad IHDR).
 */
export function readPngInfo(bytes: Uint8Array): PngInfo {
  const chunks = walkChunks(bytes);
  const header = parseHeader(bytes, chunks[0]!);
  let hasTransparencyChunk = false;
  const text: Record<string, string> = {};
  for (const each of chunks) {
    if (each.type === 'tRNS') hasTransparencyChunk = true;
    else if (each.type === 'tEXt' || each.type === 'iTXt') {
      const entry = parseTextChunk(bytes, each);
      if (entry) text[entry[0]] = entry[1];
    }
  }
  return {
    ...header,
    hasAlpha: header.colorType === 4 || header.colorType === 6 || hasTransparencyChunk,
    text,
  };
}

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const distanceLeft = Math.abs(estimate - left);
  const distanceUp = Math.abs(estimate - up);
  const distanceUpLeft = Math.abs(estimate - upLeft);
  if (distanceLeft <= distanceUp && distanceLeft <= distanceUpLeft) return left;
  return distanceUp <= distanceUpLeft ? up : upLeft;
}

/**
 * Reverses the per-row filters. Returns the unfiltered rows preceded by one row of zeros, so that
 * the first real row can read "the row above" like any other without a special case.
 */
function unfilter(raw: Uint8Array, rowBytes: number, height: number, bytesPerPixel: number): Uint8Array {
  const out = new Uint8Array(rowBytes * (height + 1));
  for (let y = 0; y < height; y++) {
    const source = y * (rowBytes + 1);
    const filter = raw[source]!;
    const from = source + 1;
    const at = (y + 1) * rowBytes;
    const above = at - rowBytes;
    switch (filter) {
      case 0:
        out.set(raw.subarray(from, from + rowBytes), at);
        break;
      case 1:
        for (let i = 0; i < rowBytes; i++) {
          out[at + i] = raw[from + i]! + (i >= bytesPerPixel ? out[at + i - bytesPerPixel]! : 0);
        }
        break;
      case 2:
        for (let i = 0; i < rowBytes; i++) out[at + i] = raw[from + i]! + out[above + i]!;
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bytesPerPixel ? out[at + i - bytesPerPixel]! : 0;
          out[at + i] = raw[from + i]! + ((left + out[above + i]!) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < bytesPerPixel && i < rowBytes; i++) out[at + i] = raw[from + i]! + out[above + i]!;
        for (let i = bytesPerPixel; i < rowBytes; i++) {
          out[at + i] = raw[from + i]! + paeth(out[at + i - bytesPerPixel]!, out[above + i]!, out[above + i - bytesPerPixel]!);
        }
        break;
      default:
        throw new Error(`corrupt PNG: unknown filter type ${filter} on row ${y}`);
    }
  }
  return out;
}

/** Reads one row's samples at any bit depth as integers (0..2^bitDepth-1) into `samples`. */
function unpackRow(rows: Uint8Array, at: number, count: number, bitDepth: number, samples: Uint16Array): void {
  if (bitDepth === 8) {
    samples.set(rows.subarray(at, at + count));
  } else if (bitDepth === 16) {
    for (let i = 0; i < count; i++) samples[i] = (rows[at + 2 * i]! << 8) | rows[at + 2 * i + 1]!;
  } else {
    const mask = (1 << bitDepth) - 1;
    const perByte = 8 / bitDepth;
    for (let i = 0; i < count; i++) {
      const shift = 8 - bitDepth * (1 + (i % perByte));
      samples[i] = (rows[at + Math.floor(i / perByte)]! >> shift) & mask;
    }
  }
}

/** A lookup from sample value to 8 bits, so 16-bit and low-bit-depth images share one path. */
function scaleTable(bitDepth: number): Uint8Array {
  const max = (1 << bitDepth) - 1;
  const table = new Uint8Array(max + 1);
  // (v * 255 + 32895) >> 16 is libpng's rounding 16 -> 8 reduction; for low depths we stretch.
  for (let value = 0; value <= max; value++) {
    table[value] = bitDepth === 16 ? (value * 255 + 32895) >>> 16 : Math.round((value * 255) / max);
  }
  return table;
}

/**
 * Decodes a non-interlaced PNG of any colour type (grey, RGB, palette, grey + alpha, RGBA) to
 * 8-bit RGBA. 16-bit samples are rounded down to 8 bits; transparency from tRNS becomes alpha.
 * @throws Error for interlaced images, malformed files and truncated or corrupt image data.
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): DecodedPng {
  const chunks = walkChunks(bytes);
  const header = parseHeader(bytes, chunks[0]!);
  const { width, height, bitDepth, colorType } = header;
  if (header.interlaced) throw new Error('interlaced (Adam7) PNGs are not supported');
  const maxPixels = options.maxPixels ?? 2 ** 27;
  if (width * height > maxPixels) throw new Error(`PNG is too large to decode: ${width}x${height} exceeds ${maxPixels} pixels`);

  let palette: RawChunk | undefined;
  let transparency: RawChunk | undefined;
  const imageData: Uint8Array[] = [];
  for (const each of chunks) {
    if (each.type === 'PLTE') palette = each;
    else if (each.type === 'tRNS') transparency = each;
    else if (each.type === 'IDAT') imageData.push(bytes.subarray(each.dataStart, each.dataEnd));
  }
  if (imageData.length === 0) throw new Error('corrupt PNG: no IDAT chunk');
  if (colorType === 3 && !palette) throw new Error('corrupt PNG: palette image without a PLTE chunk');

  const channels = CHANNELS[colorType]!;
  const bitsPerPixel = channels * bitDepth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const expected = (rowBytes + 1) * height;
  let raw: Uint8Array;
  try {
    // The cap stops a zip bomb; the slack tolerates encoders that leave junk after the last row.
    raw = inflateSync(Buffer.concat(imageData), { maxOutputLength: expected + 65536 });
  } catch (error) {
    throw new Error(`corrupt PNG image data: ${(error as Error).message}`);
  }
  if (raw.length < expected) throw new Error(`truncated PNG image data: ${raw.length} of ${expected} bytes`);

  const rows = unfilter(raw, rowBytes, height, Math.max(1, bitsPerPixel >> 3));
  const rgba = new Uint8Array(width * height * 4);
  if (colorType === 6 && bitDepth === 8) {
    rgba.set(rows.subarray(rowBytes));
    return { width, height, rgba };
  }

  const scale = scaleTable(bitDepth);
  const transparencyData = transparency ? bytes.subarray(transparency.dataStart, transparency.dataEnd) : undefined;
  // tRNS for grey and RGB names one exact sample value (at the image's bit depth) as transparent.
  const transparentSample = (index: number): number =>
    transparencyData && transparencyData.length >= 2 * (index + 1) ? (transparencyData[2 * index]! << 8) | transparencyData[2 * index + 1]! : -1;
  const transparentGrey = colorType === 0 ? transparentSample(0) : -1;
  const transparentRed = colorType === 2 ? transparentSample(0) : -1;
  const transparentGreen = colorType === 2 ? transparentSample(1) : -1;
  const transparentBlue = colorType === 2 ? transparentSample(2) : -1;

  let paletteRgba: Uint8Array | undefined;
  if (colorType === 3 && palette) {
    // Indexes beyond the palette are an encoder bug; like libpng we show them as opaque black.
    paletteRgba = new Uint8Array(256 * 4);
    for (let index = 0; index < 256; index++) paletteRgba[index * 4 + 3] = 255;
    const entries = Math.min(256, Math.floor((palette.dataEnd - palette.dataStart) / 3));
    for (let index = 0; index < entries; index++) {
      paletteRgba[index * 4] = bytes[palette.dataStart + index * 3]!;
      paletteRgba[index * 4 + 1] = bytes[palette.dataStart + index * 3 + 1]!;
      paletteRgba[index * 4 + 2] = bytes[palette.dataStart + index * 3 + 2]!;
    }
    for (let index = 0; transparencyData && index < Math.min(256, transparencyData.length); index++) {
      paletteRgba[index * 4 + 3] = transparencyData[index]!;
    }
  }

  const samples = new Uint16Array(width * channels);
  for (let y = 0; y < height; y++) {
    unpackRow(rows, (y + 1) * rowBytes, width * channels, bitDepth, samples);
    let out = y * width * 4;
    switch (colorType) {
      case 0:
        for (let x = 0; x < width; x++, out += 4) {
          const grey = samples[x]!;
          rgba[out] = rgba[out + 1] = rgba[out + 2] = scale[grey]!;
          rgba[out + 3] = grey === transparentGrey ? 0 : 255;
        }
        break;
      case 2:
        for (let x = 0; x < width; x++, out += 4) {
          const red = samples[3 * x]!;
          const green = samples[3 * x + 1]!;
          const blue = samples[3 * x + 2]!;
          rgba[out] = scale[red]!;
          rgba[out + 1] = scale[green]!;
          rgba[out + 2] = scale[blue]!;
          rgba[out + 3] = red === transparentRed && green === transparentGreen && blue === transparentBlue ? 0 : 255;
        }
        break;
      case 3:
        for (let x = 0; x < width; x++, out += 4) {
          const entry = samples[x]! * 4;
          rgba[out] = paletteRgba![entry]!;
          rgba[out + 1] = paletteRgba![entry + 1]!;
          rgba[out + 2] = paletteRgba![entry + 2]!;
          rgba[out + 3] = paletteRgba![entry + 3]!;
        }
        break;
      case 4:
        for (let x = 0; x < width; x++, out += 4) {
          rgba[out] = rgba[out + 1] = rgba[out + 2] = scale[samples[2 * x]!]!;
          rgba[out + 3] = scale[samples[2 * x + 1]!]!;
        }
        break;
      case 6:
        for (let i = 0; i < width * 4; i++) rgba[out + i] = scale[samples[i]!]!;
        break;
    }
  }
  return { width, height, rgba };
}

// ---------------------------------------------------------------------------------------------
// Editing

/** PNG keywords: 1-79 Latin-1 characters, printable, no NUL (PNG spec 11.3.4.2). */
function checkKeyword(keyword: string): void {
  if (keyword.length < 1 || keyword.length > 79 || !/^[\x20-\x7e\xa1-\xff]+$/.test(keyword)) {
    throw new RangeError(`invalid PNG text keyword ${JSON.stringify(keyword)}: it must be 1-79 printable Latin-1 characters`);
  }
}

/**
 * Returns a copy of `png` with one uncompressed UTF-8 iTXt chunk per entry placed right after
 * IHDR (so readers that stop early still see it). Existing tEXt, zTXt and iTXt chunks with the
 * same keywords are dropped, so the new value is the only one; all other chunks are kept as they were.
 * @throws Error when `png` is not a well-formed PNG; RangeError for an invalid keyword.
 */
export function insertPngText(png: Uint8Array, entries: Record<string, string>): Buffer {
  return Buffer.concat(pngTextParts(png, entries));
}

/**
 * The pieces of `insertPngText`'s result, most of them views into `png`: written one after the other they make
 * the same file, without a second copy of a large image in memory.
 */
export function pngTextParts(png: Uint8Array, entries: Record<string, string>): Uint8Array[] {
  const keywords = Object.keys(entries);
  keywords.forEach(checkKeyword);
  const chunks = walkChunks(png);
  parseHeader(png, chunks[0]!);
  const replaced = new Set(keywords);
  const parts: Uint8Array[] = [SIGNATURE];
  chunks.forEach((each, index) => {
    const isText = each.type === 'tEXt' || each.type === 'zTXt' || each.type === 'iTXt';
    if (isText && replaced.has(textChunkKeyword(png, each) ?? '')) return;
    parts.push(png.subarray(each.start, each.dataEnd + 4));
    if (index === 0) {
      for (const keyword of keywords) parts.push(pngChunk('iTXt', itxtChunkData(keyword, entries[keyword]!)));
    }
  });
  return parts;
}
