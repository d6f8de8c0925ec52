/**
 * The Image Studio panel, host side: owns references, jobs and results; the webview (src/webview) only draws
 * and asks. Every message from the webview is validated (src/shared/protocol.ts). The webview never sees a key
 * and never touches the network: images reach it as webview URIs of files, partials as data URLs.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ImageMetadata } from '../core/metadata';
import type { ProviderId } from '../core/providers/registry';
import {
  fromWebviewSchema,
  studioRequestSchema,
  type FromWebview,
  type ImageView,
  type ModelView,
  type ProviderView,
  type ReferenceView,
  type StudioRequest,
  type StudioState,
  type ToWebview,
} from '../shared/protocol';
import { STUDIO_STRINGS } from '../webview/strings';
import { loadCore, type Core } from './core';
import { Disposable } from './dispose';
import { outputFolderOf, relativePath, runJob, type JobSpec } from './image-jobs';
import { insertImageLink, linkFlavour } from './links';
import { exists, writeUnique } from './output-writer';
import { IMAGE_PATTERN, pickImages } from './pickers';
import type { Services } from './services';
import { readSettings } from './settings';

export const STUDIO_VIEW_TYPE = 'imagegen.studio';
const HISTORY_LIMIT = 60;

interface Reference {
  id: string;
  name: string;
  width: number;
  height: number;
  /** A workspace file, or bytes pasted into the panel (kept in a scratch file so jobs can read them). */
  uri: vscode.Uri;
  pasted: boolean;
  mediaType: string;
}

interface KnownImage {
  view: ImageView;
  uri: vscode.Uri;
  metadata?: ImageMetadata;
}

function newId(): string {
  return randomBytes(8).toString('hex');
}

export class StudioPanel extends Disposable {
  private static current: StudioPanel | undefined;

  private references: Reference[] = [];
  private readonly images = new Map<string, KnownImage>();
  private readonly historyCache = new Map<string, { mtime: number; known: KnownImage }>();
  private job: { id: string; controller: AbortController } | undefined;
  private state: StudioState = {};
  /** The editor to insert links into: the panel has focus when its buttons are clicked. */
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;

  /** Opens (or reveals) the panel; with an image, it becomes the first reference. */
  static async show(services: Services, image?: vscode.Uri): Promise<StudioPanel> {
    if (StudioPanel.current) {
      StudioPanel.current.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(STUDIO_VIEW_TYPE, vscode.l10n.t('Image Studio'), vscode.ViewColumn.Active, StudioPanel.options(services));
      StudioPanel.current = new StudioPanel(services, panel, undefined);
    }
    if (image) await StudioPanel.current.editImage(image);
    return StudioPanel.current;
  }

  /** Restores the panel after a reload from the state the webview saved. */
  static revive(services: Services, panel: vscode.WebviewPanel, state: unknown): void {
    panel.webview.options = StudioPanel.options(services);
    StudioPanel.current?.dispose();
    StudioPanel.current = new StudioPanel(services, panel, state as StudioState | undefined);
  }

  /** Scripts on; resources limited to the bundle, media, the workspace (images) and the scratch folder. */
  private static options(services: Services): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const { extensionUri, globalStorageUri } = services.context;
    return {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [
        vscode.Uri.joinPath(extensionUri, 'dist'),
        vscode.Uri.joinPath(extensionUri, 'media'),
        globalStorageUri,
        ...(vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri),
      ],
    };
  }

  private constructor(
    private readonly services: Services,
    private readonly panel: vscode.WebviewPanel,
    restored: StudioState | undefined,
  ) {
    super();
    this.state = restored ?? {};
    this.panel.iconPath = vscode.Uri.joinPath(services.context.extensionUri, 'media', 'icon.svg');
    this.panel.webview.html = this.html();
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((message) => void this.receive(message)));
    this._register(vscode.window.onDidChangeActiveTextEditor((editor) => editor && (this.lastEditor = editor)));
    this._register(services.keys.onDidChange(async () => this.post({ type: 'keys', providers: await this.providerViews(await loadCore()) })));
  }

  override dispose(): void {
    this.job?.controller.abort();
    if (StudioPanel.current === this) StudioPanel.current = undefined;
    super.dispose();
    this.panel.dispose();
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const asset = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.services.context.extensionUri, ...path));
    return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data: blob:; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'; font-src ${webview.cspSource};">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('media', 'studio.css')}">
