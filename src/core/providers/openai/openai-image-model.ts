/**
 * The OpenAI Images protocol: JSON generations, multipart edits, JSON or SSE replies. Serves OpenAI itself and
 * every gateway that copies it (ofox, modelverse, apimodels' synchronous mode, any compatible gateway); the
 * differences between them are capability data, not code.
 */
import { ApiCallError } from '../../errors';
import { message } from '../../messages';
import type { HttpClient, HttpResponse } from '../../http';
import type {
  CallOptions,
  GeneratedImage,
  ImageModel,
  ImageResult,
  InputImage,
  ModelCapabilities,
  ValidImageRequest,
  Warning,
} from '../../image-model';
import { sniffImage, extensionFor } from '../../image/sniff';
import { readSse } from '../../sse';
import { encodeMultipart, type FormPart } from '../../multipart';
import { compact, errorText, imageFrom, readImageJson, scanEventData, unexpected, usageFrom } from '../response';
import { imagesResponseSchema, streamEventSchema } from './openai-api';

export interface OpenAIModelSettings {
  provider: string;
  modelId: string;
  capabilities: ModelCapabilities;
  notes?: Warning[];
  baseUrl: string;
  client: HttpClient;
  /** Field name for several references: OpenAI takes `image[]`; apimodels documents a repeated `image`. */
  multiImageField?: 'image[]' | 'image';
}

export type EditCall = ValidImageRequest & { images: InputImage[]; mask?: InputImage };

export class OpenAIImageModel implements ImageModel {
  readonly provider: string;
  readonly modelId: string;
  readonly label: string;
  readonly capabilities: ModelCapabilities;
  readonly notes: Warning[];
  protected readonly client: HttpClient;
  protected readonly baseUrl: string;
  private readonly multiImageField: 'image[]' | 'image';

  constructor(settings: OpenAIModelSettings) {
    this.provider = settings.provider;
    this.modelId = settings.modelId;
    this.capabilities = settings.capabilities;
    this.notes = settings.notes ?? [];
    this.client = settings.client;
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
    this.multiImageField = settings.multiImageField ?? 'image[]';
    this.label = `${settings.client.providerName} ${settings.modelId}`;
  }

  /** The request fields both endpoints share, in wire names; only what was set. */
  protected fields(request: ValidImageRequest): Record<string, string | number | boolean> {
    return compact({
      model: this.modelId,
      prompt: request.prompt,
      n: this.capabilities.sendsN ? request.n : undefined,
      size: request.size,
      quality: request.quality,
      background: request.background,
      output_format: request.format,
      output_compression: request.compression,
      moderation: request.moderation,
      stream: request.stream || undefined,
      partial_images: request.stream ? request.partialImages : undefined,
      user: request.user,
    }) as Record<string, string | number | boolean>;
  }

