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
import { message } from './messages';
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
  if (issue.code === 'unrecognized_keys') return { message: message('unknownOption', { options: issue.keys.map((key) => `"${key}"`).join(', ') }) };
  if (setting === 'n') return { message: message('nRange'), setting };
  if (setting === 'compression') return { message: message('compressionRange'), setting };
  if (setting === 'partialImages') return { message: message('partialImagesRange'), setting };
  if (setting === 'prompt') return { message: message('promptEmpty'), setting };
  if (setting === 'size') return { message: message('sizeFormat'), setting };
  if (setting === 'aspectRatio') return { message: message('aspectRatioFormat'), setting };
  if (issue.code === 'invalid_value') {
    return { message: message('oneOf', { setting: setting ?? '', values: (issue.values as unknown[]).join(', ') }), setting };
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
    throw new InvalidRequestError(message('editOnly', { label }));
  }
  if (kind === 'edit' && !capabilities.edit) {
    throw new InvalidRequestError(message('cannotEdit', { label }));
  }
  if (request.prompt.length > capabilities.maxPromptLength) {
    throw new InvalidRequestError(
      message('promptTooLong', { length: request.prompt.length.toLocaleString('en-US'), label, limit: capabilities.maxPromptLength.toLocaleString('en-US') }),
      'prompt',
    );
  }

  checkSize(label, capabilities, request);

  if (request.quality !== undefined && !capabilities.qualities.includes(request.quality)) {
    if (capabilities.qualities.length === 0) drop('quality', message('noQualitySetting', { label, quality: request.quality }));
    else throw new InvalidRequestError(message('qualityNotAvailable', { quality: request.quality, label, choices: capabilities.qualities.join(', ') }), 'quality');
  }
  if (request.format !== undefined && !capabilities.formats.includes(request.format)) {
    throw new InvalidRequestError(message('formatNotAvailable', { label, format: request.format.toUpperCase(), choices: capabilities.formats.join(', ') }), 'format');
  }
  if (request.compression !== undefined) {
    if (!capabilities.compression) drop('compression', message('noCompressionSetting', { label }));
    else if ((request.format ?? 'png') === 'png') drop('compression', message('compressionPngOnly'));
  }
  if (request.background === 'transparent') {
    if (request.format === 'jpeg') {
      throw new InvalidRequestError(message('transparentNeedsAlpha'), 'background');
    }
    if (capabilities.transparency === 'no') {
      throw new InvalidRequestError(message('noTransparency', { label }), 'background');
    }
    if (capabilities.transparency === 'uncertain') {
      warnings.push({ type: 'other', message: message('transparencyUncertain', { label }) });
    }
  } else if (request.background !== undefined && capabilities.transparency === 'no') {
    if (request.background === 'auto') delete request.background;
    else drop('background', message('noBackgroundSetting', { label, background: request.background }));
  }
  if (request.moderation !== undefined && !capabilities.moderation) {
    drop('moderation', message('noModerationSetting', { label }));
  }
  if (request.inputFidelity !== undefined) {
    if (kind === 'generate') drop('inputFidelity', message('fidelityEditsOnly'));
    else if (capabilities.inputFidelity === 'always-high') {
      drop('inputFidelity', message('fidelityAlwaysHigh', { label }));
    } else if (capabilities.inputFidelity === 'no') drop('inputFidelity', message('noFidelitySetting', { label }));
  }
  if (request.stream && !capabilities.streaming) {
    drop('stream', message('noStreaming', { label }));
    delete request.partialImages;
  } else if (request.partialImages !== undefined && !request.stream) {
    drop('partialImages', message('partialsNeedStream'));
  }
  return { request, warnings };
}

