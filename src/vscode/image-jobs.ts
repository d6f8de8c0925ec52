/**
 * One image job from the editor's side: settings and key in, core call, files out (atomically, with metadata),
 * a summary in the log. Shared by the commands and the Image Studio panel.
 */
import * as vscode from 'vscode';
import type { ImageRequest, ImageResult, ModelCapabilities, PartialImage, Warning } from '../core/image-model';
import type { ProviderId } from '../core/providers/registry';
import { loadCore, type Core } from './core';
import { writeUnique } from './output-writer';
import type { Services } from './services';
import { readSettings, type ImageGenSettings } from './settings';

export interface JobSpec {
  kind: 'generate' | 'edit';
  prompt: string;
  /** Explicit options; they win over the defaults in settings and are refused when the model cannot do them. */
  request?: Partial<Omit<ImageRequest, 'prompt'>>;
  images?: vscode.Uri[];
  mask?: vscode.Uri;
  /** Overrides the provider and model in settings (Regenerate, the panel's pickers). */
  provider?: ProviderId;
  model?: string;
  /** The workspace folder whose output folder receives the images. */
  folder: vscode.WorkspaceFolder;
  /** Write here instead of the output folder (the Studio keeps unsaved results outside the workspace). */
  outputFolder?: vscode.Uri;
}

export interface JobHooks {
  signal?: AbortSignal;
  onPartial?: (partial: PartialImage) => void;
  onProgress?: (progress: { status: string; percent?: number }) => void;
}

export interface SavedImage {
  uri: vscode.Uri;
  width: number;
  height: number;
  mediaType: string;
  revisedPrompt?: string;
}

export interface JobOutcome {
  saved: SavedImage[];
  warnings: string[];
  usage?: ImageResult['usage'];
  provider: ProviderId;
  model: string;
}

/** Where generated images of a workspace folder go. */
export function outputFolderOf(folder: vscode.WorkspaceFolder, settings: ImageGenSettings = readSettings(folder.uri)): vscode.Uri {
  return vscode.Uri.joinPath(folder.uri, ...settings.outputFolder.split(/[\\/]+/).filter(Boolean));
}

/** The workspace-relative path of a file, for metadata and links. */
export function relativePath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}


/** The model a job will use, built from settings (or overrides) and the stored key. */
export async function modelFor(services: Services, settings: ImageGenSettings, provider: ProviderId, modelId: string | undefined) {
  const core = await loadCore();
  return core.createImageModel({
    provider,
    model: modelId || undefined,
    baseUrl: settings.baseUrls[provider],
    apiKey: provider === 'placeholder' ? undefined : await services.keys.get(provider),
    http: { timeoutMs: settings.requestTimeoutSeconds * 1000 },
  });
}

/**
 * The request: defaults from settings where the model can honour them (the rest dropped with a warning
 * saying so), then the job's explicit options, which validation checks strictly.
 */
export function buildRequest(settings: ImageGenSettings, capabilities: ModelCapabilities, spec: JobSpec, core: Core): { request: ImageRequest; warnings: string[] } {
  const warnings: string[] = [];
  const defaults: Partial<ImageRequest> = { n: settings.n };
  const sizes = core.sizeChoices(capabilities);
  if (settings.size !== 'auto' || capabilities.autoSize) {
    if (sizes.includes(settings.size) || (capabilities.customSize && settings.size !== 'auto')) defaults.size = settings.size;
    else warnings.push(vscode.l10n.t('The default size {0} is not available for this model; using its default size.', settings.size));
  }
  if (settings.quality) {
    if (capabilities.qualities.includes(settings.quality)) defaults.quality = settings.quality;
    else warnings.push(vscode.l10n.t('The default quality {0} is not available for this model; using its default quality.', settings.quality));
  }
  if (capabilities.formats.includes(settings.format)) {
    if (settings.format !== 'png') defaults.format = settings.format;
  } else {
    warnings.push(vscode.l10n.t('The default format {0} is not available for this model; using {1}.', settings.format, capabilities.formats[0] ?? 'png'));
  }
  if (settings.background !== 'auto') {
    if (capabilities.transparency === 'no') warnings.push(vscode.l10n.t('This model has no background setting; the default background was not sent.'));
    else defaults.background = settings.background;
  }
  if (settings.stream && capabilities.streaming) {
    defaults.stream = true;
    defaults.partialImages = 2;
  }
  const request = { ...defaults, ...spec.request, prompt: spec.prompt } as ImageRequest;
  if (request.aspectRatio) delete request.size;
  if (request.background === 'transparent' && request.format === 'jpeg' && spec.request?.format === undefined) delete request.format;
  return { request, warnings };
}