  async generate(request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const response = await this.client.send({
      method: 'POST',
      url: `${this.baseUrl}/images/generations`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.fields(request)),
      signal: options.signal,
    });
    return this.readReply(response, request, options);
  }

  async edit(request: EditCall, options: CallOptions): Promise<ImageResult> {
    const parts: FormPart[] = Object.entries(this.fields(request)).map(([name, value]) => ({ name, value: String(value) }));
    if (request.inputFidelity) parts.push({ name: 'input_fidelity', value: request.inputFidelity });
    const imageField = request.images.length > 1 ? this.multiImageField : 'image';
    request.images.forEach((image, index) => parts.push(filePart(imageField, image, `image-${index + 1}`)));
    if (request.mask) parts.push(filePart('mask', request.mask, 'mask'));
    const { body, contentType } = encodeMultipart(parts);
    const response = await this.client.send({
      method: 'POST',
      url: `${this.baseUrl}/images/edits`,
      headers: { 'content-type': contentType },
      body,
      signal: options.signal,
    });
    return this.readReply(response, request, options);
  }

  /** JSON or SSE, whatever the gateway chose to answer (some answer JSON to a stream request). */
  protected async readReply(response: HttpResponse, request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const contentType = String(response.headers['content-type'] ?? '');
    if (contentType.includes('text/event-stream')) return this.readStream(response, options);
    const document = await readImageJson(this.client, response, options.signal);
    return this.resultFromJson(document, request, options);
  }

  protected async resultFromJson(document: Awaited<ReturnType<typeof readImageJson>>, request: ValidImageRequest, options: CallOptions): Promise<ImageResult> {
    const parsed = imagesResponseSchema.safeParse(document.value);
    if (!parsed.success) throw unexpected(this.client, 'unknownShape', document.value);
    const reply = parsed.data;
    if (reply.error) throw new ApiCallError(message('providerError', { provider: this.client.providerName, message: this.client.redact(errorText(reply.error)) }), { provider: this.client.providerName, status: 200, retryable: false });
    const items = reply.data ?? [];
    if (items.length === 0) throw unexpected(this.client, 'noImages', document.value);
    const images = await Promise.all(
      items.map((item) => imageFrom(this.client, document, { b64: item.b64_json, url: item.url, revisedPrompt: item.revised_prompt }, options.signal)),
    );
    const warnings: Warning[] = [];
    if (images.length < request.n) {
      warnings.push({ type: 'other', message: message('fewerImages', { label: this.label, count: images.length, asked: request.n }) });
    }
    return {
      images,
      warnings,
      usage: usageFrom(reply.usage),
      metadata: compact({
        provider: this.client.providerName,
        model: reply.model ?? this.modelId,
        created: reply.created ?? undefined,
        size: reply.size ?? undefined,
        quality: reply.quality ?? undefined,
        background: reply.background ?? undefined,
        outputFormat: reply.output_format ?? undefined,
      }) as ImageResult['metadata'],
    };
  }

  /** Partial images go to onPartial as they arrive; `*.completed` events carry the final images. */
  protected async readStream(response: HttpResponse, options: CallOptions): Promise<ImageResult> {
    const images: GeneratedImage[] = [];
    let usage: ImageResult['usage'];
    let metadata: ImageResult['metadata'] = { provider: this.client.providerName, model: this.modelId };
    for await (const event of readSse(this.client.chunks(response, options.signal))) {
      const document = scanEventData(event.data);
      if (!document) continue;
      const parsed = streamEventSchema.safeParse(document.value);
      if (!parsed.success) continue;
      const data = parsed.data;
      const type = data.type ?? event.event;
      if (type === 'error' || data.error) {
        throw new ApiCallError(message('streamStopped', { provider: this.client.providerName, message: this.client.redact(errorText(data.error ?? document.value)) }), {
          provider: this.client.providerName,
          status: 200,
          retryable: false,
        });
      }
      if (type.endsWith('partial_image')) {
        if (!options.onPartial || !data.b64_json) continue;
        const partial = await imageFrom(this.client, document, { b64: data.b64_json }, options.signal);
        options.onPartial({ imageIndex: images.length, partialIndex: data.partial_image_index ?? 0, bytes: partial.bytes, mediaType: partial.mediaType });
      } else if (type.endsWith('completed') || (type === 'message' && (data.b64_json || data.url))) {
        images.push(await imageFrom(this.client, document, { b64: data.b64_json, url: data.url, revisedPrompt: data.revised_prompt }, options.signal));
        usage = usageFrom(data.usage) ?? usage;
        metadata = compact({
          ...metadata,
          created: data.created_at ?? undefined,
          size: data.size ?? undefined,
          quality: data.quality ?? undefined,
          background: data.background ?? undefined,
          outputFormat: data.output_format ?? undefined,
        }) as ImageResult['metadata'];
      }
    }
    if (images.length === 0) {
      throw new ApiCallError(message('streamWithoutImage', { provider: this.client.providerName }), { provider: this.client.providerName, status: 200, retryable: true });
    }
    return { images, warnings: [], usage, metadata };
  }
}

/** A file part named after the user's file when known, else `image-N.<ext>` from the sniffed type. */
export function filePart(name: string, image: InputImage, fallbackName: string): FormPart {
  const sniffed = sniffImage(image.bytes);
  const mediaType = sniffed?.mediaType ?? 'application/octet-stream';
  const filename = image.filename ?? `${fallbackName}.${sniffed ? extensionFor(sniffed.mediaType) : 'bin'}`;
  return { name, filename, contentType: mediaType, bytes: image.bytes };
}