function checkSize(label: string, capabilities: ModelCapabilities, request: ValidImageRequest): void {
  if (request.aspectRatio !== undefined || request.resolution !== undefined) {
    if (!capabilities.aspectRatio) {
      throw new InvalidRequestError(message('takesSizeNotAspect', { label }), 'aspectRatio');
    }
    if (request.size !== undefined) {
      throw new InvalidRequestError(message('sizeOrAspect'), 'size');
    }
    if (request.aspectRatio === undefined) {
      throw new InvalidRequestError(message('resolutionNeedsAspect'), 'aspectRatio');
    }
    const [width, height] = request.aspectRatio.split(':').map(Number) as [number, number];
    if (!width || !height || Math.max(width, height) / Math.min(width, height) > 3) {
      throw new InvalidRequestError(message('aspectNotAllowed', { ratio: request.aspectRatio }), 'aspectRatio');
    }
    request.resolution ??= capabilities.aspectRatio.resolutions[0];
    if (!capabilities.aspectRatio.resolutions.includes(request.resolution!)) {
      throw new InvalidRequestError(message('resolutionNotAvailable', { resolution: request.resolution!, label, choices: capabilities.aspectRatio.resolutions.join(', ') }), 'resolution');
    }
    return;
  }
  const size = request.size;
  if (size === undefined) return;
  if (size === 'auto') {
    if (!capabilities.autoSize) {
      throw new InvalidRequestError(message('noAutoSize', { label, choices: sizeChoices(capabilities).join(', ') }), 'size');
    }
    return;
  }
  if (capabilities.sizes.includes(size)) return;
  const parsed = parseSize(size)!;
  if (capabilities.customSize) {
    const problem = customSizeProblem(parsed.width, parsed.height, capabilities.customSize);
    if (problem) throw new InvalidRequestError(message('sizeNotAllowed', { size, label, problem }), 'size');
    return;
  }
  throw new InvalidRequestError(message('sizeNotAvailable', { size, label, choices: sizeChoices(capabilities).join(', ') }), 'size');
}

function describeInput(image: InputImage, index: number): string {
  return image.filename ? message('referenceNamed', { index: index + 1, name: image.filename }) : message('reference', { index: index + 1 });
}

/** Checks reference images and the mask: count, formats, byte size, mask PNG with alpha, mask size. */
export function checkEditInputs(label: string, capabilities: ModelCapabilities, images: InputImage[], mask: InputImage | undefined): void {
  if (images.length === 0) throw new InvalidRequestError(message('addImage'), 'images');
  if (images.length > capabilities.maxInputImages) {
    throw new InvalidRequestError(message('tooManyReferences', { label, limit: capabilities.maxInputImages, count: images.length }), 'images');
  }
  const sniffed = images.map((image, index) => {
    const info = sniffImage(image.bytes);
    if (!info) throw new InvalidRequestError(message('referenceNotImage', { reference: describeInput(image, index) }), 'images');
    if (image.bytes.length > MAX_INPUT_IMAGE_BYTES) {
      throw new InvalidRequestError(message('referenceTooLarge', { reference: describeInput(image, index), size: Math.round(image.bytes.length / 1048576), limit: MAX_INPUT_IMAGE_BYTES / 1048576 }), 'images');
    }
    return info;
  });
  if (!mask) return;
  if (!capabilities.mask) throw new InvalidRequestError(message('noMask', { label }), 'mask');
  const first = sniffed[0]!;
  const maskName = mask.filename ? message('maskNamed', { name: mask.filename }) : message('mask');
  let info: ReturnType<typeof readPngInfo>;
  try {
    info = readPngInfo(mask.bytes);
  } catch {
    const kind = sniffImage(mask.bytes)?.mediaType.slice(6).toUpperCase();
    throw new InvalidRequestError(kind ? message('maskNotPngIs', { mask: maskName, kind }) : message('maskNotPng', { mask: maskName }), 'mask');
  }
  if (info.width !== first.width || info.height !== first.height) {
    throw new InvalidRequestError(
      message('maskSize', { mask: maskName, maskSize: `${info.width}x${info.height}`, imageSize: `${first.width}x${first.height}` }),
      'mask',
    );
  }
  if (!info.hasAlpha) {
    throw new InvalidRequestError(message('maskNoAlpha', { mask: maskName }), 'mask');
  }
}
