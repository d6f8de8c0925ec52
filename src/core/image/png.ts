import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Pixel layouts `encodePng` accepts: 3 bytes (RGB) or 4 bytes (RGBA) per pixel, rows top to bottom. */
export type PngChannels = 3 | 4;

export interface EncodePngOptions {
  /** zlib level 0-9; 6 is zlib's own default. */
  level?: number;
  /** tEXt chunks written before the image data (Latin-1 keys, UTF-8 goes in iTXt). */
  text?: Record<string, string>;
}

function chunk(type: string, data: Uint8Array): Buffer {
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
  const parts = [SIGNATURE, chunk('IHDR', header)];
  for (const [keyword, text] of Object.entries(options.text ?? {})) parts.push(chunk('iTXt', itxtChunkData(keyword, text)));
  parts.push(chunk('IDAT', deflateSync(raw, { level: options.level ?? 6 })), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}
