// The transport of the typed client: fetch, the API key as a bearer token, errors thrown as
// ApiError with the code, status and request id of the error body, and the 202 +
// availableAt contract of runs. Browser-safe: fetch and types only (the web console uses
// it); the typed methods are in client.ts.
import type { ErrorBody } from '../server/error-body.schema.js';
import type { RunAnswer } from '../sandbox/run/run.schema.js';

export type { ErrorBody, RunAnswer };

/** An error answer of the API (docs/errors.md): act on `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly requestId: string | null = null,
    readonly detail: string | null = null,
    message?: string,
  ) {
    super(message ?? code);
    this.name = 'ApiError';
  }
}

export type Method = 'GET' | 'POST' | 'DELETE';

export interface Answer<T> {
  status: number;
  body: T;
}

export interface ClientOptions {
  /** The server's address, e.g. https://dfix.example:8443 ('' for the same origin in a browser). */
  baseUrl?: string;
  /** The API key, or a function reading it at each request (the console keeps it in its tab). */
  apiKey?: string | null | (() => string | null);
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

const isErrorBody = (v: unknown): v is ErrorBody => !!v && typeof v === 'object' && typeof (v as ErrorBody).code === 'string';

/** Query string from defined values. */
export function qs(params: Record<string, string | number | boolean | undefined | null> = {}): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly key: () => string | null;
  private readonly fetchFn: typeof fetch;

  constructor(options: ClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    const k = options.apiKey;
    this.key = typeof k === 'function' ? k : () => k ?? null;
    this.fetchFn = options.fetch ?? ((...a) => fetch(...a));
  }

  /** One request; a non-2xx answer throws ApiError. */
  async request<T>(method: Method, path: string, body?: unknown): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = this.key();
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.baseUrl}${path}`, { method, headers, credentials: 'omit', ...({ cache: 'no-store' } as RequestInit), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const json: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      if (isErrorBody(json)) throw new ApiError(res.status, json.code, json.requestId ?? null, json.detail ?? null, json.message);
      throw new ApiError(res.status, `HTTP_${res.status}`);
    }
    return { status: res.status, body: json as T };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return (await this.request<T>('POST', path, body)).body;
  }
  async del<T>(path: string): Promise<T> {
    return (await this.request<T>('DELETE', path)).body;
  }

  /**
   * A run's answer once available: while it is answered 202 (status running), asks
   * GET /v1/runs/:id again at its availableAt (never sooner than `minWaitMs`).
   */
  async waitForRun<T extends { runId: string; status: string; availableAt: string } = RunAnswer>(first: T, onWaiting?: (availableAt: string) => void, minWaitMs = 250): Promise<T> {
    let a = first;
    while (a.status === 'running') {
      onWaiting?.(a.availableAt);
      await new Promise((r) => setTimeout(r, Math.max(minWaitMs, Date.parse(a.availableAt) - Date.now() + 50)));
      a = await this.get<T>(`/v1/runs/${encodeURIComponent(a.runId)}`);
    }
    return a;
  }
}
