import { getEnv } from '@/config/env';
import type { ErrorBody } from '@/types/api';

/** An API failure, always in the contract's shape; `status` 0 means the server was not reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: NonNullable<ErrorBody['details']>;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details ?? {};
  }

  /** Field problems from `details.fields`, e.g. `{email: ["..."]}`. */
  get fields(): Record<string, string[]> {
    return this.details.fields ?? {};
  }

  /** The fields a 409 names in `details.conflicts`. */
  get conflictFields(): string[] {
    return (this.details.conflicts ?? []).map((conflict) => conflict.field);
  }

  /** The caller is not signed in (any more): the staff console asks to sign in again. */
  get isAuthError(): boolean {
    return this.status === 401;
  }
}

/** Hands out the signed-in staff member's access token, refreshed when it must be. */
export type TokenSource = { accessToken: (options?: { forceRefresh?: boolean }) => Promise<string> };

/** A staff request's credentials: the console's session. */
export type StaffAuth = { staff: TokenSource };

/** A staff member's session (Bearer access token, refreshed once on a 401), or a person's own token. */
export type Auth = { staff: TokenSource } | { token: string } | undefined;

export type RequestOptions = {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | boolean | null | undefined>;
  /** A JSON body; strings are sent as they are with `contentType`. */
  body?: unknown;
  contentType?: string;
  auth?: Auth;
  signal?: AbortSignal;
};

export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const base = getEnv().API_BASE_URL;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return `${base}${path}${search ? `?${search}` : ''}`;
}

const STATUS_MESSAGES: Record<number, [string, string]> = {
  401: ['unauthorized', 'You are not signed in, or your session has ended.'],
  403: ['forbidden', 'You are not allowed to do this.'],
  404: ['not_found', 'Not found.'],
  413: ['payload_too_large', 'The request is too large.'],
  429: ['rate_limited', 'Too many requests; wait a moment and try again.'],
  503: ['unavailable', 'The service is unavailable right now; try again shortly.'],
};

function isErrorEnvelope(value: unknown): value is { error: ErrorBody } {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as ErrorBody).code === 'string' &&
    typeof (error as ErrorBody).message === 'string'
  );
}

/** Turns any non-2xx response into an ApiError, whether or not it carries the envelope. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch {
    parsed = undefined;
  }
  if (isErrorEnvelope(parsed)) return new ApiError(response.status, parsed.error);
  const [code, message] = STATUS_MESSAGES[response.status] ?? [
    'http_error',
    `The server answered with an unexpected error (HTTP ${response.status}).`,
  ];
  return new ApiError(response.status, { code, message, details: {} });
}

export const NETWORK_ERROR_MESSAGE =
  'Could not reach the server. Check your connection and try again.';

/** The one place the SPA talks to the API. */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options, false);
  if (!response.ok) throw await errorFromResponse(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Sends once; a staff request answered 401 is sent again, once, with a refreshed token. */
async function send(path: string, options: RequestOptions, refreshed: boolean): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' && options.contentType) {
      body = options.body;
      headers['Content-Type'] = options.contentType;
    } else {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  const auth = options.auth;
  if (auth && 'staff' in auth) headers.Authorization = `Bearer ${await staffToken(auth.staff, refreshed)}`;
  if (auth && 'token' in auth) headers.Authorization = `Bearer ${auth.token}`;

  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, { code: 'network_error', message: NETWORK_ERROR_MESSAGE, details: {} });
  }
  if (response.status === 401 && auth && 'staff' in auth && !refreshed) return send(path, options, true);
  return response;
}

/** Bearer headers for requests made outside apiRequest (a file download). */
export async function staffHeaders(source: TokenSource): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await staffToken(source, false)}` };
}

/** A token, or a 401 ApiError when the session cannot give one (its refresh token is gone). */
async function staffToken(source: TokenSource, forceRefresh: boolean): Promise<string> {
  try {
    return await source.accessToken({ forceRefresh });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : 'Your session has ended. Sign in again.';
    throw new ApiError(401, { code: 'unauthorized', message, details: {} });
  }
}
