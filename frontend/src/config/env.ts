import { z } from 'zod';

/** Build-time settings, read from `import.meta.env` (Vite) and validated once at start. */
const EnvSchema = z.object({
  API_BASE_URL: z
    .string()
    .trim()
    .default('/api')
    .refine(
      (value) => value.startsWith('/') || /^https?:\/\/[^\s/]+/i.test(value),
      'must be a path on this origin (starting with "/") or an absolute http(s) URL',
    )
    .transform((value) => value.replace(/\/+$/, '')),
});

export type Env = z.infer<typeof EnvSchema>;

export class EnvError extends Error {}

export function parseEnv(raw: Record<string, unknown>): Env {
  const input = {
    API_BASE_URL: raw.VITE_API_BASE_URL === '' ? undefined : raw.VITE_API_BASE_URL,
  };
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `VITE_${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new EnvError(`Invalid build environment: ${problems}`);
  }
  return parsed.data;
}

let cached: Env | undefined;

/** The validated environment; throws EnvError when the build was given a bad value. */
export function getEnv(): Env {
  cached ??= parseEnv(import.meta.env);
  return cached;
}
