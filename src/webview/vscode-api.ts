/** The one object VS Code gives a webview: post to the host, keep state across reloads. */
import type { FromWebview } from '../shared/protocol';

export interface VsCodeApi<State> {
  postMessage(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): State;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

let api: VsCodeApi<unknown> | undefined;

/** `acquireVsCodeApi` may be called once per page; everyone shares this. */
export function vscodeApi<State>(): VsCodeApi<State> {
  api ??= acquireVsCodeApi<unknown>();
  return api as VsCodeApi<State>;
}
