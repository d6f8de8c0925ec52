/**
 * `imagegen`: the core from a terminal, for scripts and CI pipelines that need assets.
 * Written paths on stdout, one per line; warnings and progress on stderr; a one-line error and a non-zero exit
 * on failure; never a partial file. The default provider is the offline placeholder, so it works with no key.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CancelledError, ImageGenError, InvalidRequestError, messageOf, redact } from './core/errors';
import { writeImageFile } from './core/file-output';
import { editImages, generateImages } from './core/generate';
import type { ImageRequest, ImageResult, InputImage, ModelInfo } from './core/image-model';
import { extensionFor } from './core/image/sniff';
import { setMessageLocale } from './core/messages';
import { attachMetadataParts, metadataFor } from './core/metadata';
import { DEFAULT_NAME_TEMPLATE, fileNameFor } from './core/output-names';
import { createImageModel, listModels, providerInfo, PROVIDER_IDS, type ProviderConfig } from './core/providers/registry';
import { sizeChoices } from './core/validate';

/** package.json's version, put in by esbuild.mjs. */
declare const IMAGEGEN_VERSION: string;
const VERSION = typeof IMAGEGEN_VERSION === 'string' ? IMAGEGEN_VERSION : 'development';

const USAGE = `imagegen: generate and edit images through OpenAI-style image APIs

Usage:
  imagegen generate "<prompt>" [options]
  imagegen edit "<prompt>" --image FILE [--image FILE ...] [--mask FILE] [options]
  imagegen models [--provider ID] [--base-url URL] [--json]

Options:
  --provider ID          ${PROVIDER_IDS.join(' | ')} (default: placeholder, offline)
  --model M              model id (default: the provider's default)
  --base-url URL         override the provider's base URL (include the version path, e.g. .../v1)
  --size WxH|auto        image size
  --aspect-ratio W:H     aspect ratio instead of a size (apimodels), with --resolution 1K|2K|4K
  --quality Q            low | medium | high | auto (models differ)
  --format F             png | jpeg | webp
  --compression 0-100    JPEG/WebP compression
  --background B         transparent | opaque | auto
  --moderation M         auto | low
  --input-fidelity F     high | low (edits)
  --n N                  number of images (split into several calls when the model needs it)
  --stream               stream partial images (progress on stderr)
  --partials 0-3         partial images to stream
  --out DIR              output folder (default: current folder)
  --name TEMPLATE        file name template: {prompt} {provider} {model} {date} {time} {index}
  --timeout SECONDS      how long to wait for a reply (default 300)
  --concurrency N        parallel calls when n is split (default 4)

The API key comes from IMAGEGEN_API_KEY, else the provider's own variable (OPENAI_API_KEY, OFOX_API_KEY,
AA_API_KEY, MODELVERSE_API_KEY, APIMODELS_API_KEY, IMAGEGEN_COMPATIBLE_API_KEY).`;

const options = {
  provider: { type: 'string' },
  model: { type: 'string' },
  'base-url': { type: 'string' },
  size: { type: 'string' },
  'aspect-ratio': { type: 'string' },
  resolution: { type: 'string' },
  quality: { type: 'string' },
  format: { type: 'string' },
  compression: { type: 'string' },
  background: { type: 'string' },
  moderation: { type: 'string' },
  'input-fidelity': { type: 'string' },
  n: { type: 'string' },
  stream: { type: 'boolean' },
  partials: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  image: { type: 'string', multiple: true },
  mask: { type: 'string' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** An error in how the command was called: exit code 2 and a pointer to --help. */
class UsageError extends ImageGenError {}

function integer(values: Values, name: 'n' | 'compression' | 'partials' | 'timeout' | 'concurrency'): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}".`);
  return Number(raw);
}

function apiKeyFor(provider: string): string | undefined {
  const info = providerInfo(provider);
  for (const variable of ['IMAGEGEN_API_KEY', ...info.keyVariables]) {
    const value = process.env[variable]?.trim();
    if (value) return value;
  }
  return undefined;
}

function providerConfig(values: Values): ProviderConfig {
  const provider = values.provider ?? 'placeholder';
  const info = providerInfo(provider);
  const timeout = integer(values, 'timeout');
  return {
    provider: info.id,
    model: values.model,
    baseUrl: values['base-url'],
    apiKey: info.id === 'placeholder' ? undefined : apiKeyFor(info.id),
    http: timeout !== undefined ? { timeoutMs: timeout * 1000 } : undefined,
  };
}

function imageRequest(values: Values, prompt: string): ImageRequest {
  const request: ImageRequest = {
    prompt,
    n: integer(values, 'n') ?? 1,
    size: values.size,
    aspectRatio: values['aspect-ratio'],
    resolution: values.resolution as ImageRequest['resolution'],
    quality: values.quality,
    format: values.format as ImageRequest['format'],
    compression: integer(values, 'compression'),
    background: values.background as ImageRequest['background'],
    moderation: values.moderation as ImageRequest['moderation'],
    inputFidelity: values['input-fidelity'] as ImageRequest['inputFidelity'],
    stream: values.stream,
    partialImages: integer(values, 'partials'),
  };
  if (request.partialImages !== undefined && request.stream === undefined) request.stream = true;
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as ImageRequest;
}

