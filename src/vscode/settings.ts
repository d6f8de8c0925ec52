import * as vscode from 'vscode';
import * as z from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../core/providers/registry';

/**
 * `imagegen.*` settings, validated: a bad value never crashes a command; it is replaced by its default and
 * the user is told once which setting to fix.
 */
const settingsSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  model: z.string().trim(),
  baseUrls: z.partialRecord(z.enum(PROVIDER_IDS), z.string().url()),
  compatibleModels: z.array(z.string().trim().min(1)),
  outputFolder: z
    .string()
    .trim()
    .refine((value) => !value.split(/[\\/]/).includes('..'), 'must stay inside the workspace folder (no "..")'),
  fileNameTemplate: z.string().trim().min(1),
  size: z.string().regex(/^(auto|\d{1,5}x\d{1,5})$/, 'must be "auto" or WIDTHxHEIGHT'),
  quality: z.string().trim(),
  format: z.enum(['png', 'jpeg', 'webp']),
  background: z.enum(['auto', 'opaque', 'transparent']),
  n: z.number().int().min(1).max(16),
  stream: z.boolean(),
  requestTimeoutSeconds: z.number().int().min(10).max(3600),
  maxParallelRequests: z.number().int().min(1).max(16),
  insertLinkAfterSelection: z.enum(['ask', 'always', 'never']),
});

export type ImageGenSettings = z.infer<typeof settingsSchema>;

const KEYS: Record<keyof ImageGenSettings, string> = {
  provider: 'provider',
  model: 'model',
  baseUrls: 'baseUrls',
  compatibleModels: 'compatibleModels',
  outputFolder: 'outputFolder',
  fileNameTemplate: 'fileNameTemplate',
  size: 'defaults.size',
  quality: 'defaults.quality',
  format: 'defaults.format',
  background: 'defaults.background',
  n: 'defaults.n',
  stream: 'stream',
  requestTimeoutSeconds: 'requestTimeoutSeconds',
  maxParallelRequests: 'maxParallelRequests',
  insertLinkAfterSelection: 'insertLinkAfterSelection',
};

export const DEFAULT_SETTINGS: ImageGenSettings = {
  provider: 'placeholder',
  model: '',
  baseUrls: {},
  compatibleModels: [],
  outputFolder: 'assets/generated',
  fileNameTemplate: '{prompt}',
  size: 'auto',
  quality: '',
  format: 'png',
  background: 'auto',
  n: 1,
  stream: true,
  requestTimeoutSeconds: 300,
  maxParallelRequests: 4,
  insertLinkAfterSelection: 'ask',
};

const reported = new Set<string>();

/** Reads and validates every setting for `scope`; invalid ones fall back to defaults with one warning each. */
export function readSettings(scope?: vscode.ConfigurationScope): ImageGenSettings {
  const configuration = vscode.workspace.getConfiguration('imagegen', scope);
  const raw = Object.fromEntries(Object.entries(KEYS).map(([field, key]) => [field, configuration.get(key)]));
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const settings: Record<string, unknown> = { ...raw };
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as keyof ImageGenSettings;
    settings[field] = DEFAULT_SETTINGS[field];
    const key = `imagegen.${KEYS[field]}`;
    const problem = `${key}: ${JSON.stringify(raw[field])} ${issue.message.replace(/^Invalid input: /, '')}`;
    if (!reported.has(problem)) {
      reported.add(problem);
      void vscode.window
        .showWarningMessage(vscode.l10n.t('Setting {0} is invalid ({1}); using {2}.', key, issue.message, JSON.stringify(DEFAULT_SETTINGS[field])), vscode.l10n.t('Open Settings'))
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', key));
    }
  }
  return settingsSchema.parse(settings);
}

/** Writes a setting where it is currently defined (workspace if it is set there, else user settings). */
export async function updateSetting(key: 'provider' | 'model', value: string, scope?: vscode.ConfigurationScope): Promise<void> {
  const configuration = vscode.workspace.getConfiguration('imagegen', scope);
  const inspected = configuration.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await configuration.update(key, value, target);
}

export type { ProviderId };
