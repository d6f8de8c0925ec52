/**
 * Reads a JSON reply that carries images as base64 without ever holding the whole body as one string.
 *
 * A 4096x4096 PNG arrives as ~25 MB of JSON. `JSON.parse(await response.text())` holds the bytes, the text and
 * the parsed string at once, then decodes a fourth copy. Here the bytes are scanned once as they arrive: long
 * strings under image keys (`b64_json`, `image_base64`, …) and any long `data:` URL are decoded to bytes chunk
 * by chunk, and replaced in the document by a short marker; only the small rest is given to `JSON.parse`.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Keys whose long string values are base64 image data. */
const IMAGE_KEYS = new Set(['b64_json', 'b64', 'base64', 'image_base64', 'b64_image', 'image_b64']);
/** A string becomes a blob only past this length: short ones are not worth it and might not be images. */
const BLOB_THRESHOLD = 4096;
const MARKER = '\u0000imagegen-blob:';

/**
 * Decodes base64 text given in arbitrary pieces, four characters at a time across piece boundaries, straight
 * into one buffer: no list of decoded pieces and no final concatenation, so the image exists in memory once.
 * `capacity` is a guess (3/4 of the reply bytes still to come); the buffer doubles if the guess was short.
 */
class Base64Decoder {
  private buffer: Buffer;
  private carry = '';
  length = 0;

  constructor(capacity: number) {
    // A Content-Length is the server's word: never reserve more up front than any image needs.
    this.buffer = Buffer.allocUnsafe(Math.min(Math.max(1024, capacity), 64 * 1024 * 1024));
  }

  write(text: string): void {
    const all = this.carry + text;
    const usable = all.length - (all.length % 4);
    this.carry = all.slice(usable);
    if (usable > 0) this.decode(usable === all.length ? all : all.slice(0, usable));
  }

  /** The fast path for raw base64 bytes: one string per piece, never joined with the carry. */
  writeBytes(bytes: Buffer): void {
    let start = 0;
    if (this.carry) {
      start = Math.min(4 - this.carry.length, bytes.length);
      this.carry += bytes.toString('latin1', 0, start);
      if (this.carry.length < 4) return;
      this.decode(this.carry);
      this.carry = '';
    }
    const usable = start + ((bytes.length - start) & ~3);
    if (usable > start) this.decode(bytes.toString('latin1', start, usable));
    if (usable < bytes.length) this.carry = bytes.toString('latin1', usable);
  }

  finish(): Buffer {
    if (this.carry) this.decode(this.carry);
    this.carry = '';
    // A guess far too large (several images in one reply) must not keep the rest of the buffer alive.
    if (this.length < this.buffer.length * 0.75) return Buffer.from(this.buffer.subarray(0, this.length));
    return this.buffer.subarray(0, this.length);
  }

  private decode(text: string): void {
    const most = Math.ceil(text.length / 4) * 3;
    if (this.length + most > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + most));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length, 'base64');
  }
}

/** What `ImageJsonScanner.finish` returns: the parsed document with markers, and the decoded blobs. */
export interface ScannedDocument {
  value: unknown;
  blobs: Buffer[];
}

const enum State {
  Outside,
  InString,
  InBlob,
}

/**
 * Feed it the body's chunks in order (`write`), then `finish()`. Linear in the body size: every byte is looked
 * at once, strings are skipped with `indexOf`, and no chunk is re-concatenated with the ones before it.
 */
export class ImageJsonScanner {
  private state = State.Outside;
  /** The document without its blobs, as pieces of the input (no copies until `finish`). */
  private readonly residual: Buffer[] = [];
  private readonly blobs: Buffer[] = [];
  /** The pieces of the string being read (state InString). */
  private stringParts: Buffer[] = [];
  private stringLength = 0;
  /** A backslash ended the previous chunk inside a string. */
  private pendingEscape = false;
  /** The key whose value the current string is (undefined for array elements and keys themselves). */
  private stringKey: string | undefined;
  /** The last short string read, and whether a colon followed it: then it was a key. */
  private lastString: string | undefined;
  private keyForNextValue: string | undefined;
  private decoder: Base64Decoder | undefined;
  /** Bytes of an escape sequence split across chunks inside a blob. */
  private blobEscape = '';
  /** Where in the body the current chunk, and the current string's text, start. */
  private chunkOffset = 0;
  private stringStart = 0;

  /** `expectedBytes`: the body's length when known (Content-Length), to size decoded images in one go. */
  constructor(private readonly expectedBytes?: number) {}

