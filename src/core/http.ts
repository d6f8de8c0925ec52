/**
 * HTTP for every provider: undici with generous timeouts (high-quality renders take about two minutes),
 * retries with backoff for 408/409/429/5xx and connection failures (honouring Retry-After, never for other
 * 4xx), cancellation end to end, and one error type with a short, key-free excerpt of what went wrong.
 */
import type { Agent as AgentType, Dispatcher } from 'undici';
// Only the two pieces of undici used here: its index loads fetch, WebSocket, caches, mocks and proxies too.
// @ts-expect-error undici ships no types for its internal modules
import AgentModule from 'undici/lib/dispatcher/agent';
// @ts-expect-error as above
import requestModule from 'undici/lib/api/api-request';

const Agent = AgentModule as typeof AgentType;
const apiRequest = requestModule as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

function undiciRequest(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const parsed = new URL(url);
  const { dispatcher, ...rest } = options;
  return apiRequest.call(dispatcher, { ...rest, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
import { ApiCallError, CancelledError, excerptOf, isRetryableStatus, redact } from './errors';
import { message } from './messages';

export interface HttpSettings {
  /** How long to wait for the reply to start (headers). Renders can take ~2 minutes: default 5 minutes. */
  timeoutMs: number;
  /** How long the body may stall between two chunks. */
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  retryBaseMs: number;
  /** A Retry-After longer than this is not waited for: the error is reported instead. */
  maxRetryAfterMs: number;
}

export const defaultHttpSettings: HttpSettings = {
  timeoutMs: 300_000,
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 30_000,
  maxRetries: 2,
  retryBaseMs: 500,
  maxRetryAfterMs: 60_000,
};

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** Send no Authorization header: downloads of result URLs go to CDNs that must never see the key. */
  anonymous?: boolean;
}

export type HttpResponse = Dispatcher.ResponseData;

/** One client per provider instance: the provider name for messages, the key for the header and redaction. */
export class HttpClient {
  readonly settings: HttpSettings;
  private readonly dispatcher: AgentType;

  constructor(
    readonly providerName: string,
    private readonly apiKey: string | undefined,
    settings: Partial<HttpSettings> = {},
  ) {
    this.settings = { ...defaultHttpSettings, ...settings };
    this.dispatcher = new Agent({
      connect: { timeout: this.settings.connectTimeoutMs },
      headersTimeout: this.settings.timeoutMs,
      bodyTimeout: this.settings.idleTimeoutMs,
    });
  }

  /** Removes the key (and anything key-like) from text bound for a person or a log. */
  redact(text: string): string {
    return redact(text, [this.apiKey]);
  }

  /**
   * Sends a request, retrying what is worth retrying, and returns a 2xx response whose body the caller reads.
   * Any other outcome throws ApiCallError or CancelledError.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { signal } = request;
    for (let attempt = 0; ; attempt++) {
      throwIfCancelled(signal);
      let failure: ApiCallError;
      try {
        const pending = undiciRequest(request.url, {
          dispatcher: this.dispatcher,
          method: request.method,
          headers: {
            ...(this.apiKey && !request.anonymous ? { authorization: `Bearer ${this.apiKey}` } : {}),
            'user-agent': 'imagegen',
            ...request.headers,
          },
          body: request.body,
          signal,
        });
        const response = await untilCancelled(pending, signal);
        if (response.statusCode >= 200 && response.statusCode < 300) return response;
        failure = await this.errorFromResponse(response);
      } catch (error) {
        if (signal?.aborted) throw new CancelledError();
        failure = this.errorFromException(error, request.url);
      }
      if (!failure.retryable || attempt >= this.settings.maxRetries) throw failure;
      const delay = this.retryDelay(attempt, failure.retryAfterSeconds);
      if (delay === undefined) throw failure;
      await sleep(delay, signal);
    }
  }

  /** GET or POST, then the whole body as text (small replies: errors, task polls, model lists). */
  async text(request: HttpRequest, limitBytes = 4 * 1024 * 1024): Promise<{ text: string; response: HttpResponse }> {
    const response = await this.send(request);
    const bytes = await this.readAll(response, limitBytes, request.signal);
    return { text: bytes.toString('utf8'), response };
  }

  /** Reads a whole body, refusing more than `limitBytes`; turns stream failures into ApiCallError. */
  async readAll(response: HttpResponse, limitBytes: number, signal?: AbortSignal): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.chunks(response, signal)) {
      total += chunk.length;
      if (total > limitBytes) {
        response.body.destroy();
        throw new ApiCallError(message('replyTooLarge', { provider: this.providerName, limit: Math.round(limitBytes / 1048576) }), {
          provider: this.providerName,
          status: response.statusCode,
          retryable: false,
        });
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts, total);
  }

  /** The body's chunks as they arrive, with truncation, stalls and cancellation reported as ImageGen errors. */
  async *chunks(response: HttpResponse, signal?: AbortSignal): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of response.body) yield chunk as Buffer;
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      throw this.errorFromException(error, undefined, response.statusCode);
    }
  }

  /** An ApiCallError for a non-2xx reply, with the provider's own message where the body has one. */
  async errorFromResponse(response: HttpResponse): Promise<ApiCallError> {
    const status = response.statusCode;
    let body = '';
    try {
      const bytes: Buffer[] = [];
      let total = 0;
      for await (const chunk of response.body) {
        bytes.push(chunk as Buffer);
        total += (chunk as Buffer).length;
        if (total > 65536) break;
      }
      body = Buffer.concat(bytes).toString('utf8');
    } catch {
      // The excerpt is a courtesy; the status alone still makes a useful error.
    } finally {
      response.body.destroy();
    }
    const contentType = String(response.headers['content-type'] ?? '');
    const retryAfterSeconds = parseRetryAfter(response.headers);
    const retryable = isRetryableStatus(status);
    const details = { provider: this.providerName, status, retryable, retryAfterSeconds };
    if (contentType.includes('html') || /^\s*<(!doctype|html|head|body)/i.test(body)) {
      return new ApiCallError(message('htmlErrorPage', { provider: this.providerName, status }), {
        ...details,
        excerpt: this.redact(excerptOf(body.replace(/<[^>]*>/g, ' '), 120)),
      });
    }
    // XML error documents (S3-style storage behind result URLs) read better without their tags.
    const text = /^\s*<\?xml|^\s*<Error>/i.test(body) ? body.replace(/<[^>]*>/g, ' ') : body;
    const excerpt = this.redact(excerptOf(errorMessageIn(body) ?? text));
    return new ApiCallError(describeStatus(this.providerName, status, excerpt), { ...details, excerpt });
  }

  /** An ApiCallError for a failure without a (complete) reply: refused, reset, timed out, truncated. */
  errorFromException(error: unknown, url?: string, status?: number): ApiCallError {
    const code = errorCode(error);
    const provider = this.providerName;
    const host = url ? safeHost(url) : undefined;
    const base = { provider, status, cause: error };
    switch (code) {
      case 'UND_ERR_HEADERS_TIMEOUT':
        return new ApiCallError(
          message('noAnswer', { provider, time: seconds(this.settings.timeoutMs) }),
          { ...base, retryable: false },
        );
      case 'UND_ERR_BODY_TIMEOUT':
        return new ApiCallError(message('stalled', { provider, time: seconds(this.settings.idleTimeoutMs) }), {
          ...base,
          retryable: true,
        });
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new ApiCallError(message('connectTimeout', { provider, host: host ?? message('theServer') }), { ...base, retryable: true });
      case 'ECONNREFUSED':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return new ApiCallError(message('connectFailed', { provider, host: host ?? message('theServer'), code }), {
          ...base,
          retryable: code !== 'ENOTFOUND',
        });
      case 'UND_ERR_SOCKET':
      case 'ECONNRESET':
      case 'UND_ERR_CLOSED':
      case 'EPIPE':
        return status === undefined
          ? new ApiCallError(message('closedBeforeReply', { provider }), { ...base, retryable: true })
          : new ApiCallError(message('truncated', { provider }), {
              ...base,
              retryable: true,
            });
      case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
        return new ApiCallError(message('shorterThanAnnounced', { provider }), { ...base, retryable: true });
      case 'UND_ERR_INVALID_ARG':
        return new ApiCallError(message('invalidUrl', { provider, url: url ? this.redact(url) : '' }), { ...base, retryable: false });
      default: {
        const said = this.redact(excerptOf(error instanceof Error ? error.message : String(error)));
        return new ApiCallError(sentence(message('requestFailed', { provider, message: said || 'the request failed' })), { ...base, retryable: false });
      }
    }
  }

  private retryDelay(attempt: number, retryAfterSeconds?: number): number | undefined {
    if (retryAfterSeconds !== undefined) {
      const wait = retryAfterSeconds * 1000;
      return wait > this.settings.maxRetryAfterMs ? undefined : wait;
    }
    const backoff = this.settings.retryBaseMs * 2 ** attempt;
    return Math.min(backoff * (0.75 + Math.random() * 0.5), 8_000);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

function describeStatus(provider: string, status: number, excerpt: string): string {
  const said = excerpt ? `: ${excerpt}` : '';
  if (status === 401 || status === 403) return message('keyRejected', { provider, status, said });
  if (status === 429) return message('rateLimited', { provider, said });
  if (status >= 500) return message('serverError', { provider, status, said });
  return message('refused', { provider, status, said });
}

/** The human message inside the error bodies providers send: `{error:{message}}`, `{message}`, `{msg}`, `{detail}`. */
export function errorMessageIn(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const record = parsed as Record<string, unknown>;
  const nested = record.error;
  if (nested && typeof nested === 'object') {
    const message = (nested as Record<string, unknown>).message;
    if (typeof message === 'string' && message) return message;
  }
  for (const key of ['error', 'message', 'msg', 'detail', 'error_message']) {
    const value = record[key];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
  const milliseconds = Number(headers['retry-after-ms']);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds / 1000;
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * undici notices an abort only once the request has a connection: a cancel during the TCP connect or TLS
 * handshake would wait for the connect timeout. Settle at once instead, and release the reply if it still comes.
 */
function untilCancelled(pending: Promise<HttpResponse>, signal: AbortSignal | undefined): Promise<HttpResponse> {
  if (!signal) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new CancelledError());
      pending.then((response) => response.body.destroy(), () => undefined);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (response) => {
        signal.removeEventListener('abort', onAbort);
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** "0.3 s", "12 s", "300 s": timeouts as people read them. */
export function seconds(milliseconds: number): string {
  return milliseconds < 10_000 ? `${Number((milliseconds / 1000).toFixed(1))} s` : `${Math.round(milliseconds / 1000)} s`;
}

/** Ends a sentence once: no "failed!." or "policy).." when the quoted text already ends with punctuation. */
export function sentence(text: string): string {
  return /[.!?。！？]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Waits, but wakes at once with CancelledError when the signal aborts. */
export function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  throwIfCancelled(signal);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
