import type { Segment } from '../lib/search-text';

// Text nodes only: what the API returns is never parsed as markup.
export function Highlighted({ segments }: { segments: Segment[] }) {
  return segments.map((segment, i) =>
    segment.hit ? (
      <mark key={i} className="rounded-sm bg-yellow-200 text-inherit">
        {segment.text}
      </mark>
    ) : (
      segment.text
    ),
  );
}
