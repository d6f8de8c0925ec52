import type * as vscode from 'vscode';
import type { KeyStore } from './key-store';
import type { Logger } from './logger';

/** What every command and the panel get: built once in activate(). */
export interface Services {
  context: vscode.ExtensionContext;
  keys: KeyStore;
  logger: Logger;
}
