import * as vscode from 'vscode';
import type { ProviderId } from '../core/providers/registry';
import { Disposable } from './dispose';

const PREFIX = 'imagegen.apiKey.';

/**
 * API keys, one per provider, only in VS Code's SecretStorage (the OS key store): shared by every window,
 * which hears of changes made in another through `onDidChange`.
 */
export class KeyStore extends Disposable {
  private readonly seen = new Set<string>();
  private readonly changed = this._register(new vscode.EventEmitter<ProviderId>());
  readonly onDidChange = this.changed.event;

  constructor(private readonly storage: vscode.SecretStorage) {
    super();
    this._register(
      storage.onDidChange((event) => {
        if (event.key.startsWith(PREFIX)) this.changed.fire(event.key.slice(PREFIX.length) as ProviderId);
      }),
    );
  }

  async get(provider: ProviderId): Promise<string | undefined> {
    const key = (await this.storage.get(PREFIX + provider))?.trim();
    if (key) this.seen.add(key);
    return key || undefined;
  }

  async set(provider: ProviderId, key: string): Promise<void> {
    this.seen.add(key.trim());
    await this.storage.store(PREFIX + provider, key.trim());
  }

  async delete(provider: ProviderId): Promise<void> {
    await this.storage.delete(PREFIX + provider);
  }

  /** Every key read or stored in this window: redacted from anything logged or shown. */
  knownSecrets(): string[] {
    return [...this.seen];
  }
}
