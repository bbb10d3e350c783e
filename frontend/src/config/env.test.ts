import { EnvError, parseEnv } from './env';

describe('parseEnv', () => {
  it('defaults the API root to /api on this origin', () => {
    expect(parseEnv({}).API_BASE_URL).toBe('/api');
    expect(parseEnv({ VITE_API_BASE_URL: '' }).API_BASE_URL).toBe('/api');
  });

  it('accepts an absolute URL and drops trailing slashes', () => {
    expect(parseEnv({ VITE_API_BASE_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/' }).API_BASE_URL).toBe(
      'https://abc.execute-api.us-east-1.amazonaws.com/prod',
    );
  });

  it('rejects a value that is neither a path nor an http(s) URL', () => {
    expect(() => parseEnv({ VITE_API_BASE_URL: 'api.example.com' })).toThrow(EnvError);
    expect(() => parseEnv({ VITE_API_BASE_URL: 'ftp://x' })).toThrow(/VITE_API_BASE_URL/);
  });
});