  write(chunk: Buffer): void {
    let index = 0;
    let segmentStart = 0;
    const length = chunk.length;
    while (index < length) {
      if (this.state === State.Outside) {
        const byte = chunk[index]!;
        if (byte === QUOTE) {
          this.residual.push(chunk.subarray(segmentStart, index + 1));
          index++;
          segmentStart = index;
          this.stringStart = this.chunkOffset + index;
          this.state = State.InString;
          this.stringParts = [];
          this.stringLength = 0;
          this.stringKey = this.keyForNextValue;
          this.keyForNextValue = undefined;
          continue;
        }
        if (byte === COLON) {
          this.keyForNextValue = this.lastString;
          this.lastString = undefined;
        } else if (byte > 0x20) {
          this.keyForNextValue = undefined;
          this.lastString = undefined;
        }
        index++;
        continue;
      }
      if (this.state === State.InString) {
        if (this.pendingEscape) {
          this.pendingEscape = false;
          index++;
          if (index < length) continue;
        }
        const quote = chunk.indexOf(QUOTE, index);
        const backslash = chunk.indexOf(BACKSLASH, index);
        const escapeFirst = backslash !== -1 && (quote === -1 || backslash < quote);
        if (escapeFirst && backslash + 1 < length) {
          index = backslash + 2;
          if (index < length) continue;
        }
        // Either the string closes in this chunk, or the chunk ends inside it (maybe on a lone backslash).
        const closed = !escapeFirst && quote !== -1;
        const end = closed ? quote : length;
        const piece = chunk.subarray(segmentStart, end);
        this.stringParts.push(piece);
        this.stringLength += piece.length;
        const becomesBlob = this.stringLength > BLOB_THRESHOLD && this.shouldBecomeBlob();
        if (becomesBlob) this.startBlob();
        if (!closed) {
          this.pendingEscape = escapeFirst && backslash + 1 >= length && !becomesBlob;
          index = length;
          segmentStart = length;
          continue;
        }
        if (becomesBlob) this.endBlob();
        else this.endString();
        // The closing quote starts the next residual segment.
        index = quote + 1;
        segmentStart = quote;
        this.state = State.Outside;
        continue;
      }
      // State.InBlob: base64 text up to the closing quote, decoded as it comes.
      const quote = chunk.indexOf(QUOTE, index);
      const end = quote === -1 ? length : quote;
      this.writeBlobText(chunk.subarray(index, end));
      if (quote === -1) {
        index = length;
        segmentStart = length;
        continue;
      }
      this.endBlob();
      this.state = State.Outside;
      index = quote + 1;
      segmentStart = quote;
    }
    if (this.state === State.Outside && segmentStart < length) this.residual.push(chunk.subarray(segmentStart));
    this.chunkOffset += length;
  }

  /** Parses what is left once the body ended. Throws SyntaxError for an incomplete or malformed document. */
  finish(): ScannedDocument {
    if (this.state !== State.Outside) throw new SyntaxError('the reply ended in the middle of a string');
    const text = Buffer.concat(this.residual).toString('utf8');
    return { value: JSON.parse(text), blobs: this.blobs };
  }

  /** The start of what was read so far, blobs left out: for error messages about malformed replies. */
  excerpt(limit = 300): string {
    const pieces: Buffer[] = [];
    let length = 0;
    for (const piece of [...this.residual, ...this.stringParts]) {
      pieces.push(piece);
      length += piece.length;
      if (length >= limit) break;
    }
    return Buffer.concat(pieces).toString('utf8', 0, limit).replace(/\\u0000imagegen-blob:\d+/g, '…');
  }

  private shouldBecomeBlob(): boolean {
    if (this.stringKey !== undefined && IMAGE_KEYS.has(this.stringKey)) return true;
    let head = '';
    for (const part of this.stringParts) {
      head += part.toString('latin1', 0, 5 - head.length);
      if (head.length >= 5) break;
    }
    return head === 'data:';
  }

  private startBlob(): void {
    // At most the rest of the body from where this string starts is base64 for this image.
    const rest = this.expectedBytes !== undefined ? this.expectedBytes - this.stringStart : 1024 * 1024;
    this.decoder = new Base64Decoder(Math.ceil((Math.max(0, rest) * 3) / 4));
    this.state = State.InBlob;
    let text = Buffer.concat(this.stringParts).toString('latin1');
    this.stringParts = [];
    if (text.startsWith('data:')) {
      const comma = text.indexOf(',');
      text = comma === -1 ? '' : text.slice(comma + 1);
    }
    this.residual.push(Buffer.from(`\\u0000imagegen-blob:${this.blobs.length}`, 'latin1'));
    this.writeBlobText(Buffer.from(text, 'latin1'));
  }

  private endBlob(): void {
    this.blobs.push(this.decoder!.finish());
    this.decoder = undefined;
    this.blobEscape = '';
    this.lastString = undefined;
  }

  private endString(): void {
    for (const part of this.stringParts) this.residual.push(part);
    this.lastString = this.stringLength <= 64 ? Buffer.concat(this.stringParts).toString('utf8') : undefined;
    this.stringParts = [];
  }

  /** Base64 text inside a blob; JSON escapes (`\/`, `\n`, `\u003d`) are rare and take the slow path. */
  private writeBlobText(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (!this.blobEscape && bytes.indexOf(BACKSLASH) === -1) {
      this.decoder!.writeBytes(bytes);
      return;
    }
    let text = this.blobEscape + bytes.toString('latin1');
    this.blobEscape = '';
    let clean = '';
    let index = 0;
    while (index < text.length) {
      const slash = text.indexOf('\\', index);
      if (slash === -1) {
        clean += text.slice(index);
        break;
      }
      clean += text.slice(index, slash);
      const kind = text[slash + 1];
      if (kind === undefined || (kind === 'u' && slash + 6 > text.length)) {
        this.blobEscape = text.slice(slash);
        break;
      }
      if (kind === 'u') {
        const character = String.fromCharCode(parseInt(text.slice(slash + 2, slash + 6), 16));
        if (/[A-Za-z0-9+/=_-]/.test(character)) clean += character;
        index = slash + 6;
      } else {
        if (kind === '/') clean += '/';
        index = slash + 2;
      }
    }
    text = clean;
    this.decoder!.write(text);
  }
}

/** True for a string that stands for a blob in a scanned document. */
export function isBlobMarker(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(MARKER);
}

/** The blob a marker stands for. */
export function blobFor(document: ScannedDocument, marker: string): Buffer | undefined {
  return document.blobs[Number(marker.slice(MARKER.length))];
}

/** Scans a whole body given as chunks (a response stream or an SSE event's data pieces). */
export async function scanImageJson(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<ScannedDocument> {
  const scanner = new ImageJsonScanner();
  for await (const chunk of chunks) scanner.write(chunk);
  return scanner.finish();
}
