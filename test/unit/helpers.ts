/** Shared by the core and CLI tests: a fake provider per file, models pointed at it, decoded result checks. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageModel } from '../../src/core/image-model';
import { decodePng } from '../../src/core/image/png';
import { sniffImage } from '../../src/core/image/sniff';
import { createImageModel, type ProviderConfig, type ProviderId } from '../../src/core/providers/registry';
import type { FakeProvider, FakeProviderId } from '../support/fake-provider';

/** Fast retries and polls so fault tests take milliseconds, not seconds. */
export const FAST_HTTP = { retryBaseMs: 5, timeoutMs: 20_000, idleTimeoutMs: 5_000 };
export const FAST_POLL = { intervalMs: 20, maxIntervalMs: 40, timeoutMs: 10_000 };

export function modelOn(server: FakeProvider, provider: FakeProviderId, model?: string, extra: Partial<ProviderConfig> = {}): ImageModel {
  return createImageModel({
    provider: provider as ProviderId,
    model,
    baseUrl: server.baseUrl(provider),
    apiKey: server.apiKey,
    http: FAST_HTTP,
    poll: FAST_POLL,
    ...extra,
  });
}

/** Format and dimensions of image bytes, as a person opening the file would see them. */
export function imageInfo(bytes: Uint8Array): { format: string; width: number; height: number } {
  const sniffed = sniffImage(bytes);
  assert.ok(sniffed, 'bytes are a PNG, JPEG or WebP image');
  return { format: sniffed.mediaType, width: sniffed.width, height: sniffed.height };
}

/** The colour of the centre pixel of a PNG. */
export function centrePixel(bytes: Uint8Array): number[] {
  const { width, height, rgba } = decodePng(bytes);
  const at = (Math.floor(height / 2) * width + Math.floor(width / 2)) * 4;
  return [...rgba.subarray(at, at + 4)];
}

export function temporaryFolder(prefix = 'imagegen-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every entry of a folder, hidden temporary files included. */
export function listFolder(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce. */
export function randomBytes(count: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return bytes;
}

/** Splits `bytes` at the given cut points into chunks, as a network would. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
