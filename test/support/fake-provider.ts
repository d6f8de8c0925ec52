/**
 * A fake image API on 127.0.0.1 that speaks every protocol ImageGen supports (see
 * /work/shared/PROVIDERS.md): OpenAI, the ofox, aa, modelverse and apimodels gateways, and a generic
 * OpenAI-compatible gateway. It answers with real image bytes, validates requests the way each real
 * service does, records every request, and injects faults on demand, so core, CLI, VS Code
 * integration tests and the benchmark all exercise the same wire behaviour.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomFillSync } from 'node:crypto';
import { constants as zlibConstants, deflateSync } from 'node:zlib';
import { encodePng, pngChunk } from '../../src/core/image/png';
import { sniffImage } from '../../src/core/image/sniff';
import { encodeJpeg } from './jpeg-encoder';
import { encodeWebp } from './webp-encoder';

// ---------------------------------------------------------------------------------------------
// Public types

/** The providers the fake speaks, each under its own base path. */
export type FakeProviderId = 'openai' | 'ofox' | 'aa' | 'modelverse' | 'apimodels' | 'compatible';

/** Every provider id, in a stable order. */
export const FAKE_PROVIDER_IDS: readonly FakeProviderId[] = ['openai', 'ofox', 'aa', 'modelverse', 'apimodels', 'compatible'];

/** Base path of each provider below the server origin; always includes the version path, like the real ones. */
const BASE_PATHS: Record<FakeProviderId, string> = {
  openai: '/openai/v1',
  ofox: '/ofox/v1',
  aa: '/aa/api/v1',
  modelverse: '/modelverse/v1',
  apimodels: '/apimodels/api/v1',
  compatible: '/compatible/v1',
};

/** Which requests a fault applies to; every field narrows the match. */
export interface FaultFilter {
  /** How many matching requests the fault applies to before it is used up (default 1). */
  times?: number;
  /** Only requests to this provider (downloads count as the provider that produced the file). */
  provider?: FakeProviderId;
  /** Only this endpoint path, relative to the provider base URL (e.g. `/images/edits`, `/files/<name>`). */
  path?: string | RegExp;
  /** Only this HTTP method. */
  method?: string;
}

/**
 * A fault injected into the next matching requests. Kinds that only make sense for some requests wait
 * in the queue for one: `stream-error` and `json-to-stream` for stream requests, `task-failed` for an
 * apimodels async task creation, `aa-error` for aa, `url-output`/`empty-data`/`huge` for image
 * requests, `download-404` for image downloads (`/files/...`). The other kinds apply to any API
 * request, and to downloads only when `path` names them.
 */
export type FakeFault = FaultFilter &
  (
    | { kind: 'latency'; ms: number }
    | { kind: 'status'; status: number; retryAfter?: number; body?: string }
    | { kind: 'html'; status?: number }
    | { kind: 'malformed-json' }
    | { kind: 'truncated' }
    | { kind: 'slow-drip'; bytesPerChunk: number; intervalMs: number }
    | { kind: 'empty-data' }
    | { kind: 'huge' }
    | { kind: 'aa-error' }
    | { kind: 'hang' }
    | { kind: 'reset' }
    | { kind: 'url-output' }
    | { kind: 'json-to-stream' }
    | { kind: 'stream-error' }
    | { kind: 'task-failed' }
    | { kind: 'download-404' }
  );

/** The name of a fault kind. */
export type FakeFaultKind = FakeFault['kind'];

/** A file part of a multipart request. */
export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** One request as the server received it. */
export interface RecordedRequest {
  /** The provider whose base path the request used; downloads carry the provider that made the file. */
  provider: FakeProviderId | 'unknown';
  method: string;
  /** Path relative to the provider base URL (`/images/generations`); downloads: `/files/<name>`. */
  path: string;
  /** The full path as received, without the query. */
  rawPath: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed body of a JSON request (absent when the body was not valid JSON). */
  json?: unknown;
  /** Text fields of a multipart request, every value in order. */
  fields?: Record<string, string[]>;
  /** File parts of a multipart request, in order. */
  files?: RecordedFile[];
  bodyLength: number;
  /** `Date.now()` when the request had been read, to measure retry back-off. */
  receivedAt: number;
  /** The fault applied to this request, if any. */
  fault?: FakeFaultKind;
}

/** A final image the server sent (in b64 or as a downloadable file). Partial stream images are not kept. */
export interface ServedImage {
  provider: FakeProviderId;
  format: OutputFormat;
  width: number;
  height: number;
  bytes: Buffer;
  prompt: string;
  index: number;
}

/** Image formats the fake can produce. */
export type OutputFormat = 'png' | 'jpeg' | 'webp';

/** Options of `startFakeProvider`. */
export interface FakeProviderOptions {
  /** The only key accepted as `Authorization: Bearer <key>` (default `test-key-123`). */
  apiKey?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Pause between server-sent events, in ms (default 10), so streams really arrive over time. */
  eventDelayMs?: number;
  /** Most requests kept in `requests`; older ones are dropped first (default 10,000). */
  maxRecordedRequests?: number;
}