async function readInput(path: string): Promise<InputImage> {
  try {
    return { bytes: await readFile(path), filename: basename(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `No such file: ${path}` : `Cannot read ${path}: ${messageOf(error)}`);
  }
}

function describe(model: ModelInfo): string {
  const capabilities = model.capabilities;
  const can = [capabilities.generate && 'generate', capabilities.edit && 'edit', capabilities.mask && 'mask', capabilities.streaming && 'stream', capabilities.async && 'async']
    .filter(Boolean)
    .join(',');
  const sizes = capabilities.customSize ? `${sizeChoices(capabilities).join(',')},custom WxH` : sizeChoices(capabilities).join(',');
  const aspect = capabilities.aspectRatio ? ` aspect-ratio+${capabilities.aspectRatio.resolutions.join('/')}` : '';
  return `${model.id}\t${can}\tn<=${capabilities.maxImagesPerCall}/call\trefs<=${capabilities.maxInputImages}\tsizes ${sizes}${aspect}\tformats ${capabilities.formats.join(',')}`;
}

async function run(argv: string[], signal: AbortSignal): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error).replace(/\. To specify a positional.*$/, '.'));
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'models') {
    const config = providerConfig(values);
    const models = await listModels(config, { signal });
    process.stdout.write(values.json ? `${JSON.stringify(models, null, 2)}\n` : `${models.map(describe).join('\n')}\n`);
    return;
  }
  if (command !== 'generate' && command !== 'edit') throw new UsageError(`Unknown command "${command}". Use generate, edit or models.`);
  if (rest.length !== 1 || !rest[0]!.trim()) throw new UsageError(`${command} takes one prompt in quotes, e.g. imagegen ${command} "a red apple".`);
  const prompt = rest[0]!;
  if (command === 'generate' && (values.image || values.mask)) throw new UsageError('--image and --mask belong to "imagegen edit".');
  if (command === 'edit' && !values.image?.length) throw new UsageError('imagegen edit needs at least one --image FILE.');

  const config = providerConfig(values);
  const request = imageRequest(values, prompt);
  const model = createImageModel(config);
  const jobOptions = {
    signal,
    concurrency: integer(values, 'concurrency'),
    onPartial: (partial: { imageIndex: number; partialIndex: number; bytes: Uint8Array }) =>
      process.stderr.write(`partial ${partial.partialIndex + 1} of image ${partial.imageIndex + 1} (${partial.bytes.length} bytes)\n`),
    onProgress: (progress: { status: string; percent?: number }) =>
      process.stderr.write(`task ${progress.status}${progress.percent !== undefined ? ` ${progress.percent}%` : ''}\n`),
  };
  let result: ImageResult;
  let references: string[] | undefined;
  if (command === 'edit') {
    const images = await Promise.all(values.image!.map(readInput));
    const mask = values.mask ? await readInput(values.mask) : undefined;
    references = values.image;
    result = await editImages(model, { ...request, images, ...(mask ? { mask } : {}) }, jobOptions);
  } else {
    result = await generateImages(model, request, jobOptions);
  }
  for (const warning of result.warnings) {
    process.stderr.write(`warning: ${warning.type === 'unsupported' ? warning.details : warning.message}\n`);
  }
  const folder = resolve(values.out ?? '.');
  const template = values.name ?? DEFAULT_NAME_TEMPLATE;
  const date = new Date();
  const { prompt: _prompt, ...settings } = request;
  for (const [index, image] of result.images.entries()) {
    const fileName = fileNameFor(template, {
      prompt,
      index: index + 1,
      count: result.images.length,
      extension: extensionFor(image.mediaType),
      provider: model.provider,
      model: model.modelId,
      date,
    });
    const metadata = metadataFor({
      kind: command,
      request: { prompt, ...settings },
      provider: model.provider,
      model: model.modelId,
      baseUrl: config.baseUrl,
      revisedPrompt: image.revisedPrompt,
      result: { ...result.metadata, ...(result.usage ? { usage: result.usage } : {}) },
      references,
      mask: values.mask,
      createdAt: date,
    });
    const { parts, sidecar } = attachMetadataParts(image.bytes, image.mediaType, metadata);
    process.stdout.write(`${await writeImageFile(folder, fileName, parts, sidecar)}\n`);
  }
}

async function main(): Promise<void> {
  setMessageLocale(process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await run(process.argv.slice(2), controller.signal);
  } catch (error) {
    const cancelled = error instanceof CancelledError || controller.signal.aborted;
    const known = error instanceof ImageGenError;
    const secrets = PROVIDER_IDS.map((id) => {
      try {
        return apiKeyFor(id);
      } catch {
        return undefined;
      }
    });
    const message = cancelled ? 'Cancelled; nothing was written.' : redact(messageOf(error), secrets).split('\n')[0];
    process.stderr.write(`imagegen: ${known || cancelled ? message : `unexpected error: ${message}`}\n`);
    if (error instanceof UsageError || (error instanceof InvalidRequestError && error.setting === 'provider')) {
      process.stderr.write('Run "imagegen --help" for usage.\n');
    }
    process.exitCode = cancelled ? 130 : error instanceof UsageError ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

void main();
