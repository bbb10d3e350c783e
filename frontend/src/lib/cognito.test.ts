import { mockApi, type MockRequest } from '@/testing/fetch-mock';

import { CognitoStaffClient } from './cognito';
import { jwtClaims } from './staff-auth';

const CONFIG = { region: 'us-east-1', user_pool_id: 'us-east-1_pool', client_id: 'client1', endpoint: 'http://cognito.local:5001' };

/** An unsigned JWT with these claims (the SPA only reads them; the API checks signatures). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'RS256', kid: 'k' })}.${part(claims)}.c2ln`;
}

function tokens(groups: string[], expiresIn = 3600, tag = '1') {
  const now = Math.floor(Date.now() / 1000);
  return {
    AccessToken: jwt({ token_use: 'access', 'cognito:groups': groups, username: 'u-1', exp: now + expiresIn, iat: now, tag }),
    IdToken: jwt({ token_use: 'id', email: 'ada@example.com', exp: now + expiresIn, iat: now }),
    RefreshToken: 'refresh-1',
    ExpiresIn: expiresIn,
    TokenType: 'Bearer',
  };
}

// Any B not a multiple of N will do: Cognito's side of SRP is what this stub leaves out.
const SRP_CHALLENGE = {
  ChallengeName: 'PASSWORD_VERIFIER',
  ChallengeParameters: {
    SALT: 'a1b2c3d4e5f6',
    SRP_B: 'f'.repeat(64) + '1234567890abcdef'.repeat(8),
    SECRET_BLOCK: 'c2VjcmV0',
    USER_ID_FOR_SRP: 'u-1',
    USERNAME: 'u-1',
  },
};

/** Cognito's JSON API at the configured endpoint, answered step by step by `answer`. */
function mockCognito(answer: (target: string, body: Record<string, unknown>) => { status: number; body: unknown }) {
  return mockApi([
    ['POST', '/', ({ headers, body, url }: MockRequest) => {
      expect(url.origin).toBe('http://cognito.local:5001');
      const target = (headers.get('X-Amz-Target') ?? '').replace('AWSCognitoIdentityProviderService.', '');
      return answer(target, body as Record<string, unknown>);
    }],
  ]);
}