/** A running fake provider server. */
export interface FakeProvider {
  /** The origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The accepted API key. */
  readonly apiKey: string;
  /** The base URL to configure for a provider, e.g. `${url}/openai/v1`. */
  baseUrl(provider: FakeProviderId): string;
  /** Every request received, oldest first (a live array: tests may also empty it). */
  readonly requests: RecordedRequest[];
  /** The last final images served, oldest first (at most 32). */
  readonly servedImages: ServedImage[];
  /** The final images of the most recent image response. */
  readonly lastServedImages: ServedImage[];
  /** Queues a fault for the next matching requests (first in, first out). */
  fault(spec: FakeFault): void;
  /** Number of faults still queued. */
  pendingFaults(): number;
  /** Drops every queued fault. */
  clearFaults(): void;
  /** Empties `requests`, `servedImages` and `lastServedImages`. */
  clearRequests(): void;
  /** How many apimodels polls answer `processing` before `completed`, for tasks created from now on (default 2). */
  setPollPlan(steps: number): void;
  /** Closes the server and every open connection, hanging ones included. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Image bytes

type Rgb = [number, number, number];

function hsvToRgb(hue: number, saturation: number, value: number): Rgb {
  const chroma = value * saturation;
  const h = hue / 60;
  const x = chroma * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [chroma, x, 0] : h < 2 ? [x, chroma, 0] : h < 3 ? [0, chroma, x] : h < 4 ? [0, x, chroma] : h < 5 ? [x, 0, chroma] : [chroma, 0, x];
  const m = value - chroma;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * The main colour of the image the fake draws for a prompt and the image's index in the response:
 * the hue comes from a hash of the prompt, and each index turns it by the golden angle so the images
 * of one response clearly differ.
 */
export function imageColor(prompt: string, index: number): Rgb {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(prompt, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hsvToRgb(((hash % 360) + index * 137.508) % 360, 0.65, 0.85);
}

interface RenderSpec {
  width: number;
  height: number;
  format: OutputFormat;
  color: Rgb;
  transparent: boolean;
  /** Partial stream images are tinted toward white and encoded cheaper. */
  draft: boolean;
}

/**
 * Solid colour with a darker band at the top (so the image is not a single flat value); transparent
 * images keep a fully transparent margin around an opaque centre, so alpha really varies.
 */
function renderPixels(spec: RenderSpec, channels: 3 | 4): Uint8Array {
  const { width, height, color, transparent } = spec;
  const stride = width * channels;
  const makeRow = (rgb: Rgb, alphaAt: (x: number) => number): Uint8Array => {
    const row = new Uint8Array(stride);
    for (let x = 0; x < width; x++) {
      row[x * channels] = rgb[0];
      row[x * channels + 1] = rgb[1];
      row[x * channels + 2] = rgb[2];
      if (channels === 4) row[x * channels + 3] = alphaAt(x);
    }
    return row;
  };
  const marginX = transparent ? Math.floor(width / 8) : 0;
  const marginY = transparent ? Math.floor(height / 8) : 0;
  const opaqueInside = (x: number): number => (x < marginX || x >= width - marginX ? 0 : 255);
  const band: Rgb = [Math.round(color[0] * 0.6), Math.round(color[1] * 0.6), Math.round(color[2] * 0.6)];
  const clearRow = makeRow(color, () => 0);
  const bandRow = makeRow(band, opaqueInside);
  const bodyRow = makeRow(color, opaqueInside);
  const bandHeight = Math.max(1, Math.floor(height / 16));
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y < marginY || y >= height - marginY ? clearRow : y < marginY + bandHeight ? bandRow : bodyRow;
    pixels.set(row, y * stride);
  }
  return pixels;
}

function encodeImage(spec: RenderSpec): Buffer {
  switch (spec.format) {
    case 'png':
      return encodePng(renderPixels(spec, spec.transparent ? 4 : 3), spec.width, spec.height, spec.transparent ? 4 : 3, { level: spec.draft ? 1 : 6 });
    case 'jpeg':
      return encodeJpeg(renderPixels(spec, 3), spec.width, spec.height, spec.draft ? 40 : 85);
    case 'webp':
      return encodeWebp(renderPixels(spec, 4), spec.width, spec.height);
  }
}

/** Encoded images by their spec; the same prompt and size are asked again and again in tests and the benchmark. */
const renderCache = new Map<string, Buffer>();
let renderCacheBytes = 0;
const RENDER_CACHE_LIMIT = 128 * 1024 * 1024;

function renderImage(spec: RenderSpec): Buffer {
  const key = `${spec.format}:${spec.width}x${spec.height}:${spec.color.join(',')}:${spec.transparent ? 't' : 'o'}:${spec.draft ? 'd' : 'f'}`;
  const cached = renderCache.get(key);
  if (cached) {
    // Re-insert so the map order is least-recently-used first.
    renderCache.delete(key);
    renderCache.set(key, cached);
    return cached;
  }
  const bytes = encodeImage(spec);
  renderCache.set(key, bytes);
  renderCacheBytes += bytes.length;
  for (const [oldKey, oldBytes] of renderCache) {
    if (renderCacheBytes <= RENDER_CACHE_LIMIT || oldKey === key) break;
    renderCache.delete(oldKey);
    renderCacheBytes -= oldBytes.length;
  }
  return bytes;
}


let hugeImage: Buffer | undefined;
let hugeImageBase64: string | undefined;

/** Side of the `huge` fault's image. */
export const HUGE_IMAGE_SIDE = 4096;

/**
 * The `huge` fault's image, built once per process: a 4096x4096 RGB PNG of about 18 MB (so its
 * JSON answer is about 25 MB). Two or three random low bits per channel keep it incompressible; a solid
 * frame makes it recognisable.
 */
export function hugePng(): Buffer {
  if (hugeImage) return hugeImage;
  const side = HUGE_IMAGE_SIDE;
  const frame = 64;
  const stride = side * 3 + 1;
  const raw = new Uint8Array(stride * side);
  randomFillSync(raw);
  const words = new Uint32Array(raw.buffer, 0, raw.length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = (words[i]! & 0x07070303) | 0x60606060;
  const frameRow = new Uint8Array(side * 3);
  for (let x = 0; x < side; x++) frameRow.set([230, 60, 40], x * 3);
  const frameSide = frameRow.subarray(0, frame * 3);
  for (let y = 0; y < side; y++) {
    const at = y * stride;
    raw[at] = 0;
    if (y < frame || y >= side - frame) raw.set(frameRow, at + 1);
    else {
      raw.set(frameSide, at + 1);
      raw.set(frameSide, at + 1 + (side - frame) * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8;
  header[9] = 2;
  // Huffman-only: noise gains nothing from LZ77 matching, and this is several times faster.
  const data = deflateSync(raw, { strategy: zlibConstants.Z_HUFFMAN_ONLY });
  hugeImage = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', data),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
  return hugeImage;
}

function hugeBase64(): string {
  hugeImageBase64 ??= hugePng().toString('base64');
  return hugeImageBase64;
}

/** True when a PNG has an alpha channel (colour type 4 or 6) or a tRNS chunk. */
function pngHasAlpha(bytes: Buffer): boolean {
  const colorType = bytes[25];
  if (colorType === 4 || colorType === 6) return true;
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    at += 12 + length;
  }
  return false;
}

function formatOf(bytes: Buffer): OutputFormat | undefined {
  switch (sniffImage(bytes)?.mediaType) {
    case 'image/png':
      return 'png';
    case 'image/jpeg':
      return 'jpeg';
    case 'image/webp':
      return 'webp';
    default:
      return undefined;
  }
}

const CONTENT_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
const EXTENSIONS: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

// ---------------------------------------------------------------------------------------------
// Protocol rules

/** A request rejected the way the real service rejects it. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const OPENAI_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto'] as const;
const OFOX_SIZES = ['auto', '1024x1024', '1536x1024', '1024x1536', '256x256', '512x512', '1792x1024', '1024x1792'] as const;
const MODELVERSE_SIZES = ['1024x1024', '1024x1536', '1536x1024'] as const;
const OPENAI_QUALITIES = ['low', 'medium', 'high', 'auto'] as const;
const ALL_FORMATS = ['png', 'webp', 'jpeg'] as const;
const MAX_INPUT_IMAGES = 16;
const MAX_PROMPT = 32_000;

/** What one model accepts, as far as the fake checks it. */
interface ModelRules {
  /** Literal sizes accepted (`auto` only when listed). */
  sizes: readonly string[];
  /** Also any `WxH` that satisfies the gpt-image-2 custom size rules. */
  customSizes: boolean;
  /** Any `WxH` with sides 16-4096 (generic gateways pass sizes through). */
  anySize: boolean;
  /** Size used when the request has none. */
  defaultSize: string;
  nMax: number;
  /** When set, the presence of `n` at all is an error with this message (ofox Gemini). */
  nPresentError?: string;
  qualities: readonly string[];
  formats: readonly string[];
  inputFidelity: boolean;
  /** When set, `/images/edits` fails with this message. */
  editError?: string;
  /** False: `background` is accepted and ignored (the output is opaque). */
  transparency: boolean;
  /** `full`: partials then completed; `final-only`: just the completed event; `none`: plain JSON. */
  stream: 'full' | 'final-only' | 'none';
}

const GPT_IMAGE_1: ModelRules = {
  sizes: OPENAI_SIZES,
  customSizes: false,
  anySize: false,
  defaultSize: 'auto',
  nMax: 10,
  qualities: OPENAI_QUALITIES,
  formats: ALL_FORMATS,
  inputFidelity: true,
  transparency: true,
  stream: 'full',
};

const GEMINI_FLASH_IMAGE = 'google/gemini-3.1-flash-image-preview';

/** Models per provider; `*` matches any model id. */
const MODELS: Record<Exclude<FakeProviderId, 'aa'>, Record<string, ModelRules>> = {
  openai: {
    'gpt-image-1': GPT_IMAGE_1,
    'gpt-image-1.5': GPT_IMAGE_1,
    'gpt-image-1-mini': { ...GPT_IMAGE_1, inputFidelity: false },
    'gpt-image-2': { ...GPT_IMAGE_1, customSizes: true, inputFidelity: false },
  },
  ofox: {
    'openai/gpt-image-2': {
      ...GPT_IMAGE_1,
      sizes: OFOX_SIZES,
      qualities: ['auto', 'low', 'medium', 'high', 'standard', 'hd'],
      inputFidelity: false,
    },
    [GEMINI_FLASH_IMAGE]: {
      ...GPT_IMAGE_1,
      sizes: OFOX_SIZES,
      nMax: 1,
      // What the gateway answers: it maps `n` onto Gemini's numberOfImages, which the upstream rejects.
      nPresentError:
        '* GenerateContentRequest.generation_config: Invalid JSON payload received. Unknown name "numberOfImages" at \'generation_config\': Cannot find field.',
      qualities: ['auto', 'low', 'medium', 'high', 'standard', 'hd'],
      inputFidelity: false,
      editError: `Image editing is not supported for model ${GEMINI_FLASH_IMAGE}`,
      transparency: false,
      stream: 'none',
    },
  },
  modelverse: {
    'gpt-image-1': {
      ...GPT_IMAGE_1,
      sizes: MODELVERSE_SIZES,
      defaultSize: '1024x1024',
      nMax: 4,
      qualities: ['low', 'medium', 'high'],
      formats: ['png', 'jpeg'],
      stream: 'none',
    },
  },
  apimodels: {
    'gpt-image-2-all': { ...GPT_IMAGE_1, sizes: [], customSizes: true, defaultSize: '', stream: 'none' },
  },
  compatible: {
    '*': { ...GPT_IMAGE_1, anySize: true, qualities: [...OPENAI_QUALITIES, 'standard', 'hd'], stream: 'final-only' },
  },
};

/** Why a `WxH` size breaks the gpt-image-2 custom size rules, or undefined when it is fine. */
function customSizeProblem(width: number, height: number): string | undefined {
  if (width % 16 !== 0 || height % 16 !== 0) return 'width and height must both be multiples of 16';
  if (Math.max(width, height) > 3840) return 'the longest side must be at most 3840 pixels';
  if (Math.max(width, height) / Math.min(width, height) > 3) return 'the aspect ratio must be at most 3:1';
  const pixels = width * height;
  if (pixels < 655_360 || pixels > 8_294_400) return 'the total number of pixels must be between 655,360 and 8,294,400';
  return undefined;
}

function parseWxH(size: string): { width: number; height: number } | undefined {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(', ');
}

function checkSize(size: string, rules: ModelRules): void {
  if (rules.sizes.includes(size)) return;
  const dims = parseWxH(size);
  if (dims && rules.anySize && dims.width >= 16 && dims.height >= 16 && dims.width <= 4096 && dims.height <= 4096) return;
  if (dims && rules.customSizes) {
    const problem = customSizeProblem(dims.width, dims.height);
    if (!problem) return;
    throw new ApiError(400, `Invalid size '${size}': ${problem}.`, 'size', 'invalid_value');
  }
  const supported = rules.sizes.length > 0 ? `Supported values are: ${quoteList(rules.sizes)}.` : 'Expected a size like 1024x1024.';
  throw new ApiError(400, `Invalid value: '${size}'. ${supported}`, 'size', 'invalid_value');
}

/** An integer parameter from JSON (number) or multipart (decimal string); undefined when absent. */
function integerParam(params: Record<string, unknown>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) {
    throw new ApiError(400, `Invalid type for '${name}': expected an integer, but got ${JSON.stringify(value)} instead.`, name, 'invalid_type');
  }
  return number;
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (value < min) {
    throw new ApiError(400, `Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`, name, 'integer_below_min_value');
  }
  if (value > max) {
    throw new ApiError(400, `Invalid '${name}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`, name, 'integer_above_max_value');
  }
}

function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, `Invalid type for '${name}': expected a string, but got ${typeof value} instead.`, name, 'invalid_type');
  return value;
}

function booleanParam(params: Record<string, unknown>, name: string): boolean {
  const value = params[name];
  return value === true || value === 'true';
}

function checkChoice(name: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new ApiError(400, `Invalid value: '${value}'. Supported values are: ${quoteList(allowed)}.`, name, 'invalid_value');
  }
}

