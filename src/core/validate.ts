/**
 * Checks a request against a model's capabilities before anything is sent. What the model cannot do is either
 * refused with a message that says what to change, or, where nothing is lost by leaving it out, dropped with a
 * visible warning. Nothing is dropped silently.
 */
import * as z from 'zod';
import { InvalidRequestError } from './errors';
import {
  imageRequestSchema,
  type InputImage,
  type ModelCapabilities,
  type ImageRequest,
  type ValidImageRequest,
  type Warning,
} from './image-model';
import { readPngInfo } from './image/png';
import { customSizeProblem, parseSize, sizeChoices } from './size-rules';

export { customSizeProblem, parseSize, sizeChoices };
import { sniffImage } from './image/sniff';

/** Reference images larger than this are refused before upload (the OpenAI limit for gpt-image models). */
export const MAX_INPUT_IMAGE_BYTES = 50 * 1024 * 1024;

export interface CheckedRequest {
  request: ValidImageRequest;
  warnings: Warning[];
}

function zodMessage(error: z.ZodError): { message: string; setting?: string } {
  const issue = error.issues[0]!;
  const setting = issue.path.map(String).join('.') || undefined;
  if (issue.code === 'unrecognized_keys') return { message: `Unknown option ${issue.keys.map((key) => `"${key}"`).join(', ')}.` };
  if (setting === 'n') return { message: 'n must be a whole number from 1 to 16.', setting };
  if (setting === 'compression') return { message: 'Compression must be a whole number from 0 to 100.', setting };
  if (setting === 'partialImages') return { message: 'Partial images must be 0, 1, 2 or 3.', setting };
  if (issue.code === 'invalid_value') {
    return { message: `${setting} must be one of ${(issue.values as unknown[]).join(', ')}.`, setting };
  }
  return { message: setting && !issue.message.includes(' ') ? `${setting}: ${issue.message}` : issue.message, setting };
}

/**
 * Validates a request for `model` doing `kind`; returns the request to send (dropped options removed) and the
 * warnings to show. Throws InvalidRequestError with an actionable message.
 */
export function checkRequest(
  label: string,
  capabilities: ModelCapabilities,
  input: ImageRequest,
  kind: 'generate' | 'edit',
): CheckedRequest {
  const parsed = imageRequestSchema.safeParse(input);
  if (!parsed.success) {
    const { message, setting } = zodMessage(parsed.error);
    throw new InvalidRequestError(message, setting);
  }
  const request: ValidImageRequest = { ...parsed.data };
  const warnings: Warning[] = [];
  const drop = (setting: keyof ValidImageRequest, details: string) => {
    delete request[setting];
    warnings.push({ type: 'unsupported', setting, details });
  };

  if (kind === 'generate' && !capabilities.generate) {
    throw new InvalidRequestError(`${label} only edits images: add a reference image (its API has no text-to-image form).`);
  }
  if (kind === 'edit' && !capabilities.edit) {
    throw new InvalidRequestError(`${label} cannot edit images. Choose a model that can edit, or generate without a reference.`);
  }
  if (request.prompt.length > capabilities.maxPromptLength) {
    throw new InvalidRequestError(
      `The prompt is ${request.prompt.length.toLocaleString('en-US')} characters; ${label} accepts at most ${capabilities.maxPromptLength.toLocaleString('en-US')}.`,
      'prompt',
    );
  }

  checkSize(label, capabilities, request);

  if (request.quality !== undefined && !capabilities.qualities.includes(request.quality)) {
    if (capabilities.qualities.length === 0) drop('quality', `${label} has no quality setting; "${request.quality}" was not sent.`);
    else throw new InvalidRequestError(`Quality "${request.quality}" is not available for ${label}. Choose one of: ${capabilities.qualities.join(', ')}.`, 'quality');
  }
  if (request.format !== undefined && !capabilities.formats.includes(request.format)) {
    throw new InvalidRequestError(`${label} cannot produce ${request.format.toUpperCase()}. Choose one of: ${capabilities.formats.join(', ')}.`, 'format');
  }
  if (request.compression !== undefined) {
    if (!capabilities.compression) drop('compression', `${label} has no compression setting; it was not sent.`);
    else if ((request.format ?? 'png') === 'png') drop('compression', 'Compression applies to JPEG and WebP only; it was not sent for PNG.');
  }
  if (request.background === 'transparent') {
    if (request.format === 'jpeg') {
      throw new InvalidRequestError('A transparent background needs PNG or WebP output: JPEG has no alpha channel.', 'background');
    }
    if (capabilities.transparency === 'no') {
      throw new InvalidRequestError(`${label} cannot make transparent backgrounds. Use "opaque" or "auto", or another model.`, 'background');
    }
    if (capabilities.transparency === 'uncertain') {
      warnings.push({ type: 'other', message: `${label} may ignore a transparent background; check the result's alpha channel.` });
    }
  } else if (request.background !== undefined && capabilities.transparency === 'no') {
    if (request.background === 'auto') delete request.background;
    else drop('background', `${label} has no background setting; "${request.background}" was not sent.`);
  }
  if (request.moderation !== undefined && !capabilities.moderation) {
    drop('moderation', `${label} has no moderation setting; it was not sent.`);
  }
  if (request.inputFidelity !== undefined) {
    if (kind === 'generate') drop('inputFidelity', 'Input fidelity applies to edits only; it was not sent.');
    else if (capabilities.inputFidelity === 'always-high') {
      drop('inputFidelity', `${label} always uses high input fidelity; the setting was not sent.`);
    } else if (capabilities.inputFidelity === 'no') drop('inputFidelity', `${label} has no input fidelity setting; it was not sent.`);
  }
  if (request.stream && !capabilities.streaming) {
    drop('stream', `${label} does not stream partial images; the image arrives when it is done.`);
    delete request.partialImages;
  } else if (request.partialImages !== undefined && !request.stream) {
    drop('partialImages', 'Partial images need streaming; the setting was not sent.');
  }
  return { request, warnings };
}

