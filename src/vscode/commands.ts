/**
 * The commands. Loaded on the first command, not at activation. Each takes optional arguments so keybindings,
 * tasks and other extensions can run it without dialogs; without them, it asks.
 */
import * as vscode from 'vscode';
import type { ImageRequest } from '../core/image-model';
import type { ProviderId } from '../core/providers/registry';
import { loadCore } from './core';
import { relativePath, type JobOutcome, type JobSpec } from './image-jobs';
import { runJobWithUi, showError } from './job-ui';
import { insertImageLink, linkFlavour } from './links';
import { CREATE_IMAGE_COMMAND, type CreateImageArguments } from './missing-image-fix';
import { exists, writeUnique } from './output-writer';
import { askPrompt, describeCapabilities, IMAGE_PATTERN, pickImages, pickMask, pickModel, pickProvider, rememberPrompt } from './pickers';
import type { Services } from './services';
import { readSettings, updateSetting } from './settings';

/** Arguments any job command accepts instead of asking. */
export interface JobArguments {
  prompt?: string;
  request?: Partial<Omit<ImageRequest, 'prompt'>>;
  provider?: ProviderId;
  model?: string;
  images?: vscode.Uri[];
  mask?: vscode.Uri;
  cancellation?: vscode.CancellationToken;
  open?: boolean;
}

function folderFor(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  return (target && vscode.workspace.getWorkspaceFolder(target)) ?? vscode.workspace.workspaceFolders?.[0];
}

function noFolder(): undefined {
  void vscode.window.showErrorMessage(vscode.l10n.t('Open a folder first: ImageGen saves images into the workspace.'));
  return undefined;
}

function isArguments(value: unknown): value is JobArguments {
  return !!value && typeof value === 'object' && !(value instanceof vscode.Uri) && !Array.isArray(value);
}

/** The images a command was invoked on: Explorer (clicked, selection), editor title (uri), arguments, or the active image tab. */
function invokedImages(first: unknown, second: unknown): vscode.Uri[] {
  if (isArguments(first) && first.images) return first.images;
  const selection = Array.isArray(second) ? (second as vscode.Uri[]) : [];
  const clicked = first instanceof vscode.Uri ? first : activeImage();
  const all = clicked ? [clicked, ...selection.filter((uri) => uri.toString() !== clicked.toString())] : selection;
  return all.filter((uri) => IMAGE_PATTERN.test(uri.path));
}

function activeImage(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri && IMAGE_PATTERN.test(uri.path) ? uri : undefined;
}

