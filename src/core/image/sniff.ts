/** Image formats the providers return and we know how to save. */
export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/webp';

/** What `sniffImage` reads from an image's first bytes. */
export interface SniffedImage {
  mediaType: ImageMediaType;
  width: number;
  height: number;
}

function startsWith(bytes: Uint8Array, at: number, ascii: string): boolean {
  if (at + ascii.length > bytes.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function uint16BigEndian(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function uint16LittleEndian(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

function uint24LittleEndian(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
}

function uint32(bytes: Uint8Array, at: number, littleEndian: boolean): number {
  return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, littleEndian);
}

function sniffPng(bytes: Uint8Array): SniffedImage | undefined {
  // Signature, then IHDR must be the first chunk: length 13, type, width, height.
  if (bytes.length < 24 || !startsWith(bytes, 0, '\x89PNG\r\n\x1a\n') || !startsWith(bytes, 12, 'IHDR')) return undefined;
  const width = uint32(bytes, 16, false);
  const height = uint32(bytes, 20, false);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return undefined;
  return { mediaType: 'image/png', width, height };
}

/** SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function sniffJpeg(bytes: Uint8Array): SniffedImage | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    // Any number of 0xFF fill bytes may precede a marker.
    while (at < bytes.length && bytes[at] === 0xff) at++;
    if (at >= bytes.length) return undefined;
    const marker = bytes[at++]!;
    // Standalone markers have no length field: SOI, TEM and RST0-7.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    // 00 is a stuffed byte, not a marker; EOI or SOS before any frame header means no size to find.
    if (marker === 0x00 || marker === 0xd9 || marker === 0xda) return undefined;
    if (at + 2 > bytes.length) return undefined;
    const length = uint16BigEndian(bytes, at);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      // length, sample precision, height, width.
      if (length < 8 || at + 7 > bytes.length) return undefined;
      const height = uint16BigEndian(bytes, at + 3);
      const width = uint16BigEndian(bytes, at + 5);
      // Height 0 means "given later in a DNL marker", which a header sniff cannot resolve.
      if (width === 0 || height === 0) return undefined;
      return { mediaType: 'image/jpeg', width, height };
    }
    at += length;
  }
  return undefined;
}

function sniffWebp(bytes: Uint8Array): SniffedImage | undefined {
  if (bytes.length < 20 || !startsWith(bytes, 0, 'RIFF') || !startsWith(bytes, 8, 'WEBP')) return undefined;
  const data = 20;
  let width = 0;
  let height = 0;
  if (startsWith(bytes, 12, 'VP8 ')) {
    // Lossy: 3-byte frame tag (bit 0 clear on key frames), start code 9D 01 2A, then 14-bit
    // width and height whose top 2 bits are a scaling hint.
    if (bytes.length < data + 10 || (bytes[data]! & 1) !== 0) return undefined;
    if (bytes[data + 3] !== 0x9d || bytes[data + 4] !== 0x01 || bytes[data + 5] !== 0x2a) return undefined;
    width = uint16LittleEndian(bytes, data + 6) & 0x3fff;
    height = uint16LittleEndian(bytes, data + 8) & 0x3fff;
  } else if (startsWith(bytes, 12, 'VP8L')) {
    // Lossless: signature 0x2F, then LSB-first bit fields: width-1 (14), height-1 (14), alpha (1), version (3).
    if (bytes.length < data + 5 || bytes[data] !== 0x2f) return undefined;
    const bits = uint32(bytes, data + 1, true);
    if (bits >>> 29 !== 0) return undefined;
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (startsWith(bytes, 12, 'VP8X')) {
    // Extended: flags (1), reserved (3), canvas width-1 (24), canvas height-1 (24).
    if (bytes.length < data + 10) return undefined;
    width = uint24LittleEndian(bytes, data + 4) + 1;
    height = uint24LittleEndian(bytes, data + 7) + 1;
  } else {
    return undefined;
  }
  if (width === 0 || height === 0) return undefined;
  return { mediaType: 'image/webp', width, height };
}

/**
 * Identifies a PNG, JPEG or WebP image and reads its size from the magic bytes and headers alone
 * (no decoding). Returns undefined for other formats and for input too short to hold the size;
 * never throws.
 */
export function sniffImage(bytes: Uint8Array): SniffedImage | undefined {
  try {
    return sniffPng(bytes) ?? sniffJpeg(bytes) ?? sniffWebp(bytes);
  } catch {
    // Every read above is bounds-checked; this is a last guard for the "never throws" promise.
    return undefined;
  }
}

/** The usual file extension (without a dot) for a sniffed media type. */
export function extensionFor(mediaType: ImageMediaType): 'png' | 'jpg' | 'webp' {
  switch (mediaType) {
    case 'image/png':
      return 'png';
    case 'image/jpeg':
      return 'jpg';
    case 'image/webp':
      return 'webp';
  }
}
