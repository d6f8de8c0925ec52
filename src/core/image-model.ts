/**
 * The one interface every provider implements, shaped like the Vercel AI SDK's image model: capability fields
 * that UIs read to decide what to offer, and `generate` / `edit` that take an AbortSignal and an onPartial
 * callback and return image bytes with their sniffed media type.
 */
import * as z from 'zod';

import type { ImageMediaType } from './image/sniff';

export type { ImageMediaType };
export type OutputFormat = 'png' | 'jpeg' | 'webp';
export type Resolution = '1K' | '2K' | '4K';

/** Custom `WxH` rules, e.g. gpt-image-2's: multiples of 16, longest side <= 3840, ratio <= 3:1, pixel range. */
export interface CustomSizeRule {
  multipleOf: number;
  maxSide: number;
  minSide?: number;
  maxAspectRatio: number;
  minPixels: number;
  maxPixels: number;
}

/** Price in USD per image by resolution tier and quality, where a provider publishes one (apimodels). */
export interface PriceTable {
  currency: 'USD';
  /** Longest side <= this is 1K, <= `twoK` is 2K, anything larger is 4K. */
  tiers: { oneK: number; twoK: number };
  /** `auto` quality bills as this quality. */
  autoBillsAs: string;
  perImage: Record<Resolution, Record<string, number>>;
}

/** What a model can do. UIs hide or disable what a model lacks; the core refuses or warns, never drops silently. */
export interface ModelCapabilities {
  /** Text-to-image. False for edit-only endpoints (aa). */
  generate: boolean;
  edit: boolean;
  mask: boolean;
  /** Reference images per edit call (0 when `edit` is false). */
  maxInputImages: number;
  /** Images one call may return; larger `n` is split into several calls. */
  maxImagesPerCall: number;
  /** Whether the `n` field may be sent at all (ofox's Gemini answers 400 to any `n`). */
  sendsN: boolean;
  /** Fixed sizes the model accepts (besides `auto` when `autoSize`). */
  sizes: readonly string[];
  autoSize: boolean;
  customSize?: CustomSizeRule;
  /** Aspect ratio + resolution tier instead of a size (apimodels' asynchronous mode). */
  aspectRatio?: { resolutions: readonly Resolution[] };
  qualities: readonly string[];
  formats: readonly OutputFormat[];
  compression: boolean;
  /** `uncertain`: the option is sent but the user is warned that the model may ignore it. */
  transparency: 'yes' | 'no' | 'uncertain';
  /** `always-high`: the model always uses high fidelity and the field must not be sent. */
  inputFidelity: 'yes' | 'no' | 'always-high';
  moderation: boolean;
  streaming: boolean;
  /** Answers with a task id that is polled (apimodels without a WxH size). */
  async: boolean;
  maxPromptLength: number;
  pricing?: PriceTable;
}

export interface ModelInfo {
  id: string;
  /** A line for pickers: what the model is good for. */
  description?: string;
  capabilities: ModelCapabilities;
}

const sizePattern = /^(auto|\d{1,5}x\d{1,5})$/;

/** Everything a generate or edit call may ask for. Validated strictly before anything is sent. */
export const imageRequestSchema = z
  .object({
    prompt: z.string().min(1),
    n: z.number().int().min(1).max(16).default(1),
    size: z.string().regex(sizePattern).optional(),
    aspectRatio: z.string().regex(/^\d{1,2}:\d{1,2}$/).optional(),
    resolution: z.enum(['1K', '2K', '4K']).optional(),
    quality: z.string().optional(),
    format: z.enum(['png', 'jpeg', 'webp']).optional(),
    compression: z.number().int().min(0).max(100).optional(),
    background: z.enum(['transparent', 'opaque', 'auto']).optional(),
    moderation: z.enum(['auto', 'low']).optional(),
    inputFidelity: z.enum(['high', 'low']).optional(),
    stream: z.boolean().optional(),
    partialImages: z.number().int().min(0).max(3).optional(),
    user: z.string().optional(),
  })
  .strict();

export type ImageRequest = z.input<typeof imageRequestSchema>;
export type ValidImageRequest = z.output<typeof imageRequestSchema>;

/** A reference image or mask, as bytes read from disk. */
export interface InputImage {
  bytes: Uint8Array;
  /** Shown to the provider as the multipart file name; defaults to `image-N.<ext>`. */
  filename?: string;
}

export interface EditRequest extends ImageRequest {
  /** One or more references; the first is the image edited and the one a mask applies to. */
  images: InputImage[];
  mask?: InputImage;
}

export interface GeneratedImage {
  bytes: Uint8Array;
  /** Sniffed from the bytes, whatever the provider claimed. */
  mediaType: ImageMediaType;
  width: number;
  height: number;
  revisedPrompt?: string;
}

export interface PartialImage {
  /** Which of the requested images this is a partial of (0 unless n > 1 streams). */
  imageIndex: number;
  /** 0-based partial index as sent by the provider. */
  partialIndex: number;
  bytes: Uint8Array;
  mediaType: ImageMediaType;
}

export type Warning =
  | { type: 'unsupported'; setting: string; details: string }
  | { type: 'other'; message: string };

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** Estimated cost in USD where the provider publishes prices. */
  estimatedCostUsd?: number;
}

/** What the provider said about the result, kept with the image (revised prompt, final size, quality, …). */
export interface ResultMetadata {
  provider: string;
  model: string;
  created?: number;
  size?: string;
  quality?: string;
  background?: string;
  outputFormat?: string;
  taskId?: string;
  requestId?: string;
}

export interface ImageResult {
  images: GeneratedImage[];
  warnings: Warning[];
  usage?: Usage;
  metadata: ResultMetadata;
}

export interface CallOptions {
  signal?: AbortSignal;
  onPartial?: (partial: PartialImage) => void;
  /** Progress of asynchronous tasks (apimodels): status text and percent when the provider reports it. */
  onProgress?: (progress: { status: string; percent?: number }) => void;
}

/**
 * One model of one provider. `generate` and `edit` perform exactly one provider call (n <= maxImagesPerCall);
 * splitting, validation and warnings for settings the model lacks live in `generate.ts`, shared by all.
 */
export interface ImageModel {
  /** Provider id (`openai`, `ofox`, …). */
  readonly provider: string;
  /** How messages name this model: "ofox google/gemini-3.1-flash-image-preview". */
  readonly label: string;
  readonly modelId: string;
  readonly capabilities: ModelCapabilities;
  /** Said once about the model itself, e.g. an unknown id running on default capabilities. */
  readonly notes: readonly Warning[];
  generate(request: ValidImageRequest, options: CallOptions): Promise<ImageResult>;
  edit(request: ValidImageRequest & { images: InputImage[]; mask?: InputImage }, options: CallOptions): Promise<ImageResult>;
}
