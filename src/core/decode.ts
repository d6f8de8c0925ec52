/** Turning what providers send (base64, data URLs, result URLs) into image bytes whose format is sniffed. */
import { ApiCallError } from './errors';
import { message } from './messages';
import type { HttpClient } from './http';
import type { GeneratedImage } from './image-model';
import { sniffImage } from './image/sniff';

/** Downloads larger than this are refused: no provider returns a bigger image, and memory is finite. */
export const DOWNLOAD_LIMIT_BYTES = 64 * 1024 * 1024;

/** Decodes base64 or a `data:…;base64,` URL. The declared media type is ignored: the bytes decide. */
export function decodeBase64Image(text: string): Buffer {
  const start = text.startsWith('data:') ? text.indexOf(',') + 1 : 0;
  return Buffer.from(start > 0 ? text.slice(start) : text, 'base64');
}

/** Wraps bytes as a GeneratedImage after checking they really are a PNG, JPEG or WebP image. */
export function toGeneratedImage(bytes: Uint8Array, provider: string, revisedPrompt?: string): GeneratedImage {
  const sniffed = sniffImage(bytes);
  if (!sniffed) {
    const text = bytes.length === 0 ? message('noBytes', { provider }) : message('notImage', { provider, size: bytes.length });
    throw new ApiCallError(text, { provider, retryable: false });
  }
  return { bytes, mediaType: sniffed.mediaType, width: sniffed.width, height: sniffed.height, ...(revisedPrompt ? { revisedPrompt } : {}) };
}

/** Downloads a result URL at once (they expire), without the API key, with a size cap. */
export async function downloadImage(client: HttpClient, url: string, signal?: AbortSignal, limitBytes = DOWNLOAD_LIMIT_BYTES): Promise<Buffer> {
  if (url.startsWith('data:')) return decodeBase64Image(url);
  if (!/^https?:\/\//i.test(url)) {
    throw new ApiCallError(message('urlNotDownloadable', { provider: client.providerName, url: client.redact(url.slice(0, 80)) }), {
      provider: client.providerName,
      retryable: false,
    });
  }
  let response;
  try {
    response = await client.send({ method: 'GET', url, signal, anonymous: true });
  } catch (error) {
    if (!(error instanceof ApiCallError) || error.status === undefined) throw error;
    const said = error.excerpt ? `: ${error.excerpt}` : '';
    throw new ApiCallError(message('downloadFailed', { provider: client.providerName, status: error.status, said }), {
      provider: client.providerName,
      status: error.status,
      excerpt: error.excerpt,
      retryable: error.retryable,
    });
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    response.body.destroy();
    throw new ApiCallError(message('downloadTooLarge', { provider: client.providerName, size: Math.round(declared / 1048576), limit: Math.round(limitBytes / 1048576) }), {
      provider: client.providerName,
      retryable: false,
    });
  }
  return client.readAll(response, limitBytes, signal);
}
