/** The small dialogs commands use: prompt with history, images from the workspace, provider, model, mask. */
import * as vscode from 'vscode';
import type { ModelInfo } from '../core/image-model';
import type { ProviderId } from '../core/providers/registry';
import type { Core } from './core';

const HISTORY_KEY = 'imagegen.promptHistory';
const HISTORY_SIZE = 30;
export const IMAGE_PATTERN = /\.(png|jpe?g|webp)$/i;

/**
 * A prompt: type a new one or pick a recent one. Returns undefined when dismissed.
 * (A QuickPick, not an InputBox, because only a QuickPick can offer the history.)
 */
export function askPrompt(context: vscode.ExtensionContext, title: string, placeholder: string): Promise<string | undefined> {
  const history = context.globalState.get<string[]>(HISTORY_KEY, []);
  const pick = vscode.window.createQuickPick();
  pick.title = title;
  pick.placeholder = placeholder;
  pick.ignoreFocusOut = true;
  const historyItems = history.map((prompt) => ({ label: prompt, description: vscode.l10n.t('recent') }));
  pick.items = historyItems;
  pick.onDidChangeValue((value) => {
    const typed = value.trim();
    pick.items = typed ? [{ label: typed, description: vscode.l10n.t('new prompt') }, ...historyItems.filter((item) => item.label !== typed)] : historyItems;
  });
  return new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const prompt = (pick.selectedItems[0]?.label ?? pick.value).trim();
      pick.hide();
      resolve(prompt || undefined);
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  }).then(async (prompt) => {
    if (prompt) await rememberPrompt(context, prompt);
    return prompt;
  });
}

export async function rememberPrompt(context: vscode.ExtensionContext, prompt: string): Promise<void> {
  const history = context.globalState.get<string[]>(HISTORY_KEY, []).filter((item) => item !== prompt);
  await context.globalState.update(HISTORY_KEY, [prompt, ...history].slice(0, HISTORY_SIZE));
}

/** Images in the workspace, several selectable; the first picked is the one edited. */
export async function pickImages(title: string, many: boolean): Promise<vscode.Uri[] | undefined> {
  const files = await vscode.workspace.findFiles('**/*.{png,PNG,jpg,JPG,jpeg,JPEG,webp,WEBP}', '**/{node_modules,.git}/**', 2000);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No PNG, JPEG or WebP images in this workspace.'));
    return undefined;
  }
  const items = files
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri, false), uri }))
    .sort((a, b) => a.label.localeCompare(b.label));
  if (!many) {
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Pick an image') });
    return picked ? [picked.uri] : undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title, canPickMany: true, placeHolder: vscode.l10n.t('Pick the image to edit, then any references') });
  return picked?.length ? picked.map((item) => item.uri) : undefined;
}

export async function pickMask(near: vscode.Uri): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Pick a mask: a PNG of the same size, transparent where the image should change'),
    defaultUri: vscode.Uri.joinPath(near, '..'),
    canSelectMany: false,
    filters: { PNG: ['png'] },
  });
  return picked?.[0];
}

/** One line of what a model can do, for pickers and the panel. */
export function describeCapabilities(core: Core, model: ModelInfo): string {
  const capabilities = model.capabilities;
  const parts = [
    capabilities.generate ? vscode.l10n.t('generate') : vscode.l10n.t('edit only'),
    capabilities.edit && capabilities.generate ? vscode.l10n.t('edit') : undefined,
    capabilities.mask ? vscode.l10n.t('mask') : undefined,
    vscode.l10n.t('≤{0}/call', capabilities.maxImagesPerCall),
    capabilities.maxInputImages ? vscode.l10n.t('{0} refs', capabilities.maxInputImages) : undefined,
    capabilities.customSize ? vscode.l10n.t('custom sizes') : core.sizeChoices(capabilities).join(' '),
    capabilities.aspectRatio ? vscode.l10n.t('aspect ratio + 1K/2K/4K') : undefined,
    capabilities.streaming ? vscode.l10n.t('stream') : undefined,
    capabilities.transparency === 'yes' ? vscode.l10n.t('transparent') : undefined,
    capabilities.pricing ? vscode.l10n.t('priced') : undefined,
  ];
  return parts.filter(Boolean).join(' · ');
}

export async function pickProvider(core: Core, title: string, only?: (id: ProviderId) => boolean): Promise<ProviderId | undefined> {
  const items = core.PROVIDER_IDS.filter((id) => !only || only(id)).map((id) => ({
    label: core.providers[id].label,
    description: id,
    detail: core.providers[id].description,
    id,
  }));
  return (await vscode.window.showQuickPick(items, { title, matchOnDescription: true }))?.id;
}

export async function pickModel(core: Core, models: ModelInfo[], provider: ProviderId, current: string): Promise<string | undefined> {
  const items: (vscode.QuickPickItem & { id: string })[] = models.map((model) => ({
    label: model.id,
    description: model.id === current ? vscode.l10n.t('current') : model.description,
    detail: describeCapabilities(core, model),
    id: model.id,
  }));
  if (provider === 'compatible') items.push({ label: vscode.l10n.t('Other model id…'), id: '' , alwaysShow: true });
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('{0}: choose a model', core.providers[provider].label), matchOnDetail: true });
  if (!picked) return undefined;
  if (picked.id) return picked.id;
  return (await vscode.window.showInputBox({ title: vscode.l10n.t('Model id on the gateway'), ignoreFocusOut: true }))?.trim() || undefined;
}