/** An input image of an edit request. `bytes` is absent for references the fake cannot fetch (remote URLs, file ids). */
interface InputImage {
  bytes?: Buffer;
  width: number;
  height: number;
}

function inputImage(bytes: Buffer, what: string, param: string): InputImage {
  const sniffed = sniffImage(bytes);
  if (!sniffed) throw new ApiError(400, `Invalid image file or mode for ${what}, please check your image file.`, param, 'invalid_image_format');
  return { bytes, width: sniffed.width, height: sniffed.height };
}

function checkMask(mask: InputImage, first: InputImage | undefined): void {
  if (mask.bytes && (formatOf(mask.bytes) !== 'png' || !pngHasAlpha(mask.bytes))) {
    throw new ApiError(400, 'Invalid mask image format - mask image missing alpha channel. The mask must be a PNG with an alpha channel.', 'mask', 'invalid_image_format');
  }
  if (first && mask.bytes && first.bytes && (mask.width !== first.width || mask.height !== first.height)) {
    throw new ApiError(
      400,
      `Invalid mask image: the mask (${mask.width}x${mask.height}) must have the same dimensions as the image (${first.width}x${first.height}).`,
      'mask',
      'invalid_image_format',
    );
  }
}

/** A validated request for images, independent of the protocol it came in. */
interface ImageJob {
  edit: boolean;
  model: string;
  prompt: string;
  n: number;
  nGiven: boolean;
  /** The size field as sent (undefined when absent). */
  requestedSize?: string;
  /** The quality field as sent. */
  requestedQuality?: string;
  width: number;
  height: number;
  format: OutputFormat;
  transparent: boolean;
  /** Quality reported back (auto resolved to medium). */
  quality: string;
  stream: boolean;
  partialImages: number;
  images: InputImage[];
  mask?: InputImage;
}

/** Output size: an explicit WxH, or `auto` → the first input image on edits and 1024x1024 otherwise. */
function resolveSize(size: string, images: InputImage[]): { width: number; height: number } {
  const dims = parseWxH(size);
  if (dims) return dims;
  const first = images[0];
  return first ? { width: first.width, height: first.height } : { width: 1024, height: 1024 };
}

/**
 * Checks the parameters common to the OpenAI-shaped protocols, in the order OpenAI reports them,
 * and returns the job. `images`/`mask` are the already-decoded edit inputs.
 */
