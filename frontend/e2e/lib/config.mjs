// Where the stack under test is, from the environment (see e2e/README.md).
function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(
      `${name} is not set. Start the local stack (make run) and run, for example:\n` +
        `  E2E_BASE_URL=http://127.0.0.1:8000 E2E_STAFF_KEY=<staff key> \\\n` +
        `  E2E_ADMIN_EMAIL=admin@professionals.local E2E_ADMIN_PASSWORD=<printed by make run> npm run e2e\n` +
        `or let the tests start a stack of their own: npm run e2e:stack`,
    );
    process.exit(2);
  }
  return value;
}

export const BASE_URL = required('E2E_BASE_URL').replace(/\/+$/, '');
export const API_URL = (process.env.E2E_API_URL ?? `${BASE_URL}/api`).replace(/\/+$/, '');
/** The staff API key: the tests' own API calls (automation keeps keys; the console signs in). */
export const STAFF_KEY = required('E2E_STAFF_KEY');
/** The stack's admin user (make run prints LOCAL_ADMIN_EMAIL and LOCAL_ADMIN_PASSWORD). */
export const ADMIN = { email: required('E2E_ADMIN_EMAIL'), password: required('E2E_ADMIN_PASSWORD') };
/** Seconds to wait for the worker to process a resume. */
export const RESUME_TIMEOUT_MS = Number(process.env.E2E_RESUME_TIMEOUT_S ?? 90) * 1000;
/** A suffix that keeps this run's emails apart from earlier runs' on a long-lived stack. */
export const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

export async function api(path, { method = 'GET', body, key = STAFF_KEY, headers = {} } = {}) {
  const response = await fetch(`${API_URL}${path}`, {
    method,
    headers: {
      ...(key ? { 'X-Api-Key': key } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}
