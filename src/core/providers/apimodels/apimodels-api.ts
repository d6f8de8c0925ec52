/**
 * apimodels' asynchronous contract. Creation answers `{code:200, data:{taskId}}`; the poll reply's shape is not
 * documented beyond "poll until completed", so it is read tolerantly: a status under any usual name, images
 * wherever they are (base64 under image keys, or URLs under url/image/result keys).
 */
import { isBlobMarker } from '../../json-images';

const DONE = new Set(['completed', 'complete', 'succeeded', 'success', 'successful', 'done', 'finished']);
const FAILED = new Set(['failed', 'failure', 'error', 'cancelled', 'canceled', 'expired', 'timeout']);
const BASE64_KEYS = new Set(['b64_json', 'b64', 'base64', 'image_base64']);

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The task id of a creation reply, if it is one. */
export function taskIdIn(value: unknown): string | undefined {
  const top = record(value);
  const data = record(top?.data);
  for (const holder of [data, top]) {
    for (const key of ['taskId', 'task_id', 'id']) {
      const id = holder?.[key];
      if ((typeof id === 'string' && id) || typeof id === 'number') {
        if (key === 'id' && holder === top) continue; // a top-level `id` is too generic to be sure
        return String(id);
      }
    }
  }
  return undefined;
}

export interface TaskState {
  state: 'pending' | 'completed' | 'failed';
  status: string;
  percent?: number;
  error?: string;
}

/** Where a polled task stands. Unknown statuses count as pending; images without a status count as done. */
export function taskStateIn(value: unknown): TaskState {
  const top = record(value) ?? {};
  const data = record(top.data) ?? {};
  const raw = [data.status, data.state, data.task_status, top.status, top.state].find((item) => typeof item === 'string') as string | undefined;
  const status = raw ?? (imagesIn(value).length ? 'completed' : 'pending');
  const lower = status.toLowerCase();
  const progress = [data.progress, data.percent, top.progress].find((item) => typeof item === 'number' || (typeof item === 'string' && /^\d+(\.\d+)?%?$/.test(item)));
  const percent = progress === undefined ? undefined : Math.max(0, Math.min(100, parseFloat(String(progress))));
  const errorValue = data.error ?? data.fail_reason ?? data.message ?? top.error ?? top.message;
  const error = typeof errorValue === 'string' ? errorValue : record(errorValue) && typeof record(errorValue)!.message === 'string' ? String(record(errorValue)!.message) : undefined;
  return {
    state: DONE.has(lower) ? 'completed' : FAILED.has(lower) ? 'failed' : 'pending',
    status,
    ...(percent !== undefined && !Number.isNaN(percent) ? { percent } : {}),
    ...(error ? { error } : {}),
  };
}

export interface FoundImage {
  b64?: string;
  url?: string;
}

/** Every image in a reply, in document order: base64 (or blob markers) under image keys, URLs under url/image keys. */
export function imagesIn(value: unknown): FoundImage[] {
  const found: FoundImage[] = [];
  const visit = (item: unknown, key: string) => {
    if (typeof item === 'string') {
      if (isBlobMarker(item) || (BASE64_KEYS.has(key) && item.length > 0)) found.push({ b64: item });
      else if (/^(https?:\/\/|data:image\/)/i.test(item) && /url|image|result|output|file/i.test(key) && !/callback/i.test(key)) found.push({ url: item });
      return;
    }
    if (Array.isArray(item)) {
      for (const element of item) visit(element, key);
      return;
    }
    const object = record(item);
    if (!object) return;
    // An entry with both base64 and a URL of the same image counts once, as base64.
    if (typeof object.b64_json === 'string' && object.b64_json && typeof object.url === 'string') {
      found.push({ b64: object.b64_json });
      for (const [childKey, child] of Object.entries(object)) if (childKey !== 'b64_json' && childKey !== 'url') visit(child, childKey);
      return;
    }
    for (const [childKey, child] of Object.entries(object)) visit(child, childKey);
  };
  visit(value, '');
  return found;
}