function validateImageJob(
  params: Record<string, unknown>,
  rules: ModelRules,
  model: string,
  edit: boolean,
  images: InputImage[],
  mask: InputImage | undefined,
  sizeOverride?: { width: number; height: number },
): ImageJob {
  const prompt = stringParam(params, 'prompt');
  if (prompt === undefined || prompt.trim() === '') throw new ApiError(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  if (prompt.length > MAX_PROMPT) {
    throw new ApiError(400, `Invalid 'prompt': string too long. Expected a string with maximum length ${MAX_PROMPT}, but got a string with length ${prompt.length} instead.`, 'prompt', 'string_above_max_length');
  }
  if (edit && rules.editError) throw new ApiError(400, rules.editError, 'model', 'unsupported_model');
  const nGiven = Object.hasOwn(params, 'n');
  if (nGiven && rules.nPresentError) throw new ApiError(400, rules.nPresentError, 'n', 'invalid_argument');
  const n = integerParam(params, 'n') ?? 1;
  checkRange('n', n, 1, rules.nMax);
  const requestedSize = stringParam(params, 'size');
  if (!sizeOverride) checkSize(requestedSize ?? rules.defaultSize, rules);
  const requestedQuality = stringParam(params, 'quality');
  checkChoice('quality', requestedQuality, rules.qualities);
  const outputFormat = stringParam(params, 'output_format');
  checkChoice('output_format', outputFormat, rules.formats);
  const format = (outputFormat ?? 'png') as OutputFormat;
  const background = stringParam(params, 'background');
  checkChoice('background', background, ['transparent', 'opaque', 'auto']);
  if (background === 'transparent' && format === 'jpeg' && rules.transparency) {
    throw new ApiError(400, "Transparent background is not supported for output_format 'jpeg'. Use 'png' or 'webp'.", 'background', 'invalid_value');
  }
  const compression = integerParam(params, 'output_compression');
  if (compression !== undefined) checkRange('output_compression', compression, 0, 100);
  checkChoice('moderation', stringParam(params, 'moderation'), ['auto', 'low']);
  const fidelity = params.input_fidelity;
  if (fidelity !== undefined && fidelity !== null) {
    if (!rules.inputFidelity) throw new ApiError(400, `input_fidelity is not supported for model '${model}'.`, 'input_fidelity', 'unsupported_parameter');
    checkChoice('input_fidelity', stringParam(params, 'input_fidelity'), ['high', 'low']);
  }
  const stream = booleanParam(params, 'stream');
  const partialImages = integerParam(params, 'partial_images') ?? 0;
  checkRange('partial_images', partialImages, 0, 3);
  if (edit) {
    if (images.length === 0) throw new ApiError(400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
    if (images.length > MAX_INPUT_IMAGES) {
      throw new ApiError(400, `Invalid 'image': too many images. Expected at most ${MAX_INPUT_IMAGES} images, but got ${images.length}.`, 'image', 'too_many_images');
    }
    if (mask) checkMask(mask, images[0]);
  }
  const { width, height } = sizeOverride ?? resolveSize(requestedSize ?? rules.defaultSize, edit ? images : []);
  return {
    edit,
    model,
    prompt,
    n,
    nGiven,
    requestedSize,
    requestedQuality,
    width,
    height,
    format,
    transparent: background === 'transparent' && rules.transparency,
    quality: requestedQuality === undefined || requestedQuality === 'auto' ? 'medium' : requestedQuality,
    stream,
    partialImages,
    images,
    mask,
  };
}

/** Token counts in the spirit of OpenAI's image pricing: output tokens grow with quality and pixels. */
function usageFor(job: ImageJob): { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details: { text_tokens: number; image_tokens: number } } {
  const textTokens = Math.max(1, Math.ceil(job.prompt.length / 4));
  const imageTokens = job.images.length * 1024;
  const perMegapixel = job.quality === 'low' ? 272 : job.quality === 'high' || job.quality === 'hd' ? 4160 : 1056;
  const outputTokens = Math.round((perMegapixel * job.width * job.height) / 1_048_576) * job.n;
  return {
    input_tokens: textTokens + imageTokens,
    output_tokens: outputTokens,
    total_tokens: textTokens + imageTokens + outputTokens,
    input_tokens_details: { text_tokens: textTokens, image_tokens: imageTokens },
  };
}

// ---------------------------------------------------------------------------------------------
// Request parsing and replies

interface ParsedBody {
  kind: 'empty' | 'json' | 'multipart' | 'invalid-json' | 'invalid-multipart' | 'other';
  json?: unknown;
  fields?: Record<string, string[]>;
  files?: RecordedFile[];
}

async function parseBody(contentType: string, body: Buffer): Promise<ParsedBody> {
  if (body.length === 0) return { kind: 'empty' };
  if (/^multipart\/form-data/i.test(contentType)) {
    try {
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      const fields: Record<string, string[]> = {};
      const files: RecordedFile[] = [];
      for (const [name, value] of form.entries()) {
        if (typeof value === 'string') (fields[name] ??= []).push(value);
        else files.push({ field: name, filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
      }
      return { kind: 'multipart', fields, files };
    } catch {
      return { kind: 'invalid-multipart' };
    }
  }
  if (/json/i.test(contentType) || contentType === '') {
    try {
      return { kind: 'json', json: JSON.parse(body.toString('utf8')) };
    } catch {
      return { kind: 'invalid-json' };
    }
  }
  return { kind: 'other' };
}

/** Parameters as one flat object: the JSON body, or the first value of each multipart text field. */
function paramsOf(parsed: ParsedBody): Record<string, unknown> {
  if (parsed.kind === 'json' && typeof parsed.json === 'object' && parsed.json !== null && !Array.isArray(parsed.json)) return parsed.json as Record<string, unknown>;
  if (parsed.kind === 'multipart') return Object.fromEntries(Object.entries(parsed.fields ?? {}).map(([name, values]) => [name, values[0]]));
  return {};
}

interface SseEvent {
  event: string;
  data: string;
}

type Reply =
  | { kind: 'body'; status: number; headers: Record<string, string>; body: Buffer }
  | { kind: 'sse'; headers: Record<string, string>; events: SseEvent[] }
  | { kind: 'hang' }
  | { kind: 'reset' };

function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { kind: 'body', status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(value)) };
}

const NGINX_BAD_GATEWAY = (status: number, reason: string): string =>
  `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n`;

const STATUS_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Default error of a `status` fault, in OpenAI's words. */
function statusFaultError(status: number): ApiError {
  switch (status) {
    case 401:
      return new ApiError(401, 'Incorrect API key provided.', null, 'invalid_api_key');
    case 408:
      return new ApiError(408, 'Request timed out.', null, null, 'timeout');
    case 409:
      return new ApiError(409, 'The request conflicted with another request in progress. Please retry.', null, 'conflict', 'conflict');
    case 429:
      return new ApiError(429, 'Rate limit reached for images per minute. Please try again in 1s.', null, 'rate_limit_exceeded', 'requests');
    case 500:
      return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', null, null, 'server_error');
    case 502:
      return new ApiError(502, 'Bad gateway.', null, null, 'server_error');
    case 503:
      return new ApiError(503, 'The engine is currently overloaded, please try again later.', null, null, 'server_error');
    default:
      return new ApiError(status, STATUS_REASONS[status] ?? `HTTP ${status}`, null, null, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}

/** The provider's own error shape. aa puts validation errors in an HTTP 200 envelope, as Chinese gateways do. */
function errorReply(provider: FakeProviderId, error: ApiError, requestId: string, extraHeaders: Record<string, string> = {}): Reply {
  const headers = { 'x-request-id': requestId, ...extraHeaders };
  switch (provider) {
    case 'aa': {
      const httpStatus = error.status === 400 ? 200 : error.status;
      const code = error.status === 400 ? 1002 : error.status;
      return jsonReply(httpStatus, { code, message: error.message, data: null, request_id: requestId }, headers);
    }
    case 'modelverse':
      return jsonReply(error.status, { error: { message: error.message, type: error.type, param: requestId, code: error.code ?? String(error.status) } }, headers);
    case 'compatible':
      return jsonReply(error.status, { error: { message: `${error.message} (request id: ${requestId})`, type: error.type === 'invalid_request_error' ? 'new_api_error' : error.type, param: error.param ?? '', code: error.code } }, headers);
    default:
      return jsonReply(error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } }, headers);
  }
}

function maskKey(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-2)}`;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    length += buffer.length;
    if (length > limit) throw new RangeError('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Where the SSE text of one event is cut: inside the `event:` line, twice inside the data line, and between the two final newlines. */
function splitPoints(text: string): number[] {
  const dataAt = text.indexOf('\ndata: ') + 1;
  const points = [3, dataAt + 3, Math.floor((dataAt + text.length) / 2), text.length - 1];
  return [...new Set(points.filter((point) => point > 0 && point < text.length))].sort((a, b) => a - b);
}

function serializeEvent(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${event.data}\n\n`;
}

// ---------------------------------------------------------------------------------------------
// The server

type Route =
  | { kind: 'api'; provider: FakeProviderId; endpoint: string }
  | { kind: 'download'; provider: FakeProviderId | 'unknown'; name: string }
  | { kind: 'unknown' };

type QueuedFault = FakeFault & { remaining: number };

interface StoredFile {
  provider: FakeProviderId;
  bytes: Buffer;
  format: OutputFormat;
  expiresAt: number;
  downloadsLeft: number;
}

interface AsyncTask {
  id: string;
  job: ImageJob;
  plannedPolls: number;
  polls: number;
  fails: boolean;
  huge: boolean;
  emptyData: boolean;
  createdAt: number;
  urls?: { url: string; width: number; height: number }[];
}

interface RequestFacts {
  image: boolean;
  stream: boolean;
  asyncTask: boolean;
}

/** Request bodies above this are refused (16 large reference images fit easily). */
const MAX_BODY = 256 * 1024 * 1024;
/** Generated files stay downloadable this long and this many times, like expiring gateway URLs. */
const FILE_LIFETIME_MS = 30 * 60 * 1000;
const FILE_DOWNLOADS = 10;
const MAX_FILES = 256;

function isImageEndpoint(provider: FakeProviderId, method: string, endpoint: string): boolean {
  if (method !== 'POST') return false;
  return provider === 'aa' ? endpoint === '/image/generation' : endpoint === '/images/generations' || endpoint === '/images/edits';
}

/** apimodels goes async with a callback, or with aspect_ratio/resolution instead of a size. */
function isApimodelsAsync(params: Record<string, unknown>): boolean {
  if (params.callback_url) return true;
  return (params.size === undefined || params.size === null || params.size === '') && (params.aspect_ratio !== undefined || params.resolution !== undefined);
}

const RESOLUTION_AREAS: Record<string, { area: number; longest: number }> = {
  '1K': { area: 1024 * 1024, longest: 1536 },
  '2K': { area: 2048 * 2048, longest: 2048 },
  '4K': { area: 8_294_400, longest: 3840 },
};

/**
 * The size apimodels picks for an aspect ratio and tier: about the tier's area (1K ≈ 1024², 2K ≈
 * 2048², 4K = 3840x2160's area) in that ratio, sides rounded to multiples of 16, longest side capped
 * at the tier's limit (1536 / 2048 / 3840), nudged into the pixel bounds. 16:9 gives 1360x768,
 * 2048x1152 and 3840x2160.
 */
