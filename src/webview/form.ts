/**
 * The panel's settings as plain data, and what they mean for one model: which values fit it, the request they
 * make (only the fields the model's controls define), and what stops a request from being sent. No DOM.
 */
import type { ModelCapabilities, OutputFormat, Resolution } from '../core/image-model';
import { customSizeProblem, estimateCostUsd, parseSize, sizeChoices } from '../core/size-rules';
import type { ModelView, StudioRequest } from '../shared/protocol';
import { t } from './l10n';

export type SizeMode = 'size' | 'aspect';
export type Background = 'auto' | 'opaque' | 'transparent';

/** Every value the controls hold, kept across model switches (a model without a control just ignores it). */
export interface FormValues {
  prompt: string;
  provider: string;
  model: string;
  /** Size or aspect ratio + resolution; only models with `aspectRatio` offer the second. */
  sizeMode: SizeMode;
  /** A preset, `auto`, or `custom` (then `customWidth` x `customHeight`). */
  size: string;
  customWidth: number;
  customHeight: number;
  aspectRatio: string;
  resolution: Resolution;
  quality: string;
  format: OutputFormat;
  compression: number;
  background: Background;
  n: number;
  inputFidelity: 'high' | 'low';
  moderation: 'auto' | 'low';
  stream: boolean;
  partialImages: number;
}

export const CUSTOM_SIZE = 'custom';
/** Ratios offered in aspect-ratio mode; all within the 3:1 the gateway allows. */
export const ASPECT_RATIOS = ['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16', '21:9', '9:21'] as const;
export const MAX_IMAGES = 16;

/** A reason the request cannot be sent, naming the control at fault when there is one. */
export interface Problem {
  setting?: string;
  message: string;
}

export function initialValues(): FormValues {
  return {
    prompt: '',
    provider: '',
    model: '',
    sizeMode: 'size',
    size: 'auto',
    customWidth: 1024,
    customHeight: 1024,
    aspectRatio: '1:1',
    resolution: '1K',
    quality: 'auto',
    format: 'png',
    compression: 100,
    background: 'auto',
    n: 1,
    inputFidelity: 'low',
    moderation: 'auto',
    stream: true,
    partialImages: 2,
  };
}

/** Values from a request (settings defaults, a restored state): only the fields that are there and make sense. */
export function valuesFromRequest(base: FormValues, request: Partial<StudioRequest> | undefined): FormValues {
  if (!request) return base;
  const values = { ...base };
  if (typeof request.prompt === 'string') values.prompt = request.prompt;
  if (typeof request.provider === 'string') values.provider = request.provider;
  if (typeof request.model === 'string') values.model = request.model;
  if (typeof request.size === 'string') {
    const custom = parseSize(request.size);
    values.size = request.size;
    if (custom) {
      values.customWidth = custom.width;
      values.customHeight = custom.height;
    }
    values.sizeMode = 'size';
  }
  if (typeof request.aspectRatio === 'string' && request.size === undefined) {
    values.aspectRatio = request.aspectRatio;
    values.sizeMode = 'aspect';
  }
  if (request.resolution === '1K' || request.resolution === '2K' || request.resolution === '4K') values.resolution = request.resolution;
  if (typeof request.quality === 'string') values.quality = request.quality;
  if (request.format === 'png' || request.format === 'jpeg' || request.format === 'webp') values.format = request.format;
  if (typeof request.compression === 'number') values.compression = clamp(request.compression, 0, 100);
  if (request.background === 'auto' || request.background === 'opaque' || request.background === 'transparent') values.background = request.background;
  if (typeof request.n === 'number') values.n = clamp(request.n, 1, MAX_IMAGES);
  if (request.inputFidelity === 'high' || request.inputFidelity === 'low') values.inputFidelity = request.inputFidelity;
  if (request.moderation === 'auto' || request.moderation === 'low') values.moderation = request.moderation;
  if (typeof request.stream === 'boolean') values.stream = request.stream;
  if (typeof request.partialImages === 'number') values.partialImages = clamp(request.partialImages, 0, 3);
  return values;
}

/** Stored form values, checked field by field (a state from an older panel may lack or mistype some). */
export function valuesFromState(base: FormValues, stored: unknown): FormValues {
  if (!stored || typeof stored !== 'object') return base;
  const record = stored as Record<string, unknown>;
  const values = valuesFromRequest(base, record as Partial<StudioRequest>);
  if (record.sizeMode === 'size' || record.sizeMode === 'aspect') values.sizeMode = record.sizeMode;
  if (typeof record.size === 'string') values.size = record.size;
  if (typeof record.aspectRatio === 'string') values.aspectRatio = record.aspectRatio;
  if (isPixelCount(record.customWidth)) values.customWidth = record.customWidth;
  if (isPixelCount(record.customHeight)) values.customHeight = record.customHeight;
  return values;
}

function isPixelCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 100_000;
}

