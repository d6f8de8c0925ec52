import * as vscode from 'vscode';
import { KeyStore } from './vscode/key-store';
import { Logger } from './vscode/logger';
import { CREATE_IMAGE_COMMAND, MissingImageFixes } from './vscode/missing-image-fix';
import type { Services } from './vscode/services';

/** The commands in package.json, each dispatched to the lazily loaded command module. */
const COMMANDS = [
  'imagegen.generate',
  'imagegen.generateFromSelection',
  'imagegen.editImage',
  'imagegen.editImageWithMask',
  'imagegen.regenerate',
  'imagegen.selectModel',
  'imagegen.setApiKey',
  'imagegen.clearApiKey',
  'imagegen.showLog',
  'imagegen.openStudio',
  CREATE_IMAGE_COMMAND,
] as const;

/** Documents whose image references get "Generate placeholder" quick fixes. */
const IMAGE_REFERENCING_LANGUAGES = ['markdown', 'mdx', 'html', 'vue', 'svelte', 'php', 'javascriptreact', 'typescriptreact', 'css', 'scss', 'less'];

type Lazy = typeof import('./vscode/lazy');
let lazy: Lazy | undefined;
/** dist/lazy.js, a separate bundle, loaded on first use (a plain require keeps esbuild from inlining it). */
function loadLazy(): Lazy {
  const path = './lazy.js';
  lazy ??= require(path) as Lazy;
  return lazy;
}

/** What other extensions (and the integration tests) may call. */
export interface ImageGenApi {
  /** Stores a provider's key in SecretStorage, as "ImageGen: Set API Key…" does. */
  setApiKey(provider: string, key: string): Promise<void>;
}

/** Wiring only: nothing slow runs here; the core and the commands load on first use. */
export function activate(context: vscode.ExtensionContext): ImageGenApi {
  const keys = new KeyStore(context.secrets);
  const logger = new Logger(() => keys.knownSecrets());
  context.subscriptions.push(keys, logger);
  const services: Services = { context, keys, logger };
  let commands: Record<string, (...args: unknown[]) => Promise<unknown>> | undefined;
  for (const id of COMMANDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        commands ??= loadLazy().createCommands(services);
        return commands[id]!(...args);
      }),
    );
  }
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(IMAGE_REFERENCING_LANGUAGES, new MissingImageFixes(), { providedCodeActionKinds: MissingImageFixes.kinds }),
  );
  // Restores the Image Studio after a reload; the panel's code loads only then.
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer('imagegen.studio', {
      deserializeWebviewPanel: async (panel, state) => loadLazy().StudioPanel.revive(services, panel, state),
    }),
  );
  return {
    setApiKey: async (provider, key) => {
      if (!loadLazy().isProviderId(provider)) throw new Error(`Unknown provider "${provider}".`);
      await keys.set(provider, key);
    },
  };
}

export function deactivate(): void {}