describe('CognitoStaffClient', () => {
  it('signs in with SRP at the configured endpoint, through the new-password challenge', async () => {
    const { calls } = mockCognito((target, body) => {
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      if (body.ChallengeName === 'PASSWORD_VERIFIER') {
        return { status: 200, body: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's1', ChallengeParameters: { userAttributes: '{}', requiredAttributes: '[]' } } };
      }
      return { status: 200, body: { AuthenticationResult: tokens(['viewer', 'editor']), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    expect(await client.restore()).toBeNull();

    expect(await client.signIn('ada@example.com', 'Temp-pass1!')).toEqual({ step: 'new_password' });
    const initiate = calls[0].body as { AuthFlow: string; ClientId: string; AuthParameters: Record<string, string> };
    expect(initiate.AuthFlow).toBe('USER_SRP_AUTH');
    expect(initiate.ClientId).toBe('client1');
    expect(initiate.AuthParameters.USERNAME).toBe('ada@example.com');
    expect(initiate.AuthParameters.SRP_A).toMatch(/^[0-9a-f]+$/);
    expect(JSON.stringify(calls.map((call) => call.body))).not.toContain('Temp-pass1!');
    const verifier = calls[1].body as { ChallengeResponses: Record<string, string> };
    expect(verifier.ChallengeResponses.PASSWORD_CLAIM_SIGNATURE).toBeTruthy();

    const done = await client.completeNewPassword('N3w-password!');
    expect(done).toEqual({ step: 'done', user: { email: 'ada@example.com', role: 'editor' } });
    expect(calls[2].body).toMatchObject({
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: 's1',
      ChallengeResponses: { NEW_PASSWORD: 'N3w-password!' },
    });
    expect(jwtClaims(await client.accessToken())['cognito:groups']).toEqual(['viewer', 'editor']);

    // The session stays in the tab: a new client (a reload) finds it.
    const reloaded = new CognitoStaffClient(CONFIG);
    expect(await reloaded.restore()).toEqual({ email: 'ada@example.com', role: 'editor' });
  });

  it("reads moto's new-password challenge, which comes without its attributes", async () => {
    const { calls } = mockCognito((target, body) => {
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      if (body.ChallengeName === 'PASSWORD_VERIFIER') return { status: 200, body: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's3', ChallengeParameters: {} } };
      return { status: 200, body: { AuthenticationResult: tokens(['viewer']), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    expect(await client.signIn('ada@example.com', 'Temp-pass1!')).toEqual({ step: 'new_password' });
    expect(await client.completeNewPassword('N3w-password!')).toEqual({ step: 'done', user: { email: 'ada@example.com', role: 'viewer' } });
    expect(calls[2].body).toMatchObject({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's3' });
  });

  it('stops at the TOTP step and sends the code', async () => {
    const { calls } = mockCognito((target, body) => {
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      if (body.ChallengeName === 'PASSWORD_VERIFIER') return { status: 200, body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's2', ChallengeParameters: {} } };
      return { status: 200, body: { AuthenticationResult: tokens(['admin']), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    expect(await client.signIn('ada@example.com', 'Pass-word1!')).toEqual({ step: 'totp' });
    expect(await client.sendTotpCode('123456')).toEqual({ step: 'done', user: { email: 'ada@example.com', role: 'admin' } });
    expect(calls[2].body).toMatchObject({
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: 's2',
      ChallengeResponses: { SOFTWARE_TOKEN_MFA_CODE: '123456' },
    });
  });

  it('answers "which second factor?" with the authenticator app, then asks for its code', async () => {
    const { calls } = mockCognito((target, body) => {
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      if (body.ChallengeName === 'PASSWORD_VERIFIER') return { status: 200, body: { ChallengeName: 'SELECT_MFA_TYPE', Session: 's4', ChallengeParameters: { MFAS_CAN_CHOOSE: '["SMS_MFA","SOFTWARE_TOKEN_MFA"]' } } };
      if (body.ChallengeName === 'SELECT_MFA_TYPE') return { status: 200, body: { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's5', ChallengeParameters: {} } };
      return { status: 200, body: { AuthenticationResult: tokens(['editor']), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    expect(await client.signIn('ada@example.com', 'Pass-word1!')).toEqual({ step: 'totp' });
    expect(calls[2].body).toMatchObject({ ChallengeName: 'SELECT_MFA_TYPE', ChallengeResponses: { ANSWER: 'SOFTWARE_TOKEN_MFA' } });
    expect(await client.sendTotpCode('654321')).toMatchObject({ step: 'done' });
    expect(calls[3].body).toMatchObject({ Session: 's5', ChallengeResponses: { SOFTWARE_TOKEN_MFA_CODE: '654321' } });
  });

  it('says a wrong password plainly', async () => {
    mockCognito((target) =>
      target === 'InitiateAuth'
        ? { status: 200, body: SRP_CHALLENGE }
        : { status: 400, body: { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' } },
    );
    const client = new CognitoStaffClient(CONFIG);
    await expect(client.signIn('ada@example.com', 'nope')).rejects.toMatchObject({
      code: 'NotAuthorizedException',
      message: 'Incorrect email or password.',
    });
  });

  it('refreshes a token about to expire, and on demand; the role follows the new token', async () => {
    let refreshes = 0;
    const { calls } = mockCognito((target, body) => {
      if (target === 'InitiateAuth' && body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
        refreshes += 1;
        const fresh = tokens(['viewer'], 3600, `r${refreshes}`);
        return { status: 200, body: { AuthenticationResult: { ...fresh, RefreshToken: undefined }, ChallengeParameters: {} } };
      }
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      return { status: 200, body: { AuthenticationResult: tokens(['editor'], 30), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    await client.signIn('ada@example.com', 'Pass-word1!');
    expect(client.currentUser()?.role).toBe('editor');

    // 30 s left: under the minute's margin, so the token is refreshed before it is sent.
    const first = await client.accessToken();
    expect(refreshes).toBe(1);
    expect(jwtClaims(first).tag).toBe('r1');
    expect(client.currentUser()?.role).toBe('viewer');
    const refresh = calls.find((call) => (call.body as { AuthFlow?: string }).AuthFlow === 'REFRESH_TOKEN_AUTH')!;
    expect(refresh.body).toMatchObject({ ClientId: 'client1', AuthParameters: { REFRESH_TOKEN: 'refresh-1' } });

    expect(await client.accessToken()).toBe(first); // an hour left: as it is
    expect(refreshes).toBe(1);
    const forced = await client.accessToken({ forceRefresh: true });
    expect(refreshes).toBe(2);
    expect(jwtClaims(forced).tag).toBe('r2');
  });

  it('ends the session when the refresh is refused', async () => {
    mockCognito((target, body) => {
      if (target === 'InitiateAuth' && body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
        return { status: 400, body: { __type: 'NotAuthorizedException', message: 'Refresh Token has been revoked' } };
      }
      if (target === 'InitiateAuth') return { status: 200, body: SRP_CHALLENGE };
      return { status: 200, body: { AuthenticationResult: tokens(['editor']), ChallengeParameters: {} } };
    });
    const client = new CognitoStaffClient(CONFIG);
    await client.signIn('ada@example.com', 'Pass-word1!');
    await expect(client.accessToken({ forceRefresh: true })).rejects.toMatchObject({ message: 'Your session has ended. Sign in again.' });
  });
});
