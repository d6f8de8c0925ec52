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
