/**
 * Everything the extension needs only once the user acts: commands, the Studio panel, the core with undici and
 * zod. Bundled as dist/lazy.js and required on the first command, so activation parses almost nothing.
 */
export { createCommands } from './commands';
export { StudioPanel } from './studio-panel';
export { isProviderId } from '../core/providers/registry';
