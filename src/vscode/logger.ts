import * as vscode from 'vscode';
import { redact } from '../core/errors';
import { Disposable } from './dispose';

/**
 * The one "ImageGen" log channel. Everything passes through `redact` with the keys this window has seen,
 * so a key can never reach the log even when a gateway echoes it back.
 */
export class Logger extends Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor(private readonly knownSecrets: () => readonly string[]) {
    super();
    this.channel = this._register(vscode.window.createOutputChannel('ImageGen', { log: true }));
  }

  private clean(component: string, message: string): string {
    return `[${component}] ${redact(message, this.knownSecrets())}`;
  }

  info(component: string, message: string): void {
    this.channel.info(this.clean(component, message));
  }

  warn(component: string, message: string): void {
    this.channel.warn(this.clean(component, message));
  }

  error(component: string, message: string): void {
    this.channel.error(this.clean(component, message));
  }

  show(): void {
    this.channel.show(true);
  }
}
