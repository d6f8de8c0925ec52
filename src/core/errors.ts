import { message } from './messages';

/**
 * The errors the core throws. Each carries a message a person can act on; none ever contains an API key
 * (every excerpt of a reply goes through `redact`).
 */

/** Base class so callers can tell ImageGen's own, user-presentable errors from programming errors. */
export class ImageGenError extends Error {
  override readonly name: string = 'ImageGenError';
}

/** A request the model cannot honour, caught before anything is sent. */
export class InvalidRequestError extends ImageGenError {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    /** The setting at fault (`size`, `n`, `mask`, …), for UIs that highlight a control. */
    readonly setting?: string,
  ) {
    super(message);
  }
}

/** No key is stored or set for a provider that needs one. The UI turns this into "Set API Key…". */
export class MissingApiKeyError extends ImageGenError {
  override readonly name = 'MissingApiKeyError';
  constructor(
    readonly provider: string,
    readonly environmentVariables: readonly string[] = [],
  ) {
    const variables = environmentVariables.length ? message('missingKeyVariables', { variables: environmentVariables.join(' or ') }) : '';
    super(message('missingKey', { provider, variables }));
  }
}

/** The user (or a caller's AbortSignal) cancelled. Nothing was written. */
export class CancelledError extends ImageGenError {
  override readonly name = 'CancelledError';
  constructor(text = message('cancelled')) {
    super(text);
  }
}

export interface ApiCallErrorDetails {
  provider: string;
  /** HTTP status, or undefined when no reply arrived (connection refused, timeout, reset). */
  status?: number;
  /** A short, key-free excerpt of the reply body. */
  excerpt?: string;
  /** Whether sending the same request again may succeed (408/409/429/5xx, network faults). */
  retryable: boolean;
  /** Seconds the server asked us to wait (Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** A provider call failed: HTTP error, a failure envelope (aa `code != 0`), a malformed or truncated reply. */
export class ApiCallError extends ImageGenError {
  override readonly name = 'ApiCallError';
  readonly provider: string;
  readonly status?: number;
  readonly excerpt?: string;
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;

  constructor(message: string, details: ApiCallErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.provider = details.provider;
    this.status = details.status;
    this.excerpt = details.excerpt;
    this.retryable = details.retryable;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** HTTP statuses worth retrying: timeouts, conflicts, rate limits and server errors. Never 400/401/403. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const KEY_PATTERNS = [
  /\b(sk|pk|ak|key)-[A-Za-z0-9_-]{8,}/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /("?(?:api[_-]?key|authorization|token|secret)"?\s*[:=]\s*"?)[^"\s,}]{4,}/gi,
];

/**
 * Removes anything that looks like a credential from text that may reach a person or a log: the given
 * secrets verbatim, `sk-…`-style keys, bearer tokens and `api_key=…` pairs.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('***');
  }
  result = result.replace(KEY_PATTERNS[0]!, '$1-***');
  result = result.replace(KEY_PATTERNS[1]!, '$1***');
  result = result.replace(KEY_PATTERNS[2]!, '$1***');
  return result;
}

/** One line of at most `limit` characters: collapsed whitespace, an ellipsis when cut. */
export function excerptOf(text: string, limit = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

/** A message for any thrown value, safe to show: ImageGen errors as they are, anything else without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
