import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readSse, type SseEvent } from '../../../src/core/sse';
import { splitAt } from '../helpers';

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

async function collect(chunks: Buffer[]): Promise<{ event: string; data: string; id?: string }[]> {
  const events: { event: string; data: string; id?: string }[] = [];
  for await (const event of readSse(from(chunks)) as AsyncGenerator<SseEvent>) {
    events.push({ event: event.event, data: Buffer.concat(event.data).toString('utf8'), ...(event.id ? { id: event.id } : {}) });
  }
  return events;
}


const STREAM = [
  ': comment line\n',
  'event: image_generation.partial_image\n',
  'data: {"type":"image_generation.partial_image","b64_json":"AAAA","partial_image_index":0}\n\n',
  'event: image_generation.completed\r\n',
  'data: {"type":"image_generation.completed",\r\n',
  'data:"b64_json":"BBBB"}\r\n\r\n',
  'id: 7\rdata: [DONE]\r\r',
  'data: last without blank line',
].join('');

const EXPECTED = [
  { event: 'image_generation.partial_image', data: '{"type":"image_generation.partial_image","b64_json":"AAAA","partial_image_index":0}' },
  { event: 'image_generation.completed', data: '{"type":"image_generation.completed",\n"b64_json":"BBBB"}' },
  { event: 'message', data: '[DONE]', id: '7' },
  { event: 'message', data: 'last without blank line', id: '7' },
];

test('events, multi-line data, LF/CRLF/CR line ends, comments, ids and a final event without blank line', async () => {
  assert.deepEqual(await collect([Buffer.from(STREAM)]), EXPECTED);
});

test('any chunking gives the same events (property)', async () => {
  const bytes = Buffer.from(STREAM);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 }), async (cuts) => {
      assert.deepEqual(await collect(splitAt(bytes, cuts)), EXPECTED);
    }),
    { numRuns: 300 },
  );
});

test('a multi-megabyte data line arrives intact from 64 KiB chunks, kept as pieces', async () => {
  const payload = Buffer.alloc(8 * 1024 * 1024, 0x41);
  const stream = Buffer.concat([Buffer.from('event: big\ndata: '), payload, Buffer.from('\n\n')]);
  const chunks = splitAt(stream, Array.from({ length: stream.length / 65536 }, (_, index) => index * 65536 + 3));
  let pieces = 0;
  let length = 0;
  for await (const event of readSse(from(chunks))) {
    assert.equal(event.event, 'big');
    pieces = event.data.length;
    length = event.data.reduce((sum, piece) => sum + piece.length, 0);
  }
  assert.equal(length, payload.length);
  assert.ok(pieces > 100, `kept as ${pieces} pieces, not re-joined`);
});
