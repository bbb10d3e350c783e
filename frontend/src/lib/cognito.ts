import './node-global';

import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
  type IAuthenticationCallback,
} from 'amazon-cognito-identity-js';

import {
  jwtClaims,
  roleFromGroups,
  StaffAuthError,
  type AuthConfig,
  type SignInStep,
  type StaffAuthClient,
  type StaffUser,
} from './staff-auth';

/** A token this close to its expiry is refreshed before it is sent. */
const REFRESH_MARGIN_S = 60;

const MESSAGES: Record<string, string> = {
  NotAuthorizedException: 'Incorrect email or password.',
  UserNotFoundException: 'Incorrect email or password.',
  UserNotConfirmedException: 'This account is not confirmed yet. Ask an admin.',
  PasswordResetRequiredException: 'Your password must be reset. Ask an admin.',
  CodeMismatchException: 'That code is not right. Enter the current code from your authenticator app.',
  ExpiredCodeException: 'That code has expired. Enter the current code from your authenticator app.',
  TooManyRequestsException: 'Too many attempts. Wait a moment and try again.',
  LimitExceededException: 'Too many attempts. Wait a moment and try again.',
};

function authError(error: unknown): StaffAuthError {
  const { code, name, message } = (error ?? {}) as { code?: string; name?: string; message?: string };
  const kind = code ?? name ?? 'Error';
  if (kind === 'InvalidPasswordException' || kind === 'InvalidParameterException') {
    return new StaffAuthError(kind, message || 'The new password does not meet the password policy.');
  }
  if (MESSAGES[kind]) return new StaffAuthError(kind, MESSAGES[kind]);
  if (kind === 'NetworkError' || /network|fetch/i.test(message ?? '')) {
    return new StaffAuthError('NetworkError', 'Could not reach the sign-in service. Check your connection and try again.');
  }
  return new StaffAuthError(kind, message || 'Sign-in failed. Try again.');
}

/** The email typed at sign-in, kept with the tab's session (see userOf). */
const EMAIL_KEY = 'professionals.staffEmail';

/**
 * The user as the tokens say: role from the access token's groups, email from the ID token.
 * moto's SRP flow puts the user's id (a UUID) in the ID token's `email`: then the email typed
 * at sign-in stands in.
 */
function userOf(session: CognitoUserSession, typedEmail: string): StaffUser {
  const access = jwtClaims(session.getAccessToken().getJwtToken());
  const id = jwtClaims(session.getIdToken().getJwtToken());
  const email = typeof id.email === 'string' && id.email.includes('@') ? id.email : typedEmail;
  return { email, role: roleFromGroups(access['cognito:groups']) };
}

/** The staff console's sign-in through Cognito's SRP flow (amazon-cognito-identity-js). */
export class CognitoStaffClient implements StaffAuthClient {
  private readonly pool: CognitoUserPool;
  /** The user being signed in (between a challenge and its answer), then the signed-in user. */
  private user: CognitoUser | null = null;
  private session: CognitoUserSession | null = null;
  private email = '';
  private refreshing: Promise<CognitoUserSession> | null = null;

  private readonly storage: Storage;

  constructor(config: AuthConfig, storage: Storage = window.sessionStorage) {
    this.storage = storage;
    this.pool = new CognitoUserPool({
      UserPoolId: config.user_pool_id,
      ClientId: config.client_id,
      endpoint: config.endpoint,
      Storage: storage,
    });
  }

  restore(): Promise<StaffUser | null> {
    const user = this.pool.getCurrentUser();
    if (!user) return Promise.resolve(null);
    return new Promise((resolve) => {
      user.getSession((error: Error | null, session: CognitoUserSession | null) => {
        if (error || !session || !session.isValid()) {
          user.signOut();
          resolve(null);
          return;
        }
        this.user = user;
        this.session = session;
        this.email = this.storage.getItem(EMAIL_KEY) ?? user.getUsername();
        resolve(userOf(session, this.email));
      });
    });
  }

  signIn(email: string, password: string): Promise<SignInStep> {
    this.email = email;
    this.session = null;
    this.user = new CognitoUser({ Username: email, Pool: this.pool, Storage: this.storage });
    const details = new AuthenticationDetails({ Username: email, Password: password });
    return this.step((callbacks) => this.user!.authenticateUser(details, callbacks));
  }

