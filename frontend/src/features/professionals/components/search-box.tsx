import { useEffect, useId, useRef, useState } from 'react';

import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import type { SearchMode } from '@/types/api';

import { MEANING_MAX_CHARS } from '../api/get-professionals';

import { SearchModeSwitch } from './search-mode';

/** How long typing must pause before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 300;
const MAX_QUERY_LENGTH: Record<SearchMode, number> = {
  keyword: 200, // docs/api.md (Search)
  semantic: MEANING_MAX_CHARS, // contract 8.4
  hybrid: MEANING_MAX_CHARS,
};

const PLACEHOLDERS: Record<SearchMode, string> = {
  keyword: 'e.g. jose engineer, (415) 555-0123',
  semantic: 'e.g. built payment systems for banks',
  hybrid: 'e.g. kubernetes, scaling services under load',
};

const HINTS: Record<SearchMode, string> = {
  keyword:
    'Names, companies, job titles, emails and phones match from the start of a word; resumes match whole words. A whole email address or phone number, typed any way, puts its owner first.',
  semantic:
    'Describe the experience you are looking for in your own words (3 to 500 characters): resumes close in meaning are found even when they use other words. Only ready resumes are searched.',
  hybrid:
    'Keyword matches (names, emails, phones, resume words) and resumes close in meaning, in one list (3 to 500 characters).',
};

type SearchBoxProps = {
  /** The search in the URL (trimmed; '' for none). */
  committed: string;
  /** Put a search in the URL; `replace` while the same search is still being typed. */
  onSearch: (q: string, options: { replace: boolean }) => void;
  /** Keywords (the default), by meaning, or both (contract 8.4). */
  mode?: SearchMode;
  onMode?: (mode: SearchMode) => void;
};

/**
 * Search as you type: the text is sent once typing pauses, Enter sends it at once, and clearing
 * the box (Escape, the Clear button, or deleting the text) returns to the plain list at once.
 */
export function SearchBox({ committed, onSearch, mode = 'keyword', onMode }: SearchBoxProps) {
  const [text, setText] = useState(committed);
  const input = useRef<HTMLInputElement>(null);
  const hintId = useId();
  // The last search this box put in the URL, so the URL's echo of it never rewrites what has
  // been typed since; any other change of the URL (back, forward, a look-up) is shown.
  const sent = useRef(committed);
  const onSearchRef = useRef(onSearch);
  useEffect(() => {
    onSearchRef.current = onSearch;
  }, [onSearch]);

  useEffect(() => {
    if (committed === sent.current) return;
    sent.current = committed;
    setText(committed);
  }, [committed]);

  const commit = (value: string) => {
    const q = value.trim();
    if (q === sent.current) return;
    // One history entry per search, not per pause in typing; a new or a cleared search is its own.
    const replace = sent.current !== '' && q !== '';
    sent.current = q;
    onSearchRef.current(q, { replace });
  };

  useEffect(() => {
    const q = text.trim();
    if (q === sent.current) return;
    const timer = setTimeout(() => commit(q), q ? SEARCH_DEBOUNCE_MS : 0);
    return () => clearTimeout(timer);
  }, [text]); // commit reads refs only

  const clear = () => {
    setText('');
    commit('');
    input.current?.focus();
  };

  return (
    <form
      role="search"
      aria-label="Search professionals"
      className="space-y-1 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200"
      onSubmit={(event) => {
        event.preventDefault();
        commit(text);
      }}
    >
      <div className="flex flex-wrap items-end gap-2">
        <TextField
          ref={input}
          label="Search professionals"
          aria-describedby={hintId}
          type="search"
          value={text}
          maxLength={MAX_QUERY_LENGTH[mode]}
          autoComplete="off"
          spellCheck={false}
          enterKeyHint="search"
          placeholder={PLACEHOLDERS[mode]}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && text) {
              event.preventDefault();
              clear();
            }
          }}
          className="min-w-64 flex-1"
        />
        <Button type="submit">Search</Button>
        {text && (
          <Button variant="ghost" onClick={clear}>
            Clear search
          </Button>
        )}
        {/* After the box and its buttons: Tab from the skip link still reaches the box first. */}
        {onMode && <SearchModeSwitch mode={mode} onChange={onMode} />}
      </div>
      <p id={hintId} className="text-sm text-slate-600">
        {HINTS[mode]}
      </p>
    </form>
  );
}
