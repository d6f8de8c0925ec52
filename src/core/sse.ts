/**
 * A Server-Sent Events reader that stays linear in the bytes: a multi-megabyte `data:` line (a partial image
 * as base64) is kept as the list of chunk pieces it arrived in, never re-concatenated per chunk.
 */

const LF = 0x0a;
const CR = 0x0d;

/** One dispatched event: its `event:` name (default `message`) and its data as pieces, lines joined by LF. */
export interface SseEvent {
  event: string;
  data: Buffer[];
  id?: string;
}

const NEWLINE = Buffer.from('\n');

/** Splits a byte stream into SSE events. Accepts LF, CRLF and CR line ends, split anywhere across chunks. */
export async function* readSse(chunks: AsyncIterable<Buffer>): AsyncGenerator<SseEvent> {
  let line: Buffer[] = [];
  let skipLineFeed = false;
  let event = '';
  let data: Buffer[] = [];
  let hasData = false;
  let id: string | undefined;

  /** Handles one complete line; returns an event when the line is blank and data was collected. */
  const takeLine = (): SseEvent | undefined => {
    const parts = line;
    line = [];
    if (parts.length === 0 || (parts.length === 1 && parts[0]!.length === 0)) {
      if (!hasData) {
        event = '';
        return undefined;
      }
      const dispatched: SseEvent = { event: event || 'message', data, id };
      event = '';
      data = [];
      hasData = false;
      return dispatched;
    }
    // The field name is short: join just enough leading pieces to find the colon, keep the rest as they are.
    let taken = 1;
    let head = parts[0]!;
    while (head.indexOf(0x3a) === -1 && taken < parts.length && head.length < 64) {
      head = Buffer.concat([head, parts[taken]!]);
      taken++;
    }
    const colon = head.indexOf(0x3a);
    const field = (colon === -1 ? head : head.subarray(0, colon)).toString('utf8');
    if (field === 'data' && colon !== -1) {
      const valueStart = colon + 1 === head.length || head[colon + 1] === 0x20 ? colon + 2 : colon + 1;
      if (hasData) data.push(NEWLINE);
      const rest = head.subarray(valueStart);
      if (rest.length) data.push(rest);
      for (let index = taken; index < parts.length; index++) {
        const part = parts[index]!;
        // "data:" may end one piece and its optional space start the next.
        const skip = index === taken && valueStart > head.length && part[0] === 0x20 ? 1 : 0;
        if (part.length > skip) data.push(skip ? part.subarray(skip) : part);
      }
      hasData = true;
      return undefined;
    }
    if (colon === -1) return undefined;
    let value = Buffer.concat(parts).toString('utf8').slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    return undefined;
  };

  for await (const chunk of chunks) {
    let start = 0;
    if (skipLineFeed && chunk.length > 0) {
      if (chunk[0] === LF) start = 1;
      skipLineFeed = false;
    }
    // Carriage returns are rare: find the next one once, not once per line.
    let carriage = chunk.indexOf(CR, start);
    while (start < chunk.length) {
      let end = chunk.indexOf(LF, start);
      if (carriage !== -1 && carriage < start) carriage = chunk.indexOf(CR, start);
      if (carriage !== -1 && (end === -1 || carriage < end)) end = carriage;
      if (end === -1) {
        line.push(chunk.subarray(start));
        break;
      }
      line.push(chunk.subarray(start, end));
      const dispatched = takeLine();
      if (dispatched) yield dispatched;
      if (chunk[end] === CR) {
        if (end + 1 < chunk.length) {
          start = chunk[end + 1] === LF ? end + 2 : end + 1;
        } else {
          skipLineFeed = true;
          start = end + 1;
        }
      } else {
        start = end + 1;
      }
    }
  }
  // A stream that ends without the final blank line still delivers its last event.
  if (line.length) {
    const dispatched = takeLine();
    if (dispatched) yield dispatched;
  }
  const last = takeLine();
  if (last) yield last;
}