<title>${vscode.l10n.t('Image Studio')}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = fromWebviewSchema.safeParse(raw);
    if (!parsed.success) {
      this.services.logger.warn('studio', `ignored an invalid message from the panel: ${parsed.error.issues[0]?.message ?? ''}`);
      return;
    }
    try {
      await this.handle(parsed.data);
    } catch (error) {
      const core = await loadCore();
      this.post({ type: 'notice', level: 'error', message: core.redact(core.messageOf(error), this.services.keys.knownSecrets()) });
    }
  }

  private async handle(message: FromWebview): Promise<void> {
    const core = await loadCore();
    switch (message.type) {
      case 'ready':
        if (message.state && typeof message.state === 'object') this.state = message.state as StudioState;
        return this.sendInit(core);
      case 'state':
        this.state = (message.state ?? {}) as StudioState;
        return;
      case 'listModels':
        return this.sendModels(core, message.provider);
      case 'generate':
        return this.generate(core, message.request, message.references, message.mask);
      case 'cancel':
        if (this.job?.id === message.jobId) this.job.controller.abort();
        return;
      case 'pickReferences': {
        const picked = await pickImages(vscode.l10n.t('Image Studio: add references'), true);
        if (picked) await this.addReferences(core, picked);
        return;
      }
      case 'dropReferences': {
        const uris = message.uris.flatMap((text) => text.split(/\r?\n/)).map((text) => text.trim()).filter((text) => text && !text.startsWith('#'));
        await this.addReferences(core, uris.map((text) => (text.includes('://') || text.startsWith('file:') ? vscode.Uri.parse(text) : vscode.Uri.file(text))));
        return;
      }
      case 'pasteReference':
        return this.addPasted(core, message.name, message.dataUrl);
      case 'setReferences':
        this.references = message.ids.map((id) => this.references.find((reference) => reference.id === id)).filter((reference): reference is Reference => !!reference);
        return this.sendReferences();
      case 'imageAction':
        return this.imageAction(core, message.action, message.imageId);
      case 'refreshHistory':
        return this.sendHistory(core);
      case 'setApiKey':
        await vscode.commands.executeCommand('imagegen.setApiKey', message.provider);
        return;
    }
  }

  // --- init, providers, models -------------------------------------------------------------------------------

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  private async providerViews(core: Core): Promise<ProviderView[]> {
    return Promise.all(
      core.PROVIDER_IDS.map(async (id) => ({
        id,
        label: core.providers[id].label,
        description: core.providers[id].description,
        needsKey: core.providers[id].needsKey,
        hasKey: id !== 'placeholder' && !!(await this.services.keys.get(id)),
      })),
    );
  }

  private async modelsOf(core: Core, provider: ProviderId): Promise<{ models: ModelView[]; error?: string }> {
    const settings = readSettings(this.folder()?.uri);
    if (!core.providers[provider].listsModels) return { models: core.providers[provider].models };
    try {
      const models = await core.listModels(
        { provider, baseUrl: settings.baseUrls[provider], apiKey: await this.services.keys.get(provider), http: { timeoutMs: 20_000, maxRetries: 0 } },
        { userModels: settings.compatibleModels },
      );
      return { models };
    } catch (error) {
      const fallback = [...settings.compatibleModels, ...(settings.model && settings.provider === provider ? [settings.model] : [])];
      return {
        models: [...new Set(fallback)].map((id) => core.modelInfo(provider, id).info),
        error: core.redact(core.messageOf(error), this.services.keys.knownSecrets()),
      };
    }
  }

  private async sendModels(core: Core, provider: string): Promise<void> {
    if (!core.PROVIDER_IDS.includes(provider as ProviderId)) return;
    const { models, error } = await this.modelsOf(core, provider as ProviderId);
    this.post({ type: 'models', provider, models, ...(error ? { error } : {}) });
  }

  private strings(): Record<string, string> {
    return Object.fromEntries(STUDIO_STRINGS.map((text) => [text, vscode.l10n.t(text)]));
  }

  private async sendInit(core: Core): Promise<void> {
    const settings = readSettings(this.folder()?.uri);
    const provider = (core.PROVIDER_IDS.includes(this.state.request?.provider as ProviderId) ? this.state.request!.provider : settings.provider) as ProviderId;
    const model = this.state.request?.model || (provider === settings.provider && settings.model) || core.providers[provider].defaultModel;
    const { models } = await this.modelsOf(core, provider);
    const restoredReferences = await Promise.all((this.state.references ?? []).map((reference) => this.referenceFromPath(core, reference.path)));
    if (this.references.length === 0) this.references = restoredReferences.filter((reference): reference is Reference => !!reference);
    const restoredResults = await Promise.all((this.state.results ?? []).map((result) => this.imageFromPath(core, result.path)));
    this.post({
      type: 'init',
      providers: await this.providerViews(core),
      provider,
      model,
      models,
      defaults: {
        n: settings.n,
        ...(settings.size ? { size: settings.size } : {}),
        ...(settings.quality ? { quality: settings.quality } : {}),
        format: settings.format,
        background: settings.background,
        stream: settings.stream,
        partialImages: 2,
      },
      references: this.references.map((reference) => this.referenceView(reference)),
      results: restoredResults.filter((image): image is KnownImage => !!image).map((image) => image.view),
      autoSave: vscode.workspace.getConfiguration('imagegen').get<boolean>('studio.autoSave', true),
      strings: this.strings(),
    });
    await this.sendHistory(core);
  }

  // --- references -------------------------------------------------------------------------------------------

  private referenceView(reference: Reference): ReferenceView {
    return {
      id: reference.id,
      name: reference.name,
      src: this.panel.webview.asWebviewUri(reference.uri).toString(),
      width: reference.width,
      height: reference.height,
      ...(reference.pasted ? {} : { path: relativePath(reference.uri) }),
    };
  }

  private sendReferences(): void {
    this.post({ type: 'references', references: this.references.map((reference) => this.referenceView(reference)) });
  }

  private async referenceFrom(core: Core, uri: vscode.Uri, pasted = false): Promise<Reference | undefined> {
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const sniffed = core.sniffImage(bytes);
      if (!sniffed) return undefined;
      return { id: newId(), name: uri.path.split('/').pop() ?? 'image', width: sniffed.width, height: sniffed.height, uri, pasted, mediaType: sniffed.mediaType };
    } catch {
      return undefined;
    }
  }

  private async referenceFromPath(core: Core, path: string): Promise<Reference | undefined> {
    const folder = this.folder();
    return folder ? this.referenceFrom(core, vscode.Uri.joinPath(folder.uri, path)) : undefined;
  }

  private async addReferences(core: Core, uris: vscode.Uri[]): Promise<void> {
    const added = (await Promise.all(uris.filter((uri) => IMAGE_PATTERN.test(uri.path)).map((uri) => this.referenceFrom(core, uri)))).filter(
      (reference): reference is Reference => !!reference,
    );
    if (added.length < uris.length) this.post({ type: 'notice', level: 'warning', message: vscode.l10n.t('Only PNG, JPEG and WebP images can be references.') });
    this.references = [...this.references, ...added].slice(0, 16);
    this.sendReferences();
  }

  private async addPasted(core: Core, name: string, dataUrl: string): Promise<void> {
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    const sniffed = core.sniffImage(bytes);
    if (!sniffed) {
      this.post({ type: 'notice', level: 'warning', message: vscode.l10n.t('The pasted data is not a PNG, JPEG or WebP image.') });
      return;
    }
    const folder = vscode.Uri.joinPath(this.services.context.globalStorageUri, 'studio-inputs');
    const uri = await writeUnique(folder, `pasted-${Date.now()}.${core.extensionFor(sniffed.mediaType)}`, bytes);
    const reference = await this.referenceFrom(core, uri, true);
    if (reference) {
      reference.name = name || reference.name;
      this.references = [...this.references, reference].slice(0, 16);
    }
    this.sendReferences();
  }

  private async editImage(uri: vscode.Uri): Promise<void> {
    const core = await loadCore();
    const reference = await this.referenceFrom(core, uri);
    if (!reference) return;
    this.references = [reference, ...this.references.filter((item) => item.uri.toString() !== uri.toString())].slice(0, 16);
    this.post({ type: 'editImage', references: this.references.map((item) => this.referenceView(item)) });
  }

  // --- jobs -------------------------------------------------------------------------------------------------

  private async generate(core: Core, request: StudioRequest, referenceIds: string[], mask: string | undefined): Promise<void> {
    const folder = this.folder();
    if (!folder) {
      this.post({ type: 'notice', level: 'error', message: vscode.l10n.t('Open a folder first: ImageGen saves images into the workspace.') });
      return;
    }
    if (this.job) this.job.controller.abort();
    const jobId = newId();
    const controller = new AbortController();
    this.job = { id: jobId, controller };
    this.post({ type: 'jobStarted', jobId });
    const provider = request.provider as ProviderId;
    try {
      if (!vscode.workspace.isTrusted) throw new core.InvalidRequestError(vscode.l10n.t('ImageGen calls image services and writes files: trust this workspace to generate or edit images.'));
      if (!core.PROVIDER_IDS.includes(provider)) throw new core.InvalidRequestError(`Unknown provider "${request.provider}".`, 'provider');
      const images = referenceIds.map((id) => this.references.find((reference) => reference.id === id)?.uri).filter((uri): uri is vscode.Uri => !!uri);
      let maskUri: vscode.Uri | undefined;
      if (mask && images.length) {
        const scratch = vscode.Uri.joinPath(this.services.context.globalStorageUri, 'studio-inputs');
        maskUri = await writeUnique(scratch, `mask-${Date.now()}.png`, Buffer.from(mask.slice(mask.indexOf(',') + 1), 'base64'));
      }
      const { prompt, provider: _provider, model, ...options } = request;
      const autoSave = vscode.workspace.getConfiguration('imagegen').get<boolean>('studio.autoSave', true);
      const spec: JobSpec = {
        kind: images.length ? 'edit' : 'generate',
        prompt,
        request: options,
        provider,
        model,
        images: images.length ? images : undefined,
        mask: maskUri,
        folder,
        ...(autoSave ? {} : { outputFolder: vscode.Uri.joinPath(this.services.context.globalStorageUri, 'studio-unsaved') }),
      };
      const outcome = await runJob(this.services, spec, {
        signal: controller.signal,
        onPartial: (partial) =>
          this.post({
            type: 'partial',
            jobId,
            imageIndex: partial.imageIndex,
            partialIndex: partial.partialIndex,
            dataUrl: `data:${partial.mediaType};base64,${Buffer.from(partial.bytes).toString('base64')}`,
          }),
        onProgress: (progress) => this.post({ type: 'progress', jobId, status: progress.status, ...(progress.percent !== undefined ? { percent: progress.percent } : {}) }),
      });
      const views: ImageView[] = [];
      for (const saved of outcome.saved) {
        const known = await this.imageFromUri(core, saved.uri, autoSave);
        if (known) views.push(known.view);
      }
      this.post({ type: 'jobDone', jobId, images: views, warnings: outcome.warnings, ...(outcome.usage?.estimatedCostUsd !== undefined ? { costUsd: outcome.usage.estimatedCostUsd } : {}) });
      if (autoSave) void this.sendHistory(core);
    } catch (error) {
      const cancelled = error instanceof core.CancelledError;
      const needsKey = error instanceof core.MissingApiKeyError || (error instanceof core.ApiCallError && (error.status === 401 || error.status === 403));
      const setting = error instanceof core.InvalidRequestError ? error.setting : undefined;
      this.post({
        type: 'jobFailed',
        jobId,
        cancelled,
        message: cancelled ? vscode.l10n.t('Cancelled; nothing was written.') : core.redact(core.messageOf(error), this.services.keys.knownSecrets()),
        ...(setting ? { setting } : {}),
        ...(needsKey ? { needsKey: provider } : {}),
      });
      if (!cancelled && !(error instanceof core.ImageGenError)) this.services.logger.error('studio', error instanceof Error ? (error.stack ?? String(error)) : String(error));
    } finally {
      if (this.job?.id === jobId) this.job = undefined;
    }
  }

  // --- images: results and history ----------------------------------------------------------------------------

  private async imageFromUri(core: Core, uri: vscode.Uri, saved: boolean): Promise<KnownImage | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      return undefined;
    }
    const sniffed = core.sniffImage(bytes);
    if (!sniffed) return undefined;
    let metadata: ImageMetadata | undefined;
    if (sniffed.mediaType === 'image/png') metadata = core.readMetadata({ png: bytes });
    else {
      try {
        metadata = core.readMetadata({ sidecar: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri.with({ path: core.sidecarPath(uri.path) }))) });
      } catch {
        metadata = undefined;
      }
    }
    const existing = [...this.images.values()].find((image) => image.uri.toString() === uri.toString());
    const view: ImageView = {
      id: existing?.view.id ?? newId(),
      src: this.panel.webview.asWebviewUri(uri).toString(),
      ...(saved ? { path: relativePath(uri) } : {}),
      saved,
      width: sniffed.width,
      height: sniffed.height,
      mediaType: sniffed.mediaType,
      prompt: metadata?.prompt ?? '',
      provider: metadata?.provider ?? '',
      model: metadata?.model ?? '',
      ...(metadata?.revisedPrompt ? { revisedPrompt: metadata.revisedPrompt } : {}),
      ...(metadata?.createdAt ? { createdAt: metadata.createdAt } : {}),
    };
    const known = { view, uri, metadata };
    this.images.set(view.id, known);
    return known;
  }

  private async imageFromPath(core: Core, path: string): Promise<KnownImage | undefined> {
    const folder = this.folder();
    return folder ? this.imageFromUri(core, vscode.Uri.joinPath(folder.uri, path), true) : undefined;
  }

  /** The workspace's generated images, newest first, with the prompt and settings read from their metadata. */
  private async sendHistory(core: Core): Promise<void> {
    const folder = this.folder();
    if (!folder) return this.post({ type: 'history', images: [] });
    const output = outputFolderOf(folder);
    const pattern = new vscode.RelativePattern(output, '**/*.{png,jpg,jpeg,webp}');
    const files = await vscode.workspace.findFiles(pattern, undefined, 500);
    const dated = await Promise.all(files.map(async (uri) => ({ uri, mtime: (await vscode.workspace.fs.stat(uri)).mtime })));
    dated.sort((a, b) => b.mtime - a.mtime);
    const images: ImageView[] = [];
    for (const { uri, mtime } of dated.slice(0, HISTORY_LIMIT)) {
      // History is sent after every job: read (whole) files again only when they changed.
      const cached = this.historyCache.get(uri.toString());
      const known = cached?.mtime === mtime ? cached.known : await this.imageFromUri(core, uri, true);
      if (known) this.historyCache.set(uri.toString(), { mtime, known });
      if (known?.metadata) images.push(known.view);
    }
    this.post({ type: 'history', images });
  }

  private async imageAction(core: Core, action: string, imageId: string): Promise<void> {
    const image = this.images.get(imageId);
    if (!image) return;
    const folder = this.folder();
    switch (action) {
      case 'save': {
        if (image.view.saved || !folder) return;
        const bytes = await vscode.workspace.fs.readFile(image.uri);
        const name = image.uri.path.split('/').pop()!;
        let sidecar: string | undefined;
        if (image.view.mediaType !== 'image/png') {
          const sidecarUri = image.uri.with({ path: core.sidecarPath(image.uri.path) });
          if (await exists(sidecarUri)) sidecar = new TextDecoder().decode(await vscode.workspace.fs.readFile(sidecarUri));
        }
        const uri = await writeUnique(outputFolderOf(folder), name, bytes, sidecar);
        const saved = await this.imageFromUri(core, uri, true);
        if (saved) {
          this.images.delete(imageId);
          saved.view.id = imageId;
          this.images.set(imageId, saved);
          this.post({ type: 'imageUpdated', image: saved.view });
          await this.sendHistory(core);
        }
        return;
      }
      case 'open':
        await vscode.commands.executeCommand('vscode.open', image.uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
        return;
      case 'reveal':
        if (image.view.saved) await vscode.commands.executeCommand('revealInExplorer', image.uri);
        else await vscode.commands.executeCommand('revealFileInOS', image.uri);
        return;
      case 'copyPath':
        await vscode.env.clipboard.writeText(image.view.path ?? image.uri.fsPath);
        this.post({ type: 'notice', level: 'info', message: vscode.l10n.t('Copied {0}', image.view.path ?? image.uri.fsPath) });
        return;
      case 'insertLink': {
        const editor = this.lastEditor && vscode.window.visibleTextEditors.includes(this.lastEditor) ? this.lastEditor : vscode.window.visibleTextEditors[0];
        const flavour = editor && linkFlavour(editor.document.languageId);
        if (!editor || !flavour) {
          this.post({ type: 'notice', level: 'warning', message: vscode.l10n.t('Open a Markdown, HTML or JSX file to insert a link into.') });
          return;
        }
        await insertImageLink(editor, editor.selection.active, image.uri, image.view.prompt, flavour);
        this.post({ type: 'notice', level: 'info', message: vscode.l10n.t('Link inserted into {0}', relativePath(editor.document.uri)) });
        return;
      }
      case 'useAsReference':
        await this.addReferences(core, [image.uri]);
        return;
      case 'editAgain':
        await this.editImage(image.uri);
        return;
      case 'regenerate': {
        const metadata = image.metadata;
        if (!metadata) {
          this.post({ type: 'notice', level: 'warning', message: vscode.l10n.t('This image has no ImageGen metadata to regenerate from.') });
          return;
        }
        const references = await Promise.all((metadata.references ?? []).map((path) => this.referenceFromPath(core, path)));
        const settings = metadata.settings as Partial<StudioRequest>;
        const request = { ...settings, prompt: metadata.prompt, provider: metadata.provider, model: metadata.model, n: typeof settings.n === 'number' ? settings.n : 1 };
        const parsed = studioRequestSchema.safeParse(request);
        if (!parsed.success) {
          this.post({ type: 'notice', level: 'warning', message: vscode.l10n.t('The recorded settings cannot be used again: {0}', parsed.error.issues[0]?.message ?? '') });
          return;
        }
        const present = references.filter((reference): reference is Reference => !!reference);
        this.references = [...present, ...this.references.filter((reference) => !present.some((item) => item.uri.toString() === reference.uri.toString()))];
        this.sendReferences();
        await this.generate(core, parsed.data, present.map((reference) => reference.id), undefined);
        return;
      }
    }
  }
}