function checkSize(label: string, capabilities: ModelCapabilities, request: ValidImageRequest): void {
  if (request.aspectRatio !== undefined || request.resolution !== undefined) {
    if (!capabilities.aspectRatio) {
      throw new InvalidRequestError(`${label} takes a size (WIDTHxHEIGHT), not an aspect ratio and resolution.`, 'aspectRatio');
    }
    if (request.size !== undefined) {
      throw new InvalidRequestError('Give either a size, or an aspect ratio with a resolution, not both.', 'size');
    }
    if (request.aspectRatio === undefined) {
      throw new InvalidRequestError('A resolution needs an aspect ratio too, e.g. 16:9.', 'aspectRatio');
    }
    const [width, height] = request.aspectRatio.split(':').map(Number) as [number, number];
    if (!width || !height || Math.max(width, height) / Math.min(width, height) > 3) {
      throw new InvalidRequestError(`Aspect ratio ${request.aspectRatio} is not allowed: both parts must be positive and at most 3:1.`, 'aspectRatio');
    }
    request.resolution ??= capabilities.aspectRatio.resolutions[0];
    if (!capabilities.aspectRatio.resolutions.includes(request.resolution!)) {
      throw new InvalidRequestError(`Resolution ${request.resolution} is not available for ${label}. Choose one of: ${capabilities.aspectRatio.resolutions.join(', ')}.`, 'resolution');
    }
    return;
  }
  const size = request.size;
  if (size === undefined) return;
  if (size === 'auto') {
    if (!capabilities.autoSize) {
      throw new InvalidRequestError(`${label} has no automatic size. Choose one of: ${sizeChoices(capabilities).join(', ')}.`, 'size');
    }
    return;
  }
  if (capabilities.sizes.includes(size)) return;
  const parsed = parseSize(size)!;
  if (capabilities.customSize) {
    const problem = customSizeProblem(parsed.width, parsed.height, capabilities.customSize);
    if (problem) throw new InvalidRequestError(`Size ${size} is not allowed for ${label}: ${problem}.`, 'size');
    return;
  }
  throw new InvalidRequestError(`Size ${size} is not available for ${label}. Choose one of: ${sizeChoices(capabilities).join(', ')}.`, 'size');
}

function describeInput(image: InputImage, index: number): string {
  return image.filename ? `Reference ${index + 1} (${image.filename})` : `Reference ${index + 1}`;
}

/** Checks reference images and the mask: count, formats, byte size, mask PNG with alpha, mask size. */
export function checkEditInputs(label: string, capabilities: ModelCapabilities, images: InputImage[], mask: InputImage | undefined): void {
  if (images.length === 0) throw new InvalidRequestError('Add at least one image to edit.', 'images');
  if (images.length > capabilities.maxInputImages) {
    throw new InvalidRequestError(`${label} accepts at most ${capabilities.maxInputImages} reference image${capabilities.maxInputImages === 1 ? '' : 's'}; you gave ${images.length}.`, 'images');
  }
  const sniffed = images.map((image, index) => {
    const info = sniffImage(image.bytes);
    if (!info) throw new InvalidRequestError(`${describeInput(image, index)} is not a PNG, JPEG or WebP image.`, 'images');
    if (image.bytes.length > MAX_INPUT_IMAGE_BYTES) {
      throw new InvalidRequestError(`${describeInput(image, index)} is ${Math.round(image.bytes.length / 1048576)} MB; the limit is ${MAX_INPUT_IMAGE_BYTES / 1048576} MB.`, 'images');
    }
    return info;
  });
  if (!mask) return;
  if (!capabilities.mask) throw new InvalidRequestError(`${label} cannot use a mask. Edit without one, or choose another model.`, 'mask');
  const first = sniffed[0]!;
  const maskName = mask.filename ? `The mask (${mask.filename})` : 'The mask';
  let info: ReturnType<typeof readPngInfo>;
  try {
    info = readPngInfo(mask.bytes);
  } catch {
    const kind = sniffImage(mask.bytes)?.mediaType.slice(6).toUpperCase();
    throw new InvalidRequestError(`${maskName} must be a PNG file${kind ? ` (it is a ${kind})` : ''}.`, 'mask');
  }
  if (info.width !== first.width || info.height !== first.height) {
    throw new InvalidRequestError(
      `${maskName} is ${info.width}x${info.height} but the image it masks is ${first.width}x${first.height}: they must be the same size.`,
      'mask',
    );
  }
  if (!info.hasAlpha) {
    throw new InvalidRequestError(`${maskName} has no alpha channel: make the area to edit transparent (alpha 0) and save it as a PNG with transparency.`, 'mask');
  }
}