function describeWarning(warning: Warning): string {
  return warning.type === 'unsupported' ? warning.details : warning.message;
}

/** Runs a job to files on disk. Throws the core's errors (the caller shows them); a cancel leaves no file. */
export async function runJob(services: Services, spec: JobSpec, hooks: JobHooks = {}): Promise<JobOutcome> {
  const core = await loadCore();
  const settings = readSettings(spec.folder.uri);
  const provider = spec.provider ?? settings.provider;
  const model = await modelFor(services, settings, provider, spec.provider ? spec.model : spec.model ?? settings.model);
  const { request, warnings } = buildRequest(settings, model.capabilities, spec, core);
  const started = Date.now();
  const options = { signal: hooks.signal, onPartial: hooks.onPartial, onProgress: hooks.onProgress, concurrency: settings.maxParallelRequests };
  const describe = `${spec.kind} ${provider} ${model.modelId} size=${request.size ?? request.aspectRatio ?? 'default'} n=${request.n ?? 1}`;
  services.logger.info('job', `${describe}: started`);
  let result: ImageResult;
  try {
    if (spec.kind === 'edit') {
      const images = await Promise.all((spec.images ?? []).map(async (uri) => ({ bytes: await vscode.workspace.fs.readFile(uri), filename: uri.path.split('/').pop() })));
      const mask = spec.mask ? { bytes: await vscode.workspace.fs.readFile(spec.mask), filename: spec.mask.path.split('/').pop() } : undefined;
      result = await core.editImages(model, { ...request, images, ...(mask ? { mask } : {}) }, options);
    } else {
      result = await core.generateImages(model, request, options);
    }
  } catch (error) {
    services.logger.warn('job', `${describe}: ${error instanceof core.CancelledError ? 'cancelled' : core.messageOf(error)} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    throw error;
  }
  if (hooks.signal?.aborted) throw new core.CancelledError();

  const folder = spec.outputFolder ?? outputFolderOf(spec.folder, settings);
  const date = new Date();
  const saved: SavedImage[] = [];
  for (const [index, image] of result.images.entries()) {
    const fileName = core.fileNameFor(settings.fileNameTemplate, {
      prompt: spec.prompt,
      index: index + 1,
      count: result.images.length,
      extension: core.extensionFor(image.mediaType),
      provider,
      model: model.modelId,
      date,
    });
    const { prompt: _prompt, ...sent } = request;
    const metadata = core.metadataFor({
      kind: spec.kind,
      request: { prompt: spec.prompt, ...sent },
      provider,
      model: model.modelId,
      baseUrl: settings.baseUrls[provider],
      revisedPrompt: image.revisedPrompt,
      result: { ...result.metadata, ...(result.usage ? { usage: result.usage } : {}) },
      references: spec.images?.map(relativePath),
      mask: spec.mask && relativePath(spec.mask),
      createdAt: date,
    });
    const { bytes, sidecar } = core.attachMetadata(image.bytes, image.mediaType, metadata);
    const uri = await writeUnique(folder, fileName, bytes, sidecar);
    saved.push({ uri, width: image.width, height: image.height, mediaType: image.mediaType, ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}) });
  }
  const bytes = result.images.reduce((total, image) => total + image.bytes.length, 0);
  const cost = result.usage?.estimatedCostUsd !== undefined ? ` ~$${result.usage.estimatedCostUsd}` : '';
  services.logger.info('job', `${describe}: ${saved.length} image(s), ${(bytes / 1048576).toFixed(2)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s${cost} → ${saved.map((image) => relativePath(image.uri)).join(', ')}`);
  const allWarnings = [...warnings, ...result.warnings.map(describeWarning)];
  for (const warning of allWarnings) services.logger.warn('job', warning);
  return { saved, warnings: allWarnings, usage: result.usage, provider, model: model.modelId };
}