/**
 * The values adjusted to what `capabilities` offer: a choice the model lacks falls back to the settings default
 * when that fits, else to the model's first or automatic choice. Values for controls the model does not have
 * are kept (they come back with a model that has them).
 */
export function fitToModel(values: FormValues, capabilities: ModelCapabilities, defaults: Partial<StudioRequest>): FormValues {
  const fitted = { ...values };
  if (fitted.sizeMode === 'aspect' && !capabilities.aspectRatio) fitted.sizeMode = 'size';
  const presets = sizeChoices(capabilities);
  const sizeFits = (size: string | undefined): boolean =>
    size !== undefined && (presets.includes(size) || (size === CUSTOM_SIZE && capabilities.customSize !== undefined));
  if (!sizeFits(fitted.size)) {
    const wanted = fitted.size === CUSTOM_SIZE ? undefined : parseSize(fitted.size);
    if (wanted && capabilities.customSize) {
      fitted.customWidth = wanted.width;
      fitted.customHeight = wanted.height;
      fitted.size = CUSTOM_SIZE;
    } else if (sizeFits(defaults.size)) fitted.size = defaults.size!;
    else if (defaults.size && parseSize(defaults.size) && capabilities.customSize) {
      const size = parseSize(defaults.size)!;
      fitted.customWidth = size.width;
      fitted.customHeight = size.height;
      fitted.size = CUSTOM_SIZE;
    } else fitted.size = capabilities.autoSize ? 'auto' : (capabilities.sizes[0] ?? (capabilities.customSize ? CUSTOM_SIZE : ''));
  }
  if (capabilities.aspectRatio) {
    if (!(ASPECT_RATIOS as readonly string[]).includes(fitted.aspectRatio)) fitted.aspectRatio = '1:1';
    if (!capabilities.aspectRatio.resolutions.includes(fitted.resolution)) fitted.resolution = capabilities.aspectRatio.resolutions[0] ?? '1K';
  }
  if (capabilities.qualities.length > 0 && !capabilities.qualities.includes(fitted.quality)) {
    const fallback = [defaults.quality, 'auto', 'medium'].find((quality) => quality !== undefined && capabilities.qualities.includes(quality));
    fitted.quality = fallback ?? capabilities.qualities[0]!;
  }
  if (capabilities.formats.length > 0 && !capabilities.formats.includes(fitted.format)) {
    fitted.format = defaults.format && capabilities.formats.includes(defaults.format) ? defaults.format : capabilities.formats[0]!;
  }
  if (fitted.background === 'transparent' && (capabilities.transparency === 'no' || fitted.format === 'jpeg')) fitted.background = 'auto';
  fitted.n = clamp(Math.round(fitted.n) || 1, 1, MAX_IMAGES);
  fitted.compression = clamp(Math.round(fitted.compression), 0, 100);
  fitted.partialImages = clamp(Math.round(fitted.partialImages), 0, 3);
  return fitted;
}

/** What the panel knows besides the values when it builds a request. */
export interface RequestContext {
  model: ModelView | undefined;
  /** References in the list (the request is an edit when there are any). */
  referenceCount: number;
}

/** Whether the compression slider applies: the model has it and the format is lossy. */
export function compressionApplies(capabilities: ModelCapabilities, format: OutputFormat): boolean {
  return capabilities.compression && (format === 'jpeg' || format === 'webp');
}

/** Why transparent cannot be chosen, or undefined when it can. */
export function transparentProblem(capabilities: ModelCapabilities, format: OutputFormat): string | undefined {
  if (capabilities.transparency === 'no') return t('This model cannot make transparent backgrounds.');
  if (format === 'jpeg') return t('A transparent background needs PNG or WebP: JPEG has no alpha channel.');
  return undefined;
}

/** The size a request would carry in size mode (`auto`, a preset, or the custom WxH), if any. */
export function requestedSize(values: FormValues, capabilities: ModelCapabilities): string | undefined {
  if (values.size === CUSTOM_SIZE) return capabilities.customSize ? `${values.customWidth}x${values.customHeight}` : undefined;
  return sizeChoices(capabilities).includes(values.size) ? values.size : undefined;
}

/** Why the custom size is not allowed (in the user's language), or undefined. */
export function customSizeMessage(values: FormValues, capabilities: ModelCapabilities): string | undefined {
  const rule = capabilities.customSize;
  if (!rule || values.size !== CUSTOM_SIZE) return undefined;
  const { customWidth: width, customHeight: height } = values;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return t('Enter a whole number of pixels for the width and the height.');
  const problem = customSizeProblem(width, height, rule);
  return problem === undefined ? undefined : localizeSizeProblem(problem);
}

/**
 * `customSizeProblem` speaks English (the core shares it with the CLI); its five sentences are matched here and
 * said again through `t`, so a Chinese user reads the reason in Chinese. Anything else is shown as it is.
 */
