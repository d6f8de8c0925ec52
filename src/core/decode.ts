/** Turning what providers send (base64, data URLs, result URLs) into image bytes whose format is sniffed. */
import { ApiCallError } from './errors';
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
    const what = bytes.length === 0 ? 'no bytes' : `${bytes.length} bytes that are not a PNG, JPEG or WebP image`;
    throw new ApiCallError(`${provider} returned ${what}.`, { provider, retryable: false });
  }
  return { bytes, mediaType: sniffed.mediaType, width: sniffed.width, height: sniffed.height, ...(revisedPrompt ? { revisedPrompt } : {}) };
}

/** Downloads a result URL at once (they expire), without the API key, with a size cap. */
export async function downloadImage(client: HttpClient, url: string, signal?: AbortSignal, limitBytes = DOWNLOAD_LIMIT_BYTES): Promise<Buffer> {
  if (url.startsWith('data:')) return decodeBase64Image(url);
  if (!/^https?:\/\//i.test(url)) {
    throw new ApiCallError(`${client.providerName} returned an image URL that cannot be downloaded: ${client.redact(url.slice(0, 80))}`, {
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
    throw new ApiCallError(`${client.providerName}: could not download the result image (HTTP ${error.status})${said}. Result URLs expire quickly; generate again.`, {
      provider: client.providerName,
      status: error.status,
      excerpt: error.excerpt,
      retryable: error.retryable,
    });
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    response.body.destroy();
    throw new ApiCallError(`${client.providerName}: the image at the result URL is ${Math.round(declared / 1048576)} MB, over the ${Math.round(limitBytes / 1048576)} MB limit.`, {
      provider: client.providerName,
      retryable: false,
    });
  }
  return client.readAll(response, limitBytes, signal);
}
