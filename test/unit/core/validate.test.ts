import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidRequestError } from '../../../src/core/errors';
import { estimateCostUsd, splitCount } from '../../../src/core/generate';
import { encodePng } from '../../../src/core/image/png';
import { providers } from '../../../src/core/providers/registry';
import { GPT_IMAGE_2_SIZE_RULE } from '../../../src/core/providers/capabilities';
import { checkEditInputs, checkRequest, customSizeProblem } from '../../../src/core/validate';
import { encodeJpeg } from '../../support/jpeg-encoder';

const capabilitiesOf = (provider: keyof typeof providers, id: string) => providers[provider].models.find((model) => model.id === id)!.capabilities;
const gptImage1 = capabilitiesOf('openai', 'gpt-image-1');
const gptImage2 = capabilitiesOf('openai', 'gpt-image-2');
const gemini = capabilitiesOf('ofox', 'google/gemini-3.1-flash-image-preview');
const modelverse = capabilitiesOf('modelverse', 'gpt-image-1');
const apimodels = capabilitiesOf('apimodels', 'gpt-image-2-all');
const aa = capabilitiesOf('aa', 'gpt-image-1.5');

function refused(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof InvalidRequestError && message.test(error.message));
}

test('sizes: fixed lists, auto, and the gpt-image-2 custom rule with a suggestion', () => {
  assert.equal(checkRequest('m', gptImage1, { prompt: 'x', size: '1536x1024' }, 'generate').request.size, '1536x1024');
  refused(() => checkRequest('OpenAI gpt-image-1', gptImage1, { prompt: 'x', size: '1000x1000' }, 'generate'), /Size 1000x1000 is not available for OpenAI gpt-image-1\. Choose one of: 1024x1024, 1536x1024, 1024x1536, auto\./);
  refused(() => checkRequest('gpt-image-2', gptImage2, { prompt: 'x', size: '1000x1000' }, 'generate'), /multiples of 16 \(nearest: 1008x1008\)/);
  refused(() => checkRequest('gpt-image-2', gptImage2, { prompt: 'x', size: '3840x1024' }, 'generate'), /aspect ratio must be at most 3:1/);
  refused(() => checkRequest('gpt-image-2', gptImage2, { prompt: 'x', size: '512x512' }, 'generate'), /between 655,360 and 8,294,400 pixels/);
  refused(() => checkRequest('gpt-image-2', gptImage2, { prompt: 'x', size: '4096x2048' }, 'generate'), /longest side must be at most 3840/);
  assert.ok(checkRequest('gpt-image-2', gptImage2, { prompt: 'x', size: '2048x1152' }, 'generate'));
  refused(() => checkRequest('modelverse', modelverse, { prompt: 'x', size: 'auto' }, 'generate'), /no automatic size/);
  refused(() => checkRequest('m', gptImage1, { prompt: 'x', size: 'big' }, 'generate'), /Size must be "auto" or WIDTHxHEIGHT/);
});

test('the custom size rule agrees with its definition for any WxH (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (width, height) => {
      const ok = width % 16 === 0 && height % 16 === 0 && Math.max(width, height) <= 3840 && Math.max(width, height) / Math.min(width, height) <= 3 && width * height >= 655_360 && width * height <= 8_294_400;
      assert.equal(customSizeProblem(width, height, GPT_IMAGE_2_SIZE_RULE) === undefined, ok, `${width}x${height}`);
    }),
    { numRuns: 5000 },
  );
});

test('n, quality, format, transparency, prompt length and edit-only models', () => {
  refused(() => checkRequest('m', gptImage1, { prompt: 'x', n: 0 }, 'generate'), /n must be a whole number from 1 to 16/);
  refused(() => checkRequest('m', gptImage1, { prompt: 'x', n: 17 }, 'generate'), /n must be a whole number from 1 to 16/);
  refused(() => checkRequest('modelverse gpt-image-1', modelverse, { prompt: 'x', quality: 'auto' }, 'generate'), /Quality "auto" is not available for modelverse gpt-image-1\. Choose one of: low, medium, high/);
  refused(() => checkRequest('modelverse gpt-image-1', modelverse, { prompt: 'x', format: 'webp' }, 'generate'), /cannot produce WEBP/);
  refused(() => checkRequest('m', gptImage1, { prompt: 'x', background: 'transparent', format: 'jpeg' }, 'generate'), /transparent background needs PNG or WebP/);
  refused(() => checkRequest('ofox gemini', gemini, { prompt: 'x', background: 'transparent' }, 'generate'), /cannot make transparent backgrounds/);
  refused(() => checkRequest('m', gptImage1, { prompt: 'x'.repeat(32_001) }, 'generate'), /The prompt is 32,001 characters; m accepts at most 32,000/);
  refused(() => checkRequest('m', gptImage1, { prompt: '' }, 'generate'), /prompt is empty/);
  refused(() => checkRequest('aa gpt-image-1.5', aa, { prompt: 'x' }, 'generate'), /aa gpt-image-1\.5 only edits images: add a reference image/);
  refused(() => checkRequest('ofox gemini', gemini, { prompt: 'x' }, 'edit'), /ofox gemini cannot edit images/);
  refused(() => checkRequest('m', gptImage1, { prompt: 'x', colour: 'red' } as never, 'generate'), /Unknown option "colour"/);
});

