import { apiError, mockApi } from '@/testing/fetch-mock';

import { apiRequest, ApiError } from './api-client';

describe('apiRequest', () => {
  it('sends JSON, the staff access token and the query, and returns the body', async () => {
    const { calls } = mockApi([['POST', '/api/professionals/bulk', () => ({ status: 207, body: { ok: 1 } })]]);
    const result = await apiRequest('/professionals/bulk', {
      method: 'POST',
      body: [{ email: 'a@b.co' }],
      query: { dry_run: 'true', cursor: null },
      auth: { staff: { accessToken: async () => 'k1' } },
    });
    expect(result).toEqual({ ok: 1 });
    expect(calls[0].url.search).toBe('?dry_run=true');
    expect(calls[0].headers.get('Authorization')).toBe('Bearer k1');
    expect(calls[0].headers.get('X-Api-Key')).toBeNull();
    expect(calls[0].headers.get('Content-Type')).toBe('application/json');
    expect(calls[0].body).toEqual([{ email: 'a@b.co' }]);
  });

  it('refreshes the staff token once on a 401 and sends the request again', async () => {
    const { calls } = mockApi([
      ['GET', '/api/professionals', ({ headers }) =>
        headers.get('Authorization') === 'Bearer fresh'
          ? { status: 200, body: { items: [] } }
          : apiError(401, 'unauthorized', 'Expired.')],
    ]);
    const accessToken = vi.fn(async (options?: { forceRefresh?: boolean }) => (options?.forceRefresh ? 'fresh' : 'stale'));
    expect(await apiRequest('/professionals', { auth: { staff: { accessToken } } })).toEqual({ items: [] });
    expect(calls.map((call) => call.headers.get('Authorization'))).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(accessToken).toHaveBeenLastCalledWith({ forceRefresh: true });
  });

  it('gives up after one refresh: a second 401 is the caller\'s, and a failed refresh is a 401', async () => {
    const { calls } = mockApi([['GET', '/api/stats', () => apiError(401, 'unauthorized', 'Disabled.')]]);
    const always = { accessToken: async () => 't' };
    const refused = (await apiRequest('/stats', { auth: { staff: always } }).catch((e) => e)) as ApiError;
    expect(refused).toMatchObject({ status: 401, message: 'Disabled.', isAuthError: true });
    expect(calls).toHaveLength(2);

    const gone = {
      accessToken: async () => {
        throw new Error('Your session has ended. Sign in again.');
      },
    };
    const ended = (await apiRequest('/stats', { auth: { staff: gone } }).catch((e) => e)) as ApiError;
    expect(ended).toMatchObject({ status: 401, code: 'unauthorized', message: 'Your session has ended. Sign in again.' });
    expect(calls).toHaveLength(2);
  });

  it('sends an access token as a bearer token', async () => {
    const { calls } = mockApi([['GET', '/api/professionals/p1', () => ({ status: 200, body: {} })]]);
    await apiRequest('/professionals/p1', { auth: { token: 't0k' } });
    expect(calls[0].headers.get('Authorization')).toBe('Bearer t0k');
  });

  it('turns the error envelope into an ApiError with fields and conflicts', async () => {
    mockApi([
      ['POST', '/api/professionals', () => apiError(409, 'conflict', 'Taken.', { conflicts: [{ field: 'email' }] })],
      ['PATCH', '/api/professionals/x', () => apiError(400, 'validation_error', 'Bad.', { fields: { phone: ['Not a phone number.'] } })],
    ]);
    const conflict = (await apiRequest('/professionals', { method: 'POST', body: {} }).catch((e) => e)) as ApiError;
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ status: 409, code: 'conflict', message: 'Taken.' });
    expect(conflict.conflictFields).toEqual(['email']);
    const invalid = (await apiRequest('/professionals/x', { method: 'PATCH', body: {} }).catch((e) => e)) as ApiError;
    expect(invalid.fields).toEqual({ phone: ['Not a phone number.'] });
  });

  it('gives a plain message when the error has no envelope, and status 0 when offline', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })));
    await expect(apiRequest('/health')).rejects.toMatchObject({ status: 502, code: 'http_error' });
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(apiRequest('/health')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('returns nothing for a 204', async () => {
    mockApi([['DELETE', '/api/professionals/x', () => ({ status: 204 })]]);
    await expect(apiRequest('/professionals/x', { method: 'DELETE' })).resolves.toBeUndefined();
  });
});
