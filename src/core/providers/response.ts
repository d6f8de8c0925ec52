/** Turning provider replies into ImageResults: shared by every protocol. */
import { decodeBase64Image, downloadImage, toGeneratedImage } from '../decode';
import { ApiCallError, excerptOf } from '../errors';
import { message } from '../messages';
import type { HttpClient, HttpResponse } from '../http';
import type { GeneratedImage, Usage } from '../image-model';
import { blobFor, ImageJsonScanner, isBlobMarker, type ScannedDocument } from '../json-images';

/** Reads a JSON reply as it arrives, image strings decoded on the way (see json-images.ts). */
export async function readImageJson(client: HttpClient, response: HttpResponse, signal?: AbortSignal): Promise<ScannedDocument> {
  const declared = Number(response.headers['content-length']);
  const scanner = new ImageJsonScanner(Number.isSafeInteger(declared) && declared > 0 ? declared : undefined);
  for await (const chunk of client.chunks(response, signal)) scanner.write(chunk);
  try {
    return scanner.finish();
  } catch {
    throw malformed(client, scanner.excerpt());
  }
}

/** Parses an SSE event's data the same way; undefined for data that is not JSON (`[DONE]`). */
export function scanEventData(data: Buffer[]): ScannedDocument | undefined {
  const scanner = new ImageJsonScanner(data.reduce((total, piece) => total + piece.length, 0));
  for (const piece of data) scanner.write(piece);
  try {
    return scanner.finish();
  } catch {
    return undefined;
  }
}

export function malformed(client: HttpClient, excerpt: string): ApiCallError {
  const shown = client.redact(excerptOf(excerpt, 120));
  return new ApiCallError(shown ? message('notJson', { provider: client.providerName, excerpt: shown }) : message('notJsonEmpty', { provider: client.providerName }), {
    provider: client.providerName,
    excerpt: shown,
    retryable: true,
  });
}

/** A reply that parsed but does not have the expected shape: quote a short, key-free piece of it. */
export function unexpected(
  client: HttpClient,
  what: 'unknownShape' | 'noImages' | 'taskWithoutImages' | 'modelsNotJson' | 'modelsUnknownShape',
  value: unknown,
  params: Record<string, string> = {},
): ApiCallError {
  const shown = client.redact(excerptOf((typeof value === 'string' ? value : JSON.stringify(value, (_key, item) => (isBlobMarker(item) ? '…' : item))) ?? '', 160));
  return new ApiCallError(message(what, { ...params, provider: client.providerName, excerpt: shown }), { provider: client.providerName, excerpt: shown, retryable: false });
}

/** The bytes of an image given as a blob marker, base64, a data URL or a URL to download now. */
export async function imageFrom(
  client: HttpClient,
  document: ScannedDocument,
  value: { b64?: string | null; url?: string | null; revisedPrompt?: string | null },
  signal?: AbortSignal,
): Promise<GeneratedImage> {
  let bytes: Buffer;
  if (value.b64) bytes = isBlobMarker(value.b64) ? blobFor(document, value.b64)! : decodeBase64Image(value.b64);
  else if (value.url) bytes = isBlobMarker(value.url) ? blobFor(document, value.url)! : await downloadImage(client, value.url, signal);
  else throw new ApiCallError(message('entryWithoutData', { provider: client.providerName }), { provider: client.providerName, retryable: false });
  return toGeneratedImage(bytes, client.providerName, value.revisedPrompt ?? undefined);
}

/** snake_case token counts to Usage; undefined when the reply has none. */
export function usageFrom(wire: { input_tokens?: number | null; output_tokens?: number | null; total_tokens?: number | null } | null | undefined): Usage | undefined {
  if (!wire) return undefined;
  const usage: Usage = {};
  if (typeof wire.input_tokens === 'number') usage.inputTokens = wire.input_tokens;
  if (typeof wire.output_tokens === 'number') usage.outputTokens = wire.output_tokens;
  if (typeof wire.total_tokens === 'number') usage.totalTokens = wire.total_tokens;
  return Object.keys(usage).length ? usage : undefined;
}

/** The message of an `error` value found in a 200 reply or a stream event. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return JSON.stringify(error);
}

/** Drops undefined and null fields (only what the user set is sent). */
export function compact<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}
