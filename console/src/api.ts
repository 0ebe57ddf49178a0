// The console's only door to the API. The key lives in memory and in this tab's
// sessionStorage (cleared when the tab closes); it goes in the Authorization header only,
// never in an address.
const KEY = 'dfix.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

export interface Me {
  id: string;
  name: string;
  kind: 'regulator' | 'fintech' | 'bank' | 'channel';
  uscc: string;
  status: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

let key: string | null = (() => {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
})();

export function setKey(k: string | null): void {
  key = k;
  try {
    if (k) sessionStorage.setItem(KEY, k);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage refused: the key stays in memory only
  }
}

export const hasKey = () => key !== null;

export interface Answer<T> {
  status: number;
  body: T;
}

export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const json = (await res.json().catch(() => ({}))) as T & { code?: string };
  if (!res.ok) throw new ApiError(res.status, json.code ?? `HTTP_${res.status}`);
  return { status: res.status, body: json };
}

export const get = async <T>(path: string) => (await request<T>('GET', path)).body;
export const post = async <T>(path: string, body: unknown = {}) => (await request<T>('POST', path, body)).body;
export const del = async <T>(path: string) => (await request<T>('DELETE', path)).body;

/** Query string from defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface RunLike {
  runId: string;
  status: string;
  availableAt: string;
}

/** Posts a run and, while it is answered 202 (running), asks again at its availableAt. */
export async function runAndWait<T extends RunLike>(body: unknown, onWaiting?: (availableAt: string) => void): Promise<T> {
  let a = await post<T>('/v1/runs', body);
  while (a.status === 'running') {
    onWaiting?.(a.availableAt);
    await new Promise((r) => setTimeout(r, Math.max(250, Date.parse(a.availableAt) - Date.now() + 50)));
    a = await get<T>(`/v1/runs/${a.runId}`);
  }
  return a;
}
