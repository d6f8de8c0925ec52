/** The core, loaded on first use so activation stays instant (esbuild keeps dynamic imports lazy). */
export type Core = typeof import('../core/index');

let loading: Promise<Core> | undefined;

export function loadCore(): Promise<Core> {
  loading ??= import('../core/index');
  return loading;
}