  completeNewPassword(password: string): Promise<SignInStep> {
    const user = this.pendingUser();
    return this.step((callbacks) => user.completeNewPasswordChallenge(password, {}, callbacks));
  }

  sendTotpCode(code: string): Promise<SignInStep> {
    const user = this.pendingUser();
    return this.step((callbacks) => user.sendMFACode(code, callbacks, 'SOFTWARE_TOKEN_MFA'));
  }

  async accessToken({ forceRefresh = false }: { forceRefresh?: boolean } = {}): Promise<string> {
    const session = this.session;
    if (!session) throw new StaffAuthError('NotSignedIn', 'You are not signed in.');
    const expiresIn = session.getAccessToken().getExpiration() - Date.now() / 1000;
    if (!forceRefresh && expiresIn > REFRESH_MARGIN_S) return session.getAccessToken().getJwtToken();
    return (await this.refresh()).getAccessToken().getJwtToken();
  }

  currentUser(): StaffUser | null {
    return this.session ? userOf(this.session, this.email) : null;
  }

  signOut(): void {
    this.user?.signOut();
    this.pool.getCurrentUser()?.signOut();
    this.storage.removeItem(EMAIL_KEY);
    this.user = null;
    this.session = null;
    this.refreshing = null;
  }

  /** One refresh at a time: requests that need a new token while one is coming wait for it. */
  private refresh(): Promise<CognitoUserSession> {
    const user = this.user;
    const session = this.session;
    if (!user || !session) return Promise.reject(new StaffAuthError('NotSignedIn', 'You are not signed in.'));
    this.refreshing ??= new Promise<CognitoUserSession>((resolve, reject) => {
      user.refreshSession(session.getRefreshToken(), (error: unknown, fresh: CognitoUserSession | null) => {
        this.refreshing = null;
        if (error || !fresh) {
          reject(new StaffAuthError('SessionExpired', 'Your session has ended. Sign in again.'));
          return;
        }
        this.session = fresh;
        resolve(fresh);
      });
    });
    return this.refreshing;
  }

  private pendingSession(): string | null {
    return (this.user as unknown as { Session?: string | null } | null)?.Session ?? null;
  }

  private pendingUser(): CognitoUser {
    if (!this.user) throw new StaffAuthError('NotSignedIn', 'Start again: enter your email and password.');
    return this.user;
  }

  private step(start: (callbacks: IAuthenticationCallback) => void): Promise<SignInStep> {
    return new Promise((resolve, reject) => {
      const callbacks: IAuthenticationCallback = {
        onSuccess: (session) => {
          this.session = session;
          this.storage.setItem(EMAIL_KEY, this.email);
          resolve({ step: 'done', user: userOf(session, this.email) });
        },
        onFailure: (error) => {
          // moto's NEW_PASSWORD_REQUIRED comes without the userAttributes and requiredAttributes
          // the library JSON.parses (Cognito always sends them): the challenge's Session is kept
          // before that parse fails, and answering it works.
          if (error instanceof SyntaxError && this.pendingSession()) resolve({ step: 'new_password' });
          else reject(authError(error));
        },
        newPasswordRequired: () => resolve({ step: 'new_password' }),
        totpRequired: () => resolve({ step: 'totp' }),
        // A user with SMS and TOTP both set up is asked which: the console takes the app's code.
        selectMFAType: () => this.pendingUser().sendMFASelectionAnswer('SOFTWARE_TOKEN_MFA', callbacks),
        mfaRequired: () =>
          reject(new StaffAuthError('SmsMfa', 'This account asks for an SMS code, which the console does not support. Ask an admin.')),
        mfaSetup: () =>
          reject(new StaffAuthError('MfaSetup', 'This account must set up two-factor sign-in first. Ask an admin.')),
        customChallenge: () => reject(new StaffAuthError('CustomChallenge', 'This account uses a sign-in the console does not support.')),
      };
      start(callbacks);
    });
  }
}

export async function createCognitoClient(config: AuthConfig): Promise<StaffAuthClient> {
  return new CognitoStaffClient(config);
}
