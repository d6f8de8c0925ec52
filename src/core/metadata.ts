/**
 * What travels with an image: prompt, provider, model, settings, revised prompt, time. PNG keeps it inside the
 * file (an iTXt chunk); JPEG and WebP get a JSON sidecar next to the image. Never contains a key.
 */
import * as z from 'zod';
import type { ImageMediaType } from './image-model';
import { insertPngText, pngTextParts, readPngInfo } from './image/png';

export const METADATA_KEYWORD = 'imagegen';

export const imageMetadataSchema = z
  .object({
    version: z.literal(1),
    kind: z.enum(['generate', 'edit']),
    prompt: z.string(),
    provider: z.string(),
    model: z.string(),
    baseUrl: z.string().optional(),
    /** The request as sent (size, quality, format, n, …). */
    settings: z.record(z.string(), z.unknown()),
    revisedPrompt: z.string().optional(),
    /** What the provider reported back (final size, quality, task id, …). */
    result: z.record(z.string(), z.unknown()).optional(),
    /** Workspace-relative paths of the references and mask of an edit. */
    references: z.array(z.string()).optional(),
    mask: z.string().optional(),
    createdAt: z.string(),
  })
  .passthrough();

export type ImageMetadata = z.infer<typeof imageMetadataSchema>;

/** The bytes to write and, for formats without a text chunk, the sidecar's content. */
export function attachMetadata(bytes: Uint8Array, mediaType: ImageMediaType, metadata: ImageMetadata): { bytes: Uint8Array; sidecar?: string } {
  const json = JSON.stringify(metadata);
  if (mediaType === 'image/png') return { bytes: insertPngText(bytes, { [METADATA_KEYWORD]: json }) };
  return { bytes, sidecar: `${JSON.stringify(metadata, null, 2)}\n` };
}

/** Like attachMetadata, but a PNG comes back as pieces to write in order (no copy of the image): for plain files. */
export function attachMetadataParts(bytes: Uint8Array, mediaType: ImageMediaType, metadata: ImageMetadata): { parts: Uint8Array[]; sidecar?: string } {
  if (mediaType === 'image/png') return { parts: pngTextParts(bytes, { [METADATA_KEYWORD]: JSON.stringify(metadata) }) };
  return { parts: [bytes], sidecar: `${JSON.stringify(metadata, null, 2)}\n` };
}

/** The sidecar's path for an image path: `hero.jpg` → `hero.jpg.json`. */
export function sidecarPath(imagePath: string): string {
  return `${imagePath}.json`;
}

/** Reads metadata from PNG bytes or a sidecar's text; undefined when absent or not ImageGen's. */
export function readMetadata(source: { png?: Uint8Array; sidecar?: string }): ImageMetadata | undefined {
  let text: string | undefined;
  try {
    text = source.png ? readPngInfo(source.png).text[METADATA_KEYWORD] : source.sidecar;
  } catch {
    return undefined;
  }
  if (!text) return undefined;
  try {
    const parsed = imageMetadataSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The metadata of one image of a result: what was asked, of whom, and what came back. */
export function metadataFor(options: {
  kind: 'generate' | 'edit';
  request: Record<string, unknown> & { prompt: string };
  provider: string;
  model: string;
  baseUrl?: string;
  revisedPrompt?: string;
  result?: Record<string, unknown>;
  references?: string[];
  mask?: string;
  createdAt?: Date;
}): ImageMetadata {
  const { prompt, ...settings } = options.request;
  return {
    version: 1,
    kind: options.kind,
    prompt,
    provider: options.provider,
    model: options.model,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    settings: Object.fromEntries(Object.entries(settings).filter(([key, value]) => value !== undefined && key !== 'images' && key !== 'mask')),
    ...(options.revisedPrompt ? { revisedPrompt: options.revisedPrompt } : {}),
    ...(options.result ? { result: options.result } : {}),
    ...(options.references?.length ? { references: options.references } : {}),
    ...(options.mask ? { mask: options.mask } : {}),
    createdAt: (options.createdAt ?? new Date()).toISOString(),
  };
}
