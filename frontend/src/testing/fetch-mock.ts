import { vi } from 'vitest';

export type MockRequest = {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
};
export type MockResponse = { status: number; body?: unknown };
type Handler = (request: MockRequest) => MockResponse | Promise<MockResponse>;
type Route = [method: string, path: string | RegExp, handler: Handler];

/** Stubs fetch with a small router: the first route whose method and path match answers. */
export function mockApi(routes: Route[]) {
  const calls: MockRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost');
    const method = (init.method ?? 'GET').toUpperCase();
    const raw = init.body;
    let body: unknown = raw;
    if (typeof raw === 'string') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const request = { method, url, headers: new Headers(init.headers), body };
    calls.push(request);
    const route = routes.find(
      ([m, path]) =>
        m === method && (typeof path === 'string' ? url.pathname === path : path.test(url.pathname)),
    );
    if (!route) throw new Error(`unexpected request ${method} ${url.pathname}${url.search}`);
    const { status, body: answer } = await route[2](request);
    return new Response(answer === undefined ? null : JSON.stringify(answer), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export const apiError = (status: number, code: string, message: string, details: object = {}) => ({
  status,
  body: { error: { code, message, details } },
});
