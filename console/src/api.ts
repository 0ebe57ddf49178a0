// The console's only door to the API, through the typed client's transport (client/http.ts).
// The key lives in memory and in this tab's sessionStorage (cleared when the tab closes); it
// goes in the Authorization header only, never in an address.
import type { z } from 'zod';
import { ApiClient, type Answer } from '../../client/http';
import type { meAnswer } from '../../sandbox/lists.schema';

export { ApiError, qs, type Answer } from '../../client/http';

const KEY = 'dfix.apiKey';

export type Me = z.output<typeof meAnswer>;

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

/** The same origin as the console; the key as it is now. */
const client = new ApiClient({ apiKey: () => key });

export const request = <T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Answer<T>> => client.request<T>(method, path, body);
export const get = <T>(path: string) => client.get<T>(path);
export const post = <T>(path: string, body: unknown = {}) => client.post<T>(path, body);
export const del = <T>(path: string) => client.del<T>(path);

export interface RunLike {
  runId: string;
  status: string;
  availableAt: string;
}

/** Posts a run and, while it is answered 202 (running), asks again at its availableAt. */
export async function runAndWait<T extends RunLike>(body: unknown, onWaiting?: (availableAt: string) => void): Promise<T> {
  return client.waitForRun(await post<T>('/v1/runs', body), onWaiting);
}