export function localizeSizeProblem(problem: string): string {
  let match = /^both sides must be multiples of (\d+) \(nearest: (\d+x\d+)\)$/.exec(problem);
  if (match) return t('Both sides must be multiples of {0} (nearest: {1}).', match[1]!, match[2]!);
  match = /^the longest side must be at most (\d+) pixels$/.exec(problem);
  if (match) return t('The longest side must be at most {0} pixels.', match[1]!);
  match = /^each side must be at least (\d+) pixels$/.exec(problem);
  if (match) return t('Each side must be at least {0} pixels.', match[1]!);
  match = /^the aspect ratio must be at most ([\d.]+):1$/.exec(problem);
  if (match) return t('The aspect ratio must be at most {0}:1.', match[1]!);
  match = /^the total must be between ([\d,]+) and ([\d,]+) pixels \(this is ([\d,]+)\)$/.exec(problem);
  if (match) return t('The total must be between {0} and {1} pixels (this is {2}).', match[1]!, match[2]!, match[3]!);
  return problem;
}

/** The request for the model: exactly the fields its controls define, nothing for controls it lacks. */
export function buildRequest(values: FormValues, context: RequestContext): StudioRequest | undefined {
  const model = context.model;
  if (!model) return undefined;
  const capabilities = model.capabilities;
  const editing = context.referenceCount > 0;
  const request: StudioRequest = { prompt: values.prompt.trim(), provider: values.provider, model: model.id, n: clamp(values.n, 1, MAX_IMAGES) };
  if (capabilities.aspectRatio && values.sizeMode === 'aspect') {
    request.aspectRatio = values.aspectRatio;
    request.resolution = values.resolution;
  } else {
    const size = requestedSize(values, capabilities);
    if (size !== undefined) request.size = size;
  }
  if (capabilities.qualities.includes(values.quality)) request.quality = values.quality;
  if (capabilities.formats.includes(values.format)) request.format = values.format;
  if (compressionApplies(capabilities, values.format)) request.compression = values.compression;
  if (capabilities.transparency !== 'no') {
    request.background = values.background === 'transparent' && transparentProblem(capabilities, values.format) ? 'auto' : values.background;
  }
  if (editing && capabilities.inputFidelity === 'yes') request.inputFidelity = values.inputFidelity;
  if (capabilities.moderation) request.moderation = values.moderation;
  if (capabilities.streaming) {
    request.stream = values.stream;
    if (values.stream) request.partialImages = values.partialImages;
  }
  return request;
}

/** Everything that stops this request, first the most useful to fix. Empty when it can be sent. */
export function requestProblems(values: FormValues, context: RequestContext): Problem[] {
  const model = context.model;
  if (!model) return [{ setting: 'model', message: t('Choose a model.') }];
  const capabilities = model.capabilities;
  const problems: Problem[] = [];
  const prompt = values.prompt.trim();
  if (prompt.length === 0) problems.push({ setting: 'prompt', message: t('Describe the image you want in the prompt.') });
  else if (prompt.length > capabilities.maxPromptLength) {
    problems.push({ setting: 'prompt', message: t('The prompt is {0} characters; this model accepts at most {1}.', prompt.length, capabilities.maxPromptLength) });
  }
  if (context.referenceCount === 0 && !capabilities.generate) {
    problems.push({ setting: 'references', message: t('This model only edits: add a reference image.') });
  }
  if (context.referenceCount > 0 && !capabilities.edit) {
    problems.push({ setting: 'references', message: t('This model cannot edit images: remove the references, or choose a model that edits.') });
  } else if (context.referenceCount > capabilities.maxInputImages) {
    problems.push({
      setting: 'references',
      message: t('This model takes at most {0} reference images: remove {1}.', capabilities.maxInputImages, context.referenceCount - capabilities.maxInputImages),
    });
  }
  if (!(capabilities.aspectRatio && values.sizeMode === 'aspect')) {
    const sizeMessage = customSizeMessage(values, capabilities);
    if (sizeMessage) problems.push({ setting: 'size', message: sizeMessage });
  }
  return problems;
}

/** How many provider calls `n` images take on this model. */
export function callCount(n: number, capabilities: ModelCapabilities): number {
  return Math.ceil(n / Math.max(1, capabilities.maxImagesPerCall));
}

/** The price before sending where the model publishes one, e.g. "≈ $0.08"; undefined otherwise. */
export function costEstimate(request: StudioRequest | undefined, capabilities: ModelCapabilities | undefined): string | undefined {
  if (!request || !capabilities?.pricing) return undefined;
  const usd = estimateCostUsd(capabilities, { size: request.size, resolution: request.resolution, quality: request.quality }, request.n);
  return usd === undefined ? undefined : `≈ ${formatUsd(usd)}`;
}

/** $0.08, $0.025, $1.40: cents, or a tenth of a cent where the price has one. */
export function formatUsd(usd: number): string {
  const precise = usd.toFixed(3);
  return `$${precise.endsWith('0') ? usd.toFixed(2) : precise}`;
}

export function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}
