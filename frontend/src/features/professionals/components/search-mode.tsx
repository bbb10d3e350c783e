import { useId } from 'react';

import type { SearchMode } from '@/types/api';

/** What a 503 from a search by meaning says (contract 8.4): the model or the vector store is down. */
export const MEANING_UNAVAILABLE = 'Search by meaning is unavailable right now; keyword search still works.';

/** The choices, named for people; hybrid is both lists fused (contract 8.4). */
export const SEARCH_MODE_NAMES: Record<SearchMode, string> = {
  keyword: 'Keywords',
  semantic: 'By meaning',
  hybrid: 'Both',
};

type SearchModeSwitchProps = {
  mode: SearchMode;
  onChange: (mode: SearchMode) => void;
};

/**
 * Keywords (the default), by meaning, or both: radio buttons drawn as one segmented control, so
 * arrow keys move between them and a screen reader says which is chosen.
 */
export function SearchModeSwitch({ mode, onChange }: SearchModeSwitchProps) {
  const name = useId();
  return (
    <fieldset>
      <legend className="mb-1 block text-sm font-medium text-slate-800">Search by</legend>
      <div className="flex overflow-hidden rounded-md shadow-sm ring-1 ring-slate-300">
        {(Object.keys(SEARCH_MODE_NAMES) as SearchMode[]).map((value) => (
          <label key={value} className="border-l border-slate-300 first:border-l-0">
            <input
              type="radio"
              name={name}
              value={value}
              checked={mode === value}
              onChange={() => onChange(value)}
              className="peer sr-only"
            />
            <span className="block cursor-pointer bg-white px-3 py-2 text-base whitespace-nowrap text-slate-800 peer-checked:bg-blue-700 peer-checked:text-white peer-focus-visible:outline-3 peer-focus-visible:-outline-offset-3 peer-focus-visible:outline-blue-600 hover:bg-slate-50 peer-checked:hover:bg-blue-700">
              {SEARCH_MODE_NAMES[value]}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
