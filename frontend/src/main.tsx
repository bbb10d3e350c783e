import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from '@/app';
import { EnvError, getEnv } from '@/config/env';

import './index.css';

const root = createRoot(document.getElementById('root')!);

// The build environment is validated before anything talks to the API.
let envProblem: string | null = null;
try {
  getEnv();
} catch (error) {
  if (!(error instanceof EnvError)) throw error;
  envProblem = error.message;
}

root.render(
  envProblem ? (
    <main role="alert" className="mx-auto max-w-xl px-4 py-16">
      <h1 className="text-2xl font-bold">This site is misconfigured</h1>
      <p className="mt-2 text-slate-700">{envProblem}</p>
    </main>
  ) : (
    <StrictMode>
      <App />
    </StrictMode>
  ),
);