export function apimodelsAsyncSize(aspectRatio: string, resolution: string): { width: number; height: number } {
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(aspectRatio.trim());
  const tier = RESOLUTION_AREAS[resolution.toUpperCase()];
  if (!match) throw new ApiError(400, `Invalid aspect_ratio '${aspectRatio}': expected W:H, e.g. 16:9.`, 'aspect_ratio', 'invalid_value');
  if (!tier) throw new ApiError(400, `Invalid resolution '${resolution}': expected 1K, 2K or 4K.`, 'resolution', 'invalid_value');
  const ratio = Number(match[1]) / Number(match[2]);
  if (!(ratio > 0) || Math.max(ratio, 1 / ratio) > 3) throw new ApiError(400, `Invalid aspect_ratio '${aspectRatio}': the aspect ratio must be at most 3:1.`, 'aspect_ratio', 'invalid_value');
  const round16 = (value: number): number => Math.max(16, Math.round(value / 16) * 16);
  let width = Math.sqrt(tier.area * ratio);
  let height = width / ratio;
  const scale = Math.min(1, tier.longest / Math.max(width, height));
  width = round16(width * scale);
  height = round16(height * scale);
  while (width * height > 8_294_400) {
    if (width >= height) width -= 16;
    else height -= 16;
  }
  while (width * height < 655_360) {
    if (width <= height) width += 16;
    else height += 16;
  }
  const problem = customSizeProblem(width, height);
  if (problem) throw new ApiError(400, `aspect_ratio '${aspectRatio}' at ${resolution} gives ${width}x${height}: ${problem}.`, 'aspect_ratio', 'invalid_value');
  return { width, height };
}