export function createCommands(services: Services): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const { context } = services;

  async function generate(raw?: unknown): Promise<JobOutcome | undefined> {
    const args = isArguments(raw) ? raw : {};
    const folder = folderFor();
    if (!folder) return noFolder();
    const prompt = args.prompt ?? (await askPrompt(context, vscode.l10n.t('ImageGen: Generate Image'), vscode.l10n.t('Describe the image, e.g. "hero banner, flat illustration, blue tones"')));
    if (!prompt) return undefined;
    if (args.prompt) await rememberPrompt(context, prompt);
    return runJobWithUi(services, { kind: 'generate', prompt, request: args.request, provider: args.provider, model: args.model, folder }, args);
  }

  async function generateFromSelection(raw?: unknown): Promise<JobOutcome | undefined> {
    const args = isArguments(raw) ? raw : {};
    const editor = vscode.window.activeTextEditor;
    const selection = editor?.selection;
    const prompt = editor && selection && !selection.isEmpty ? editor.document.getText(selection).trim() : '';
    if (!editor || !prompt) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Select the text to use as the prompt first.'));
      return undefined;
    }
    const folder = folderFor(editor.document.uri);
    if (!folder) return noFolder();
    await rememberPrompt(context, prompt);
    const outcome = await runJobWithUi(services, { kind: 'generate', prompt, request: args.request, provider: args.provider, model: args.model, folder }, { ...args, open: args.open ?? false });
    const image = outcome?.saved[0];
    const flavour = linkFlavour(editor.document.languageId);
    if (!image || !flavour) return outcome;
    const preference = readSettings(folder.uri).insertLinkAfterSelection;
    const insert = vscode.l10n.t('Insert Link');
    const wanted = preference === 'always' || (preference === 'ask' && (await vscode.window.showInformationMessage(vscode.l10n.t('Image saved as {0}.', relativePath(image.uri)), insert)) === insert);
    if (wanted) await insertImageLink(editor, selection!.end, image.uri, prompt, flavour, true);
    if (preference !== 'ask' || !wanted) await vscode.commands.executeCommand('vscode.open', image.uri, { preview: false, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    return outcome;
  }

  async function edit(withMask: boolean, first?: unknown, second?: unknown): Promise<JobOutcome | undefined> {
    const args = isArguments(first) ? first : {};
    let images = invokedImages(first, second);
    if (images.length === 0) images = (await pickImages(vscode.l10n.t('ImageGen: images to edit'), true)) ?? [];
    if (images.length === 0) return undefined;
    const folder = folderFor(images[0]);
    if (!folder) return noFolder();
    const core = await loadCore();
    let mask = args.mask;
    if (withMask && !mask) {
      mask = await pickMask(images[0]!);
      if (!mask) return undefined;
    }
    // Check references and mask before asking for a prompt: a wrong mask is refused before any request.
    try {
      const settings = readSettings(folder.uri);
      const provider = args.provider ?? settings.provider;
      const info = core.modelInfo(provider, (args.provider ? args.model : args.model ?? settings.model) || core.providers[provider].defaultModel).info;
      const label = `${core.providers[provider].label} ${info.id}`;
      if (!info.capabilities.edit) throw new core.InvalidRequestError(vscode.l10n.t('{0} cannot edit images. Choose another model with "ImageGen: Select Provider and Model".', label));
      const read = async (uri: vscode.Uri) => ({ bytes: await vscode.workspace.fs.readFile(uri), filename: uri.path.split('/').pop() });
      core.checkEditInputs(label, info.capabilities, await Promise.all(images.map(read)), mask ? await read(mask) : undefined);
    } catch (error) {
      await showError(services, error);
      return undefined;
    }
    const names = images.map((uri) => uri.path.split('/').pop()).join(', ');
    const prompt = args.prompt ?? (await askPrompt(context, vscode.l10n.t('ImageGen: Edit {0}', names), vscode.l10n.t('Describe the change, e.g. "make the sky a sunset"')));
    if (!prompt) return undefined;
    if (args.prompt) await rememberPrompt(context, prompt);
    const spec: JobSpec = { kind: 'edit', prompt, request: args.request, provider: args.provider, model: args.model, images, mask, folder };
    return runJobWithUi(services, spec, args);
  }

  async function regenerate(first?: unknown): Promise<JobOutcome | undefined> {
    const args = isArguments(first) ? first : {};
    const uri = (first instanceof vscode.Uri ? first : undefined) ?? args.images?.[0] ?? activeImage() ?? (await pickImages(vscode.l10n.t('ImageGen: image to regenerate'), false))?.[0];
    if (!uri) return undefined;
    const folder = folderFor(uri);
    if (!folder) return noFolder();
    const core = await loadCore();
    const sidecar = uri.with({ path: core.sidecarPath(uri.path) });
    const metadata = /\.png$/i.test(uri.path)
      ? core.readMetadata({ png: await vscode.workspace.fs.readFile(uri) })
      : (await exists(sidecar))
        ? core.readMetadata({ sidecar: new TextDecoder().decode(await vscode.workspace.fs.readFile(sidecar)) })
        : undefined;
    if (!metadata) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} has no ImageGen metadata (prompt and settings) to regenerate from.', relativePath(uri)));
      return undefined;
    }
    const resolveInWorkspace = (path: string) => vscode.Uri.joinPath(folder.uri, path);
    const images = metadata.references?.map(resolveInWorkspace);
    for (const reference of [...(images ?? []), ...(metadata.mask ? [resolveInWorkspace(metadata.mask)] : [])]) {
      if (!(await exists(reference))) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Cannot regenerate: the reference {0} no longer exists.', relativePath(reference)));
        return undefined;
      }
    }
    const request = metadata.settings as JobSpec['request'];
    const provider = core.PROVIDER_IDS.includes(metadata.provider as ProviderId) ? (metadata.provider as ProviderId) : undefined;
    return runJobWithUi(
      services,
      { kind: metadata.kind, prompt: metadata.prompt, request, provider, model: metadata.model, images, mask: metadata.mask ? resolveInWorkspace(metadata.mask) : undefined, folder },
      args,
    );
  }

  async function selectModel(): Promise<void> {
    const core = await loadCore();
    const folder = folderFor();
    const settings = readSettings(folder?.uri);
    const provider = await pickProvider(core, vscode.l10n.t('ImageGen: choose a provider'));
    if (!provider) return;
    let models = core.providers[provider].models;
    if (core.providers[provider].listsModels) {
      try {
        models = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ImageGen: asking the gateway for its models…'), cancellable: true }, async (_progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return core.listModels(
            { provider, baseUrl: settings.baseUrls[provider], apiKey: await services.keys.get(provider), http: { timeoutMs: 30_000, maxRetries: 0 } },
            { signal: controller.signal, userModels: settings.compatibleModels },
          );
        });
      } catch (error) {
        services.logger.warn('models', core.messageOf(error));
        models = settings.compatibleModels.map((id) => core.modelInfo(provider, id).info);
        void vscode.window.showWarningMessage(vscode.l10n.t('Could not list the gateway\'s models ({0}). Type a model id instead.', core.redact(core.messageOf(error), services.keys.knownSecrets())));
      }
    }
    const current = provider === settings.provider ? settings.model || core.providers[provider].defaultModel : core.providers[provider].defaultModel;
    const model = provider === 'placeholder' ? 'placeholder' : await pickModel(core, models, provider, current);
    if (!model) return;
    await updateSetting('provider', provider, folder?.uri);
    await updateSetting('model', provider === 'placeholder' ? '' : model, folder?.uri);
    const info = core.modelInfo(provider, model).info;
    services.logger.info('settings', `provider ${provider}, model ${model}`);
    if (core.providers[provider].needsKey && !(await services.keys.get(provider))) {
      const setKey = vscode.l10n.t('Set API Key');
      void vscode.window
        .showWarningMessage(vscode.l10n.t('{0} needs an API key.', core.providers[provider].label), setKey)
        .then((choice) => choice === setKey && vscode.commands.executeCommand('imagegen.setApiKey', provider));
    } else {
      void vscode.window.showInformationMessage(vscode.l10n.t('ImageGen now uses {0} {1}: {2}', core.providers[provider].label, model, describeCapabilities(core, info)));
    }
  }

  async function setApiKey(raw?: unknown): Promise<void> {
    const core = await loadCore();
    const provider = typeof raw === 'string' && core.PROVIDER_IDS.includes(raw as ProviderId) ? (raw as ProviderId) : await pickProvider(core, vscode.l10n.t('ImageGen: set the API key of…'), (id) => id !== 'placeholder');
    if (!provider) return;
    const label = core.providers[provider].label;
    const key = await vscode.window.showInputBox({
      title: vscode.l10n.t('API key for {0}', label),
      prompt: vscode.l10n.t('Stored in the OS key store (VS Code SecretStorage), never in settings or logs.'),
      password: true,
      ignoreFocusOut: true,
      placeHolder: 'sk-…',
      validateInput: (value) => (!value.trim() ? vscode.l10n.t('Paste the key') : /\s/.test(value.trim()) ? vscode.l10n.t('A key has no spaces') : undefined),
    });
    if (!key) return;
    await services.keys.set(provider, key);
    services.logger.info('keys', `API key for ${provider} stored`);
    void vscode.window.showInformationMessage(vscode.l10n.t('API key for {0} saved.', label));
  }

  async function clearApiKey(raw?: unknown): Promise<void> {
    const core = await loadCore();
    const provider = typeof raw === 'string' && core.PROVIDER_IDS.includes(raw as ProviderId) ? (raw as ProviderId) : await pickProvider(core, vscode.l10n.t('ImageGen: clear the API key of…'), (id) => id !== 'placeholder');
    if (!provider) return;
    await services.keys.delete(provider);
    services.logger.info('keys', `API key for ${provider} cleared`);
    void vscode.window.showInformationMessage(vscode.l10n.t('API key for {0} cleared.', core.providers[provider].label));
  }

  /** The missing-image quick fix: an image at exactly the path the document refers to. */
  async function createImageAt(args: CreateImageArguments): Promise<vscode.Uri | undefined> {
    const folder = folderFor(args.target);
    if (!folder) return noFolder();
    const directory = vscode.Uri.joinPath(args.target, '..');
    const name = args.target.path.split('/').pop()!;
    const size = args.width && args.height ? `${args.width}x${args.height}` : undefined;
    const outcome = await runJobWithUi(
      services,
      {
        kind: 'generate',
        prompt: args.prompt,
        request: { n: 1, ...(size ? { size } : {}), ...(/\.jpe?g$/i.test(name) ? { format: 'jpeg' as const } : /\.webp$/i.test(name) ? { format: 'webp' as const } : {}) },
        ...(args.placeholder ? { provider: 'placeholder' as const } : {}),
        folder,
        outputFolder: vscode.Uri.joinPath(services.context.globalStorageUri, 'quick-fix'),
      },
      { open: false },
    );
    const made = outcome?.saved[0];
    if (!made) return undefined;
    // The document names the file: put the image exactly there (never over an existing file).
    const bytes = await vscode.workspace.fs.readFile(made.uri);
    const sidecar = vscode.Uri.joinPath(made.uri, '..', `${made.uri.path.split('/').pop()}.json`);
    const sidecarText = (await exists(sidecar)) ? new TextDecoder().decode(await vscode.workspace.fs.readFile(sidecar)) : undefined;
    const written = await writeUnique(directory, name, bytes, sidecarText);
    await vscode.workspace.fs.delete(made.uri).then(undefined, () => undefined);
    if (sidecarText !== undefined) await vscode.workspace.fs.delete(sidecar).then(undefined, () => undefined);
    if (written.path !== args.target.path) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} appeared meanwhile; the image was saved as {1}.', name, written.path.split('/').pop()!));
    }
    return written;
  }

  return {
    'imagegen.generate': generate,
    'imagegen.generateFromSelection': generateFromSelection,
    'imagegen.editImage': (first, second) => edit(false, first, second),
    'imagegen.editImageWithMask': (first, second) => edit(true, first, second),
    'imagegen.regenerate': regenerate,
    'imagegen.selectModel': selectModel,
    'imagegen.setApiKey': setApiKey,
    'imagegen.clearApiKey': clearApiKey,
    'imagegen.showLog': async () => services.logger.show(),
    [CREATE_IMAGE_COMMAND]: async (raw) => createImageAt(raw as CreateImageArguments),
    'imagegen.openStudio': async (first) => {
      const { StudioPanel } = await import('./studio-panel');
      const image = first instanceof vscode.Uri && IMAGE_PATTERN.test(first.path) ? first : undefined;
      await StudioPanel.show(services, image);
    },
  };
}
