import { Button } from '@/components/ui/button';

/** What a person sees when a screen crashes: a plain sentence and a way out, never a stack. */
export function ErrorFallback({ onRetry }: { onRetry?: () => void }) {
  return (
    <div role="alert" className="mx-auto max-w-xl space-y-4 px-4 py-16 text-center">
      <h1 className="text-2xl font-bold text-slate-900">Something went wrong</h1>
      <p className="text-slate-700">Reload the page to try again. If it keeps happening, tell us what you were doing.</p>
      <Button onClick={onRetry ?? (() => window.location.reload())}>Reload</Button>
    </div>
  );
}
