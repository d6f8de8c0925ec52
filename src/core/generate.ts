/**
 * The entry points every UI calls: validate, split `n` over as many calls as the model needs (in parallel, with
 * bounded concurrency), merge the results and their warnings. Providers implement single calls only.
 */
import { CancelledError } from './errors';
import type { CallOptions, EditRequest, ImageModel, ImageRequest, ImageResult, ValidImageRequest, Warning } from './image-model';
import { message } from './messages';
import { estimateCostUsd } from './size-rules';
import { checkEditInputs, checkRequest } from './validate';

export { estimateCostUsd };

export interface JobOptions extends CallOptions {
  /** Calls in flight at once when `n` is split (default 4). */
  concurrency?: number;
}

/** Text to image. */
export async function generateImages(model: ImageModel, request: ImageRequest, options: JobOptions = {}): Promise<ImageResult> {
  const { request: checked, warnings } = checkRequest(model.label, model.capabilities, request, 'generate');
  return run(model, checked, warnings, options, (part, callOptions) => model.generate(part, callOptions));
}

/** Edit the first image (with an optional mask), using any further images as references. */
export async function editImages(model: ImageModel, request: EditRequest, options: JobOptions = {}): Promise<ImageResult> {
  const { images, mask, ...rest } = request;
  const { request: checked, warnings } = checkRequest(model.label, model.capabilities, rest, 'edit');
  checkEditInputs(model.label, model.capabilities, images, mask);
  return run(model, checked, warnings, options, (part, callOptions) => model.edit({ ...part, images, ...(mask ? { mask } : {}) }, callOptions));
}

/** How many images each call asks for: as many as the model allows per call, the rest in further calls. */
export function splitCount(n: number, perCall: number): number[] {
  const counts: number[] = [];
  for (let left = n; left > 0; left -= perCall) counts.push(Math.min(perCall, left));
  return counts;
}

async function run(
  model: ImageModel,
  request: ValidImageRequest,
  warnings: Warning[],
  options: JobOptions,
  call: (request: ValidImageRequest, options: CallOptions) => Promise<ImageResult>,
): Promise<ImageResult> {
  const counts = splitCount(request.n, Math.max(1, model.capabilities.maxImagesPerCall));
  if (counts.length > 1) {
    warnings.push({ type: 'other', message: message('splitCalls', { label: model.label, limit: model.capabilities.maxImagesPerCall, images: model.capabilities.maxImagesPerCall === 1 ? 'image' : 'images', calls: counts.length }) });
  }
  // One failed call cancels its siblings: nobody waits for images that will be thrown away.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const offsets = counts.map((_, index) => counts.slice(0, index).reduce((sum, count) => sum + count, 0));
  const results: ImageResult[] = new Array(counts.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < counts.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await call(
          { ...request, n: counts[index]! },
          {
            signal: controller.signal,
            onProgress: options.onProgress,
            onPartial: options.onPartial && ((partial) => options.onPartial!({ ...partial, imageIndex: partial.imageIndex + offsets[index]! })),
          },
        );
      } catch (error) {
        if (failure === undefined || (isCancel(failure) && !isCancel(error))) failure = error;
        controller.abort();
      }
    }
  };
  try {
    const workers = Math.min(counts.length, Math.max(1, options.concurrency ?? 4));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (options.signal?.aborted) throw new CancelledError();
  if (failure !== undefined) throw failure;
  return merge(model, request, [...model.notes, ...warnings], results);
}

const isCancel = (value: unknown) => value instanceof CancelledError;

function merge(model: ImageModel, request: ValidImageRequest, warnings: Warning[], results: ImageResult[]): ImageResult {
  const first = results[0]!;
  const allWarnings = [...warnings];
  for (const result of results) {
    for (const warning of result.warnings) {
      if (!allWarnings.some((known) => JSON.stringify(known) === JSON.stringify(warning))) allWarnings.push(warning);
    }
  }
  const images = results.flatMap((result) => result.images);
  const usage = sumUsage(results);
  const cost = estimateCostUsd(model.capabilities, request, images.length);
  return {
    images,
    warnings: allWarnings,
    ...(usage || cost !== undefined ? { usage: { ...usage, ...(cost !== undefined ? { estimatedCostUsd: cost } : {}) } } : {}),
    metadata: first.metadata,
  };
}

function sumUsage(results: ImageResult[]): ImageResult['usage'] {
  const usages = results.map((result) => result.usage).filter((usage) => usage !== undefined);
  if (usages.length === 0) return undefined;
  const sum = (key: 'inputTokens' | 'outputTokens' | 'totalTokens') => {
    const values = usages.map((usage) => usage[key]).filter((value): value is number => typeof value === 'number');
    return values.length ? values.reduce((total, value) => total + value, 0) : undefined;
  };
  const total = { inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), totalTokens: sum('totalTokens') };
  return Object.fromEntries(Object.entries(total).filter(([, value]) => value !== undefined));
}
