import { Alert } from '@/components/ui/alert';

/** What stops the data from being sent (mapping or file header), one item each; nothing when none. */
export function ProblemsAlert({ title, problems }: { title: string; problems: string[] }) {
  if (problems.length === 0) return null;
  return (
    <Alert tone="warning" title={title}>
      <ul className="list-disc pl-5">
        {problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </Alert>
  );
}
