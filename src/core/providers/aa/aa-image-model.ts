/**
 * aa: one JSON endpoint, `POST /image/generation`, documented as its image-EDIT page (`images` required).
 * Local files travel as data URLs in `images[].image_url`; results come back as expiring URLs, downloaded at
 * once; `code != 0` is a failure whatever the HTTP status.
 */
import { ApiCallError } from '../../errors';
import { message } from '../../messages';
import type { HttpClient } from '../../http';
import type { CallOptions, ImageModel, ImageResult, InputImage, ModelCapabilities, ValidImageRequest, Warning } from '../../image-model';
import { sniffImage } from '../../image/sniff';
import { compact, imageFrom, readImageJson, unexpected, usageFrom } from '../response';
import { aaResponseSchema } from './aa-api';

export interface AaModelSettings {
  modelId: string;
  capabilities: ModelCapabilities;
  notes?: Warning[];
  baseUrl: string;
  client: HttpClient;
}

function dataUrl(image: InputImage): string {
  const mediaType = sniffImage(image.bytes)?.mediaType ?? 'image/png';
  return `data:${mediaType};base64,${Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength).toString('base64')}`;
}

export class AaImageModel implements ImageModel {
  readonly provider = 'aa';
  readonly modelId: string;
  readonly label: string;
  readonly capabilities: ModelCapabilities;
  readonly notes: Warning[];
  private readonly client: HttpClient;
  private readonly baseUrl: string;

  constructor(settings: AaModelSettings) {
    this.modelId = settings.modelId;
    this.capabilities = settings.capabilities;
    this.notes = settings.notes ?? [];
    this.client = settings.client;
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
    this.label = `${settings.client.providerName} ${settings.modelId}`;
  }

  generate(): Promise<ImageResult> {
    // Validation refuses this first (capabilities.generate is false); kept for direct callers.
    return Promise.reject(new ApiCallError(message('aaEditOnly'), { provider: 'aa', retryable: false }));
  }

  async edit(request: ValidImageRequest & { images: InputImage[]; mask?: InputImage }, options: CallOptions): Promise<ImageResult> {
    const body = compact({
      model: this.modelId,
      prompt: request.prompt,
      images: request.images.map((image) => ({ image_url: dataUrl(image) })),
      mask: request.mask ? { image_url: dataUrl(request.mask) } : undefined,
      n: request.n,
      size: request.size,
      quality: request.quality,
      background: request.background,
      output_format: request.format,
      output_compression: request.compression,
      input_fidelity: request.inputFidelity,
      moderation: request.moderation,
      user: request.user,
    });
    const response = await this.client.send({
      method: 'POST',
      url: `${this.baseUrl}/image/generation`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
    });
    const document = await readImageJson(this.client, response, options.signal);
    const parsed = aaResponseSchema.safeParse(document.value);
    if (!parsed.success) throw unexpected(this.client, 'unknownShape', document.value);
    const reply = parsed.data;
    if (reply.code !== undefined && reply.code !== null && Number(reply.code) !== 0) {
      const said = this.client.redact(reply.message || `code ${reply.code}`);
      throw new ApiCallError(message('aaRefused', { message: said, code: String(reply.code) }), { provider: this.client.providerName, status: response.statusCode, excerpt: said, retryable: false });
    }
    const urls = reply.data?.urls ?? [];
    if (urls.length === 0) throw unexpected(this.client, 'noImages', document.value);
    // The URLs expire: fetch them all now, in parallel.
    const images = await Promise.all(urls.map((url) => imageFrom(this.client, document, { url }, options.signal)));
    const usage = reply.data?.usage;
    return {
      images,
      warnings: [],
      usage: usageFrom(usage),
      metadata: compact({
        provider: 'aa',
        model: this.modelId,
        size: request.size,
        quality: request.quality,
        taskId: reply.data?.task_id ?? undefined,
        requestId: reply.request_id ?? undefined,
      }) as ImageResult['metadata'],
    };
  }
}
