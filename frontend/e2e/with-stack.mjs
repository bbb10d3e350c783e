// Runs the end-to-end tests against a local stack of their own: starts `python -m infra.local_stack`
// on a free port with a throwaway data folder and known keys, waits for /api/health, runs the
// tests, and stops the stack (its whole process group) whatever happens.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const python = process.env.PYTHON ?? join(root, '.venv/bin/python');

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const dataDir = mkdtempSync(join(tmpdir(), 'e2e-stack-'));
const staffKey = `e2e-staff-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
const admin = { email: 'admin@professionals.local', password: `E2e-${Math.random().toString(36).slice(2)}-Adm1n` };
const base = `http://127.0.0.1:${port}`;

const stack = spawn(python, ['-m', 'infra.local_stack'], {
  cwd: root,
  env: {
    ...process.env,
    PORT: String(port),
    LOCAL_DATA_DIR: dataDir,
    LOCAL_STAFF_KEY: staffKey,
    LOCAL_ADMIN_EMAIL: admin.email,
    LOCAL_ADMIN_PASSWORD: admin.password,
  },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
let log = '';
stack.stdout.on('data', (chunk) => (log += chunk));
stack.stderr.on('data', (chunk) => (log += chunk));

const stop = () =>
  new Promise((resolve) => {
    if (stack.exitCode !== null) return resolve();
    stack.once('exit', resolve);
    process.kill(-stack.pid, 'SIGTERM');
    setTimeout(() => stack.exitCode === null && process.kill(-stack.pid, 'SIGKILL'), 20_000).unref();
  });

let code = 1;
try {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (stack.exitCode !== null) throw new Error(`the local stack exited (${stack.exitCode}):\n${log}`);
    const ok = await fetch(`${base}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the local stack was not healthy within 180 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`local stack ready at ${base}`);
  const files = ['e2e/spa.e2e.test.mjs', 'e2e/self-service.e2e.test.mjs', 'e2e/import-job.e2e.test.mjs'];
  const tests = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
    cwd: new URL('..', import.meta.url).pathname,
    env: {
      ...process.env,
      E2E_BASE_URL: base,
      E2E_STAFF_KEY: staffKey,
      E2E_ADMIN_EMAIL: admin.email,
      E2E_ADMIN_PASSWORD: admin.password,
    },
    stdio: 'inherit',
  });
  code = await new Promise((resolve) => tests.on('exit', (c) => resolve(c ?? 1)));
} catch (error) {
  console.error(String(error.message ?? error));
} finally {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
