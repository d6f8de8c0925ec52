/**
 * The core, for the commands and the panel. Both live in dist/lazy.js, which is itself loaded on the first
 * command, so the core is imported directly here; the async shape keeps the call sites independent of that.
 */
import * as core from '../core/index';

export type Core = typeof core;

export function loadCore(): Promise<Core> {
  return Promise.resolve(core);
}
