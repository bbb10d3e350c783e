/** Shown beside an email the person proved they own (they opened a link we mailed to it). */
export function VerifiedBadge() {
  return (
    <span
      title="The person opened a link mailed to this address"
      className="ml-1 inline-block rounded-full border border-green-200 bg-green-50 px-2 text-xs leading-5 font-medium whitespace-nowrap text-green-800"
    >
      verified
    </span>
  );
}