test('settings a model lacks are dropped with a visible warning, never silently', () => {
  const fidelity = checkRequest('gpt-image-2', gptImage2, { prompt: 'x', inputFidelity: 'low' }, 'edit');
  assert.equal(fidelity.request.inputFidelity, undefined);
  assert.match(JSON.stringify(fidelity.warnings), /always uses high input fidelity/);
  const compression = checkRequest('m', gptImage1, { prompt: 'x', compression: 50 }, 'generate');
  assert.equal(compression.request.compression, undefined);
  assert.match(JSON.stringify(compression.warnings), /JPEG and WebP only/);
  const stream = checkRequest('modelverse', modelverse, { prompt: 'x', stream: true, partialImages: 2 }, 'generate');
  assert.equal(stream.request.stream, undefined);
  assert.equal(stream.request.partialImages, undefined);
  assert.match(JSON.stringify(stream.warnings), /does not stream/);
  const transparent = checkRequest('gpt-image-2', gptImage2, { prompt: 'x', background: 'transparent' }, 'generate');
  assert.equal(transparent.request.background, 'transparent');
  assert.match(JSON.stringify(transparent.warnings), /may ignore a transparent background/);
});

test('aspect ratio and resolution are for apimodels only, and not together with a size', () => {
  assert.equal(checkRequest('apimodels', apimodels, { prompt: 'x', aspectRatio: '9:16' }, 'generate').request.resolution, '1K');
  refused(() => checkRequest('apimodels', apimodels, { prompt: 'x', aspectRatio: '9:16', size: '1024x1024' }, 'generate'), /either a size, or an aspect ratio/);
  refused(() => checkRequest('apimodels', apimodels, { prompt: 'x', aspectRatio: '1:5' }, 'generate'), /at most 3:1/);
  refused(() => checkRequest('OpenAI gpt-image-1', gptImage1, { prompt: 'x', aspectRatio: '16:9' }, 'generate'), /takes a size \(WIDTHxHEIGHT\), not an aspect ratio/);
});

test('edit inputs: count, formats, and the mask (PNG, alpha, same size as the first image)', () => {
  const rgba = (width: number, height: number) => encodePng(new Uint8Array(width * height * 4), width, height, 4);
  const rgb = (width: number, height: number) => encodePng(new Uint8Array(width * height * 3), width, height, 3);
  const image = { bytes: rgb(64, 32), filename: 'photo.png' };
  assert.doesNotThrow(() => checkEditInputs('m', gptImage1, [image], { bytes: rgba(64, 32) }));
  refused(() => checkEditInputs('m', gptImage1, [image], { bytes: rgba(32, 32), filename: 'mask.png' }), /The mask \(mask\.png\) is 32x32 but the image it masks is 64x32: they must be the same size\./);
  refused(() => checkEditInputs('m', gptImage1, [image], { bytes: rgb(64, 32) }), /has no alpha channel: make the area to edit transparent/);
  refused(() => checkEditInputs('m', gptImage1, [image], { bytes: encodeJpeg(new Uint8Array(64 * 32 * 3), 64, 32) }), /The mask must be a PNG file \(it is a JPEG\)/);
  refused(() => checkEditInputs('m', gptImage1, [{ bytes: Buffer.from('GIF89a...'), filename: 'a.gif' }], undefined), /Reference 1 \(a\.gif\) is not a PNG, JPEG or WebP image/);
  refused(() => checkEditInputs('m', gptImage1, Array.from({ length: 17 }, () => image), undefined), /at most 16 reference images; you gave 17/);
  refused(() => checkEditInputs('m', gptImage1, [], undefined), /at least one image/);
});

test('n above the per-call limit is split; apimodels prices follow the published table', () => {
  assert.deepEqual(splitCount(8, 1), [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(splitCount(10, 4), [4, 4, 2]);
  assert.deepEqual(splitCount(3, 10), [3]);
  assert.equal(estimateCostUsd(apimodels, { size: '1024x1024', quality: 'high' }, 1), 0.07);
  assert.equal(estimateCostUsd(apimodels, { size: '2048x1152', quality: 'auto' }, 2), 0.08);
  assert.equal(estimateCostUsd(apimodels, { size: '3840x2160', quality: 'low' }, 3), 0.045);
  assert.equal(estimateCostUsd(apimodels, { resolution: '4K', quality: 'high' }, 1), 0.23);
  assert.equal(estimateCostUsd(apimodels, { size: '1536x1024' }, 1), 0.025);
  assert.equal(estimateCostUsd(gptImage1, { size: '1024x1024' }, 1), undefined);
});