class FakeProviderServer implements FakeProvider {
  url = '';
  readonly apiKey: string;
  readonly requests: RecordedRequest[] = [];
  readonly servedImages: ServedImage[] = [];
  lastServedImages: ServedImage[] = [];
  readonly server: Server;
  private readonly faults: QueuedFault[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly tasks = new Map<string, AsyncTask>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly eventDelayMs: number;
  private readonly maxRecordedRequests: number;
  private pollPlan = 2;

  constructor(options: FakeProviderOptions) {
    this.apiKey = options.apiKey ?? 'test-key-123';
    this.eventDelayMs = options.eventDelayMs ?? 10;
    this.maxRecordedRequests = options.maxRecordedRequests ?? 10_000;
    this.server = createServer({ noDelay: true }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        // A bug in the fake must show up in the test output, not as a hung request.
        if (!response.headersSent && !response.destroyed) {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { message: `fake provider bug: ${String(error)}`, type: 'server_error', param: null, code: null } }));
        } else response.destroy();
      });
    });
    // Slow uploads and hanging requests are the point of some tests: no server-side timeouts.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  baseUrl(provider: FakeProviderId): string {
    return `${this.url}${BASE_PATHS[provider]}`;
  }

  fault(spec: FakeFault): void {
    const remaining = spec.times ?? 1;
    if (!(remaining >= 1)) throw new RangeError(`fault times must be >= 1, got ${remaining}`);
    this.faults.push({ ...spec, remaining });
  }

  pendingFaults(): number {
    return this.faults.length;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  clearRequests(): void {
    this.requests.length = 0;
    this.servedImages.length = 0;
    this.lastServedImages = [];
  }

  setPollPlan(steps: number): void {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`poll plan must be a whole number >= 0, got ${steps}`);
    this.pollPlan = steps;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private route(pathname: string): Route {
    if (pathname.startsWith('/files/')) {
      const name = pathname.slice('/files/'.length);
      return { kind: 'download', provider: this.files.get(name)?.provider ?? 'unknown', name };
    }
    for (const provider of FAKE_PROVIDER_IDS) {
      const base = BASE_PATHS[provider];
      if (pathname.startsWith(`${base}/`)) return { kind: 'api', provider, endpoint: pathname.slice(base.length) };
    }
    return { kind: 'unknown' };
  }

  private record(entry: RecordedRequest): void {
    this.requests.push(entry);
    if (this.requests.length > this.maxRecordedRequests) this.requests.splice(0, this.requests.length - this.maxRecordedRequests);
  }

  private faultApplies(fault: QueuedFault, route: Route, entry: RecordedRequest, facts: RequestFacts): boolean {
    if (fault.provider !== undefined && fault.provider !== entry.provider) return false;
    if (fault.method !== undefined && fault.method.toUpperCase() !== entry.method) return false;
    if (fault.path !== undefined && (typeof fault.path === 'string' ? fault.path !== entry.path : !fault.path.test(entry.path))) return false;
    const download = route.kind === 'download';
    switch (fault.kind) {
      case 'download-404':
        return download;
      case 'stream-error':
      case 'json-to-stream':
        return facts.image && facts.stream && route.kind === 'api' && route.provider !== 'aa';
      case 'task-failed':
        return facts.asyncTask;
      case 'aa-error':
        return route.kind === 'api' && route.provider === 'aa';
      case 'url-output':
        return facts.image && route.kind === 'api' && route.provider !== 'aa';
      case 'empty-data':
      case 'huge':
        return facts.image;
      default:
        return !download || fault.path !== undefined;
    }
  }

  /** The first queued fault that applies, used up by one. */
  private takeFault(route: Route, entry: RecordedRequest, facts: RequestFacts): FakeFault | undefined {
    const at = this.faults.findIndex((fault) => this.faultApplies(fault, route, entry, facts));
    if (at < 0) return undefined;
    const fault = this.faults[at]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(at, 1);
    return fault;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.on('error', () => undefined);
    request.on('error', () => undefined);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = (request.method ?? 'GET').toUpperCase();
    let body: Buffer;
    try {
      body = await readBody(request, MAX_BODY);
    } catch (error) {
      if (error instanceof RangeError && !response.destroyed) {
        response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        response.end(JSON.stringify({ error: { message: 'Request entity too large', type: 'invalid_request_error', param: null, code: null } }));
      }
      return;
    }
    const route = this.route(url.pathname);
    const parsed = await parseBody(request.headers['content-type'] ?? '', body);
    const entry: RecordedRequest = {
      provider: route.kind === 'unknown' ? 'unknown' : route.provider,
      method,
      path: route.kind === 'api' ? route.endpoint : route.kind === 'download' ? `/files/${route.name}` : url.pathname,
      rawPath: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      bodyLength: body.length,
      receivedAt: Date.now(),
    };
    if (parsed.kind === 'json') entry.json = parsed.json;
    if (parsed.kind === 'multipart') {
      entry.fields = parsed.fields;
      entry.files = parsed.files;
    }
    this.record(entry);
    const params = paramsOf(parsed);
    const image = route.kind === 'api' && isImageEndpoint(route.provider, method, route.endpoint);
    const facts: RequestFacts = {
      image,
      stream: booleanParam(params, 'stream'),
      asyncTask: image && route.kind === 'api' && route.provider === 'apimodels' && isApimodelsAsync(params),
    };
    const fault = this.takeFault(route, entry, facts);
    if (fault) entry.fault = fault.kind;
    const reply = await this.respond(route, entry, parsed, fault);
    await this.deliver(request, response, reply, fault);
  }

  private async respond(route: Route, entry: RecordedRequest, parsed: ParsedBody, fault: FakeFault | undefined): Promise<Reply> {
    if (fault?.kind === 'latency') await this.sleep(fault.ms);
    if (fault?.kind === 'hang') return { kind: 'hang' };
    if (fault?.kind === 'reset') return { kind: 'reset' };
    if (fault?.kind === 'html') {
      const status = fault.status ?? 502;
      return { kind: 'body', status, headers: { 'content-type': 'text/html', server: 'nginx/1.24.0' }, body: Buffer.from(NGINX_BAD_GATEWAY(status, STATUS_REASONS[status] ?? 'Error')) };
    }
    const requestId = `req_${randomBytes(12).toString('hex')}`;
    if (route.kind === 'download') return this.download(route, entry.method, fault);
    if (route.kind === 'unknown') return jsonReply(404, { error: { message: `Unknown path ${entry.rawPath}`, type: 'invalid_request_error', param: null, code: 'not_found' } });
    const provider = route.provider;
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = { 'x-request-id': requestId };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (fault.body !== undefined) {
        const isJson = (() => {
          try {
            JSON.parse(fault.body);
            return true;
          } catch {
            return false;
          }
        })();
        return { kind: 'body', status: fault.status, headers: { 'content-type': isJson ? 'application/json' : 'text/plain; charset=utf-8', ...headers }, body: Buffer.from(fault.body) };
      }
      // Status faults are transport-level, so even aa answers them with the HTTP status itself.
      const error = statusFaultError(fault.status);
      if (provider === 'aa') return jsonReply(fault.status, { code: fault.status, message: error.message, data: null, request_id: requestId }, headers);
      return errorReply(provider, error, requestId, headers);
    }
    const authorization = entry.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    if (bearer !== this.apiKey) {
      const message =
        bearer === undefined
          ? "Incorrect API key provided: you didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
          : `Incorrect API key provided: ${maskKey(bearer)}. You can find your API key in your account settings.`;
      return errorReply(provider, new ApiError(401, message, null, 'invalid_api_key'), requestId, { 'www-authenticate': 'Bearer' });
    }
    if (fault?.kind === 'malformed-json') {
      return { kind: 'body', status: 200, headers: { 'content-type': 'application/json', 'x-request-id': requestId }, body: Buffer.from('{"created":1,"data":[{"b64_json":"iVBORw0KGgoAAAANSUhEUgAA}}garbage') };
    }
    if (fault?.kind === 'aa-error') {
      return jsonReply(200, { code: 1001, message: '上游服务繁忙,请稍后重试 (upstream service busy, please retry later)', data: null, request_id: requestId }, { 'x-request-id': requestId });
    }
    try {
      if (parsed.kind === 'invalid-json') throw new ApiError(400, 'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly.)', null, 'invalid_json');
      if (parsed.kind === 'invalid-multipart') throw new ApiError(400, 'Could not parse multipart form', null, 'invalid_multipart');
      const context: Context = { provider, endpoint: route.endpoint, method: entry.method, query: entry.query, parsed, fault, requestId };
      switch (provider) {
        case 'aa':
          return this.handleAa(context);
        case 'apimodels':
          return this.handleApimodels(context);
        default:
          return this.handleOpenAiShaped(context);
      }
    } catch (error) {
      if (error instanceof ApiError) return errorReply(provider, error, requestId);
      throw error;
    }
  }

  private notFound(context: Context): never {
    throw new ApiError(404, `Invalid URL (${context.method} ${BASE_PATHS[context.provider]}${context.endpoint})`, null, 'not_found');
  }

  // --- OpenAI, ofox, modelverse, compatible ------------------------------------------------

  private rulesFor(provider: Exclude<FakeProviderId, 'aa'>, params: Record<string, unknown>): { model: string; rules: ModelRules } {
    const table = MODELS[provider];
    const given = stringParam(params, 'model');
    const wildcard = table['*'];
    if (wildcard) return { model: given ?? 'gpt-image-1', rules: wildcard };
    const model = given ?? (provider === 'openai' ? 'gpt-image-1' : undefined);
    if (model === undefined) throw new ApiError(400, "Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
    const rules = table[model];
    if (!rules) throw new ApiError(400, `Invalid value: '${model}'. Supported models are: ${quoteList(Object.keys(table))}.`, 'model', 'model_not_found');
    return { model, rules };
  }

  /** Edit inputs from a multipart request: `image` or `image[]` files, and `mask`. */
  private multipartInputs(parsed: ParsedBody): { images: InputImage[]; mask?: InputImage } {
    if (parsed.kind !== 'multipart') {
      throw new ApiError(400, `Invalid Content-Type header (${parsed.kind === 'json' ? 'application/json' : 'none'}), expected multipart/form-data.`, null, 'invalid_content_type');
    }
    const files = parsed.files ?? [];
    const images = files.filter((file) => file.field === 'image' || file.field === 'image[]').map((file, index) => inputImage(file.bytes, `image ${index + 1}`, 'image'));
    const maskFile = files.find((file) => file.field === 'mask');
    return { images, mask: maskFile ? inputImage(maskFile.bytes, 'mask', 'mask') : undefined };
  }

  private handleOpenAiShaped(context: Context): Reply {
    const provider = context.provider as Exclude<FakeProviderId, 'aa' | 'apimodels'>;
    if (provider === 'compatible' && context.method === 'GET' && context.endpoint === '/models') {
      return jsonReply(200, {
        object: 'list',
        data: [
          { id: 'gpt-image-1', object: 'model', created: 1745000000, owned_by: 'openai' },
          { id: 'gpt-image-2', object: 'model', created: 1770000000, owned_by: 'openai' },
          { id: 'flux-1-schnell', object: 'model', created: 1722000000, owned_by: 'black-forest-labs' },
          { id: 'gpt-4o-mini', object: 'model', created: 1721000000, owned_by: 'openai' },
          { id: 'deepseek-chat', object: 'model', created: 1735000000, owned_by: 'deepseek' },
        ],
      });
    }
    if (!isImageEndpoint(provider, context.method, context.endpoint)) this.notFound(context);
    const edit = context.endpoint === '/images/edits';
    const params = paramsOf(context.parsed);
    if (!edit && context.parsed.kind !== 'json') throw new ApiError(400, 'Invalid Content-Type header, expected application/json.', null, 'invalid_content_type');
    const { model, rules } = this.rulesFor(provider, params);
    // Check the model's edit support before decoding files, like the gateway does.
    if (edit && rules.editError) throw new ApiError(400, rules.editError, 'model', 'unsupported_model');
    const { images, mask } = edit ? this.multipartInputs(context.parsed) : { images: [], mask: undefined };
    const job = validateImageJob(params, rules, model, edit, images, mask);
    const fault = context.fault;
    const streamMode = job.stream && fault?.kind !== 'json-to-stream' ? rules.stream : 'none';
    if (streamMode !== 'none') return this.streamReply(context, job, streamMode === 'full' ? job.partialImages : 0);
    const finals = fault?.kind === 'empty-data' ? [] : this.finalImages(provider, job, fault?.kind === 'huge');
    const created = Math.floor(Date.now() / 1000);
    const usage = usageFor(job);
    const data = finals.map((bytes, index) => {
      if (fault?.kind === 'url-output') return { url: this.storeFile(provider, bytes), revised_prompt: job.prompt };
      const base64 = bytes === hugeImage ? hugeBase64() : bytes.toString('base64');
      switch (provider) {
        case 'ofox':
          return { b64_json: base64, index };
        case 'modelverse':
          // The gateway labels every image PNG, whatever the bytes are: clients must sniff.
          return { b64_json: `data:image/png;base64,${base64}` };
        case 'compatible':
          return { b64_json: base64 };
        default:
          return { b64_json: base64, revised_prompt: job.prompt };
      }
    });
    const headers = { 'x-request-id': context.requestId };
    switch (provider) {
      case 'ofox':
        return jsonReply(
          200,
          {
            created,
            data,
            model,
            size: job.requestedSize ?? 'auto',
            quality: job.requestedQuality ?? 'auto',
            usage: edit ? { ...usage, num_input_images: job.images.length } : usage,
          },
          headers,
        );
      case 'modelverse':
        return jsonReply(200, { created, data, usage }, headers);
      case 'compatible':
        return jsonReply(200, { created, data, usage }, headers);
      default:
        return jsonReply(
          200,
          { created, data, background: job.transparent ? 'transparent' : 'opaque', output_format: job.format, quality: job.quality, size: `${job.width}x${job.height}`, usage },
          headers,
        );
    }
  }

  private streamReply(context: Context, job: ImageJob, partials: number): Reply {
    const prefix = job.edit ? 'image_edit' : 'image_generation';
    const meta = {
      background: job.transparent ? 'transparent' : 'opaque',
      output_format: job.format,
      quality: job.quality,
      size: `${job.width}x${job.height}`,
    };
    const events: SseEvent[] = [];
    const event = (name: string, data: Record<string, unknown>): void => {
      events.push({ event: name, data: JSON.stringify({ type: name, ...data }) });
    };
    const partial = (imageIndex: number, partialIndex: number): void => {
      const bytes = renderImage({ ...this.specFor(job, imageIndex), color: tint(imageColor(job.prompt, imageIndex), partialIndex, Math.max(partials, 1)), draft: true });
      event(`${prefix}.partial_image`, { b64_json: bytes.toString('base64'), partial_image_index: partialIndex, ...meta, created_at: Math.floor(Date.now() / 1000) });
    };
    if (context.fault?.kind === 'stream-error') {
      partial(0, 0);
      events.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { message: 'The image generation failed midway: upstream stream interrupted.', type: 'server_error', code: 'stream_error' } }) });
      return { kind: 'sse', headers: { 'x-request-id': context.requestId }, events };
    }
    // empty-data on a stream: the stream ends without any completed event.
    const finals = context.fault?.kind === 'empty-data' ? [] : this.finalImages(context.provider, job, context.fault?.kind === 'huge');
    const usage = usageFor(job);
    finals.forEach((bytes, imageIndex) => {
      for (let partialIndex = 0; partialIndex < partials; partialIndex++) partial(imageIndex, partialIndex);
      const base64 = bytes === hugeImage ? hugeBase64() : bytes.toString('base64');
      event(`${prefix}.completed`, { b64_json: base64, ...meta, created_at: Math.floor(Date.now() / 1000), usage });
    });
    return { kind: 'sse', headers: { 'x-request-id': context.requestId }, events };
  }

  private specFor(job: ImageJob, index: number): RenderSpec {
    return { width: job.width, height: job.height, format: job.format, color: imageColor(job.prompt, index), transparent: job.transparent, draft: false };
  }

  /** Renders a job's final images and remembers them in `servedImages`. */
  private finalImages(provider: FakeProviderId, job: ImageJob, huge: boolean): Buffer[] {
    const images: Buffer[] = [];
    const served: ServedImage[] = [];
    for (let index = 0; index < job.n; index++) {
      const bytes = huge ? hugePng() : renderImage(this.specFor(job, index));
      images.push(bytes);
      served.push({
        provider,
        format: huge ? 'png' : job.format,
        width: huge ? HUGE_IMAGE_SIDE : job.width,
        height: huge ? HUGE_IMAGE_SIDE : job.height,
        bytes,
        prompt: job.prompt,
        index,
      });
    }
    this.lastServedImages = served;
    this.servedImages.push(...served);
    if (this.servedImages.length > 32) this.servedImages.splice(0, this.servedImages.length - 32);
    return images;
  }

  /** Keeps bytes downloadable at `${url}/files/<id>.<ext>` for a while, like a gateway's expiring object URLs. */
  private storeFile(provider: FakeProviderId, bytes: Buffer): string {
    const format = formatOf(bytes) ?? 'png';
    const name = `${randomBytes(12).toString('hex')}.${EXTENSIONS[format]}`;
    this.files.set(name, { provider, bytes, format, expiresAt: Date.now() + FILE_LIFETIME_MS, downloadsLeft: FILE_DOWNLOADS });
    // Oldest first: drop the expired, then the surplus, so a long benchmark does not grow without bound.
    const now = Date.now();
    for (const [oldName, file] of this.files) {
      if (file.expiresAt > now && this.files.size <= MAX_FILES) break;
      this.files.delete(oldName);
    }
    return `${this.url}/files/${name}`;
  }

  private download(route: Extract<Route, { kind: 'download' }>, method: string, fault: FakeFault | undefined): Reply {
    const file = this.files.get(route.name);
    const missing = (): Reply => ({
      kind: 'body',
      status: 404,
      headers: { 'content-type': 'application/xml' },
      body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${route.name}</Key></Error>`),
    });
    if (fault?.kind === 'download-404' || !file || (method !== 'GET' && method !== 'HEAD')) return missing();
    if (file.expiresAt <= Date.now() || file.downloadsLeft <= 0) {
      this.files.delete(route.name);
      return missing();
    }
    if (method === 'GET') file.downloadsLeft -= 1;
    const headers = { 'content-type': CONTENT_TYPES[file.format], 'cache-control': 'private, max-age=600' };
    return { kind: 'body', status: 200, headers, body: method === 'HEAD' ? Buffer.alloc(0) : file.bytes };
  }

  // --- aa --------------------------------------------------------------------------------------

  /** An aa `{image_url}` / `{file_id}` reference: data URLs are decoded; file ids and remote URLs cannot be, so they count as 1024x1024. */
  private aaReference(value: unknown, what: string, param: string): InputImage {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(400, `${what} must be an object with image_url or file_id`, param);
    const reference = value as Record<string, unknown>;
    const hasUrl = typeof reference.image_url === 'string' && reference.image_url !== '';
    const hasFile = typeof reference.file_id === 'string' && reference.file_id !== '';
    if (hasUrl === hasFile) throw new ApiError(400, `${what}: provide exactly one of image_url or file_id`, param);
    if (hasFile) return { width: 1024, height: 1024 };
    return this.decodeReference(reference.image_url as string, what, param);
  }

  /** A reference string: a data URL, one of this server's file URLs, another URL (not fetched: 1024x1024), or bare base64. */
  private decodeReference(value: string, what: string, param: string): InputImage {
    const dataUrl = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(value);
    if (dataUrl) {
      if (!dataUrl[2]) throw new ApiError(400, `${what}: data URL must be base64-encoded`, param);
      return inputImage(Buffer.from(dataUrl[3] ?? '', 'base64'), what, param);
    }
    if (/^https?:\/\//i.test(value)) {
      const ours = value.startsWith(`${this.url}/files/`) ? this.files.get(value.slice(`${this.url}/files/`.length)) : undefined;
      return ours ? inputImage(ours.bytes, what, param) : { width: 1024, height: 1024 };
    }
    return inputImage(Buffer.from(value, 'base64'), what, param);
  }

  private handleAa(context: Context): Reply {
    if (!isImageEndpoint('aa', context.method, context.endpoint)) this.notFound(context);
    try {
      return this.aaGenerate(context);
    } catch (error) {
      // The gateway prefixes every validation message the same way.
      if (error instanceof ApiError && error.status === 400 && !error.message.startsWith('参数错误')) {
        throw new ApiError(400, `参数错误: ${error.message}`, error.param, error.code);
      }
      throw error;
    }
  }

  private aaGenerate(context: Context): Reply {
    if (context.parsed.kind !== 'json') throw new ApiError(400, '参数错误: request body must be JSON (Content-Type: application/json)', null);
    const params = paramsOf(context.parsed);
    const model = params.model;
    if (model !== 'gpt-image-1.5') throw new ApiError(400, `参数错误: model must be gpt-image-1.5, got ${JSON.stringify(model ?? null)}`, 'model');
    const rawImages = params.images;
    if (!Array.isArray(rawImages) || rawImages.length === 0) throw new ApiError(400, '参数错误: images is required (1-16 image references)', 'images');
    if (rawImages.length > MAX_INPUT_IMAGES) throw new ApiError(400, `参数错误: too many images, at most ${MAX_INPUT_IMAGES}, got ${rawImages.length}`, 'images');
    const images = rawImages.map((value, index) => this.aaReference(value, `images[${index}]`, 'images'));
    const mask = params.mask === undefined || params.mask === null ? undefined : this.aaReference(params.mask, 'mask', 'mask');
    const job = validateImageJob(params, { ...GPT_IMAGE_1, stream: 'none' }, 'gpt-image-1.5', true, images, mask);
    const finals = context.fault?.kind === 'empty-data' ? [] : this.finalImages('aa', job, context.fault?.kind === 'huge');
    const usage = usageFor(job);
    const expired = new Date(Date.now() + FILE_LIFETIME_MS).toISOString();
    return jsonReply(
      200,
      {
        code: 0,
        data: {
          urls: finals.map((bytes) => this.storeFile('aa', bytes)),
          usage: { images: finals.length, seconds: 12, input_tokens: usage.input_tokens, total_tokens: usage.total_tokens, output_tokens: usage.output_tokens },
          expired,
          task_id: `task_${randomBytes(8).toString('hex')}`,
          task_status: 'completed',
        },
        message: 'success',
        request_id: context.requestId,
      },
      { 'x-request-id': context.requestId },
    );
  }

  // --- apimodels -------------------------------------------------------------------------------

  /** Edit references sent as JSON: `image`/`image_base64`/`image_url`, `image_urls`/`images`, `mask_url`/`mask_base64`. */
  private apimodelsJsonInputs(params: Record<string, unknown>): { images: InputImage[]; mask?: InputImage } {
    const references: string[] = [];
    for (const name of ['image', 'image_base64', 'image_url']) {
      const value = params[name];
      if (typeof value === 'string' && value !== '') references.push(value);
    }
    for (const name of ['image_urls', 'images']) {
      const value = params[name];
      if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') references.push(item);
    }
    const images = references.map((value, index) => this.decodeReference(value, `image ${index + 1}`, 'image'));
    const maskValue = [params.mask_url, params.mask_base64].find((value): value is string => typeof value === 'string' && value !== '');
    return { images, mask: maskValue === undefined ? undefined : this.decodeReference(maskValue, 'mask', 'mask') };
  }

  private handleApimodels(context: Context): Reply {
    if (context.method === 'GET' && context.endpoint === '/images/generations') return this.pollTask(context);
    if (!isImageEndpoint('apimodels', context.method, context.endpoint)) this.notFound(context);
    const params = paramsOf(context.parsed);
    const { model, rules } = this.rulesFor('apimodels', params);
    const inputs = context.parsed.kind === 'multipart' ? this.multipartInputs(context.parsed) : this.apimodelsJsonInputs(params);
    // References on /images/generations are edits too ("参考图 → 自动走编辑端点").
    const edit = context.endpoint === '/images/edits' || inputs.images.length > 0;
    const responseFormat = stringParam(params, 'response_format');
    checkChoice('response_format', responseFormat, ['b64_json', 'url']);
    if (responseFormat === 'url' && context.endpoint !== '/images/edits') {
      throw new ApiError(400, "response_format 'url' is only supported on /images/edits.", 'response_format', 'invalid_value');
    }
    if (isApimodelsAsync(params)) {
      const size = stringParam(params, 'size');
      const dims = size ? parseWxH(size) : apimodelsAsyncSize(stringParam(params, 'aspect_ratio') ?? '1:1', stringParam(params, 'resolution') ?? '1K');
      if (size) checkSize(size, rules);
      const job = validateImageJob(params, rules, model, edit, inputs.images, inputs.mask, dims);
      const id = `task_${randomBytes(10).toString('hex')}`;
      this.tasks.set(id, {
        id,
        job,
        plannedPolls: this.pollPlan,
        polls: 0,
        fails: context.fault?.kind === 'task-failed',
        huge: context.fault?.kind === 'huge',
        emptyData: context.fault?.kind === 'empty-data',
        createdAt: Date.now(),
      });
      return jsonReply(200, { code: 200, msg: 'success', data: { taskId: id } }, { 'x-request-id': context.requestId });
    }
    const size = stringParam(params, 'size');
    if (size === undefined || size === '') {
      throw new ApiError(400, "Missing 'size': send a WxH size (sync), or aspect_ratio + resolution (async task).", 'size', 'missing_required_parameter');
    }
    const job = validateImageJob(params, rules, model, edit, inputs.images, inputs.mask);
    const finals = context.fault?.kind === 'empty-data' ? [] : this.finalImages('apimodels', job, context.fault?.kind === 'huge');
    const urlOnly = responseFormat === 'url' || context.fault?.kind === 'url-output';
    const data = finals.map((bytes) => {
      const url = this.storeFile('apimodels', bytes);
      return urlOnly ? { url } : { b64_json: bytes === hugeImage ? hugeBase64() : bytes.toString('base64'), url };
    });
    return jsonReply(200, { created: Math.floor(Date.now() / 1000), data }, { 'x-request-id': context.requestId });
  }

  private pollTask(context: Context): Reply {
    const id = context.query.task_id ?? context.query.taskId;
    if (!id) throw new ApiError(400, "Missing required query parameter 'task_id'.", 'task_id', 'missing_required_parameter');
    const task = this.tasks.get(id);
    if (!task) return jsonReply(404, { code: 404, msg: `task not found: ${id}`, data: null }, { 'x-request-id': context.requestId });
    const headers = { 'x-request-id': context.requestId };
    const base = { taskId: task.id, model: task.job.model, createdAt: Math.floor(task.createdAt / 1000) };
    if (task.polls < task.plannedPolls) {
      task.polls += 1;
      const progress = Math.min(95, Math.round((100 * task.polls) / (task.plannedPolls + 1)));
      return jsonReply(200, { code: 200, msg: 'success', data: { ...base, status: 'processing', progress } }, headers);
    }
    if (task.fails) {
      return jsonReply(200, { code: 200, msg: 'success', data: { ...base, status: 'failed', progress: 100, error: 'Image generation failed: the upstream model rejected the request (content policy).' } }, headers);
    }
    task.urls ??= (task.emptyData ? [] : this.finalImages('apimodels', task.job, task.huge)).map((bytes) => {
      const sniffed = sniffImage(bytes);
      return { url: this.storeFile('apimodels', bytes), width: sniffed?.width ?? task.job.width, height: sniffed?.height ?? task.job.height };
    });
    return jsonReply(
      200,
      {
        code: 200,
        msg: 'success',
        data: { ...base, status: 'completed', progress: 100, completedAt: Math.floor(Date.now() / 1000), result: { images: task.urls } },
      },
      headers,
    );
  }

  // --- delivery --------------------------------------------------------------------------------

  private async deliver(request: IncomingMessage, response: ServerResponse, reply: Reply, fault: FakeFault | undefined): Promise<void> {
    if (reply.kind === 'hang') return;
    if (reply.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    const gone = (): boolean => response.destroyed || request.socket.destroyed;
    if (reply.kind === 'body') {
      response.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
      await this.writeBody(request, response, reply.body, fault);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...reply.headers });
    response.flushHeaders();
    if (fault?.kind === 'truncated' || fault?.kind === 'slow-drip') {
      await this.writeBody(request, response, Buffer.from(reply.events.map(serializeEvent).join('')), fault);
      return;
    }
    for (const event of reply.events) {
      await this.sleep(this.eventDelayMs);
      const text = serializeEvent(event);
      let from = 0;
      // Cut each event inside its lines so clients are tested against arbitrary chunking.
      for (const point of [...splitPoints(text), text.length]) {
        if (gone()) return;
        response.write(text.slice(from, point));
        from = point;
        await this.sleep(1);
      }
    }
    if (!gone()) response.end();
  }

  /** Writes a body whole, trickled (`slow-drip`), or half then a dead socket (`truncated`). */
  private async writeBody(request: IncomingMessage, response: ServerResponse, body: Buffer, fault: FakeFault | undefined): Promise<void> {
    if (fault?.kind === 'truncated') {
      response.write(body.subarray(0, Math.floor(body.length / 2)), () => request.socket.destroy());
      return;
    }
    if (fault?.kind === 'slow-drip') {
      const step = Math.max(1, Math.floor(fault.bytesPerChunk));
      for (let at = 0; at < body.length; at += step) {
        if (response.destroyed || request.socket.destroyed) return;
        response.write(body.subarray(at, at + step));
        if (at + step < body.length) await this.sleep(fault.intervalMs);
      }
      if (!response.destroyed) response.end();
      return;
    }
    response.end(body);
  }
}

interface Context {
  provider: FakeProviderId;
  endpoint: string;
  method: string;
  query: Record<string, string>;
  parsed: ParsedBody;
  fault: FakeFault | undefined;
  requestId: string;
}

/** Partial image colours: from pale toward the final colour as the partial index grows. */
function tint(color: Rgb, partialIndex: number, partials: number): Rgb {
  const toWhite = (0.6 * (partials - partialIndex)) / (partials + 1);
  return [0, 1, 2].map((channel) => Math.round(color[channel]! + (255 - color[channel]!) * toWhite)) as Rgb;
}

/**
 * Starts a fake image API on 127.0.0.1 (a random port unless `options.port`) that speaks the
 * OpenAI, ofox, aa, modelverse, apimodels and generic OpenAI-compatible protocols, each under
 * `baseUrl(provider)`. Close it with `close()`.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const fake = new FakeProviderServer(options);
  await fake.listen(options.port ?? 0);
  return fake;
}
