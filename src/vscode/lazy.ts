/**
 * Everything the extension needs only once the user acts: commands, the Studio panel, the core with undici and
 * zod. Bundled as dist/lazy.js and required on the first command, so activation parses almost nothing.
 */
import * as vscode from 'vscode';
import { setMessageLocale } from '../core/messages';

// The core's sentences (errors, warnings) in the editor's display language.
setMessageLocale(vscode.env.language);

export { createCommands } from './commands';
export { StudioPanel } from './studio-panel';
export { isProviderId } from '../core/providers/registry';
