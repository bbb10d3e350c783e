/** Shapes of the API's responses (docs/api.md: the professional, bulk upsert, search, errors). */

export const SOURCES = ['direct', 'partner', 'internal'] as const;
export type Source = (typeof SOURCES)[number];

export const RESUME_STATUSES = ['awaiting_upload', 'processing', 'ready', 'rejected'] as const;
export type ResumeStatus = (typeof RESUME_STATUSES)[number];

export const RESUME_REASONS = [
  'not_pdf',
  'too_large',
  'empty',
  'unreadable',
  'encrypted',
  'too_many_pages',
  'timeout',
  'expired',
] as const;
export type ResumeReason = (typeof RESUME_REASONS)[number];

export type Resume = {
  status: ResumeStatus;
  reason: ResumeReason | null;
  size_bytes: number | null;
  pages: number | null;
  text_chars: number | null;
  text_truncated: boolean | null;
  uploaded_at: string | null;
  processed_at: string | null;
};

export type Professional = {
  id: string;
  full_name: string;
  email: string | null;
  phone: string | null;
  company_name: string | null;
  job_title: string | null;
  source: Source;
  created_at: string;
  updated_at: string;
  resume: Resume | null;
  /** False until the person opens a link mailed to the address; any change of email sets it false again. */
  email_verified: boolean;
  /** The privacy notice the person accepted at sign-up (its version), or null (older records, most bulk rows). */
  consent: Consent | null;
};

export type Consent = { version: string; accepted_at: string };

export type ProfessionalDetail = Professional & { resume_text: string | null };

export type ResumeUpload = {
  url: string;
  fields: Record<string, string>;
  key: string;
  max_bytes: number;
  expires_at: string;
};

export type ResumeDescriptor = {
  filename: string;
  content_type: 'application/pdf';
  size_bytes: number;
};

export type SignupResponse = Professional & {
  access_token?: string;
  resume_upload?: ResumeUpload;
};

export type ResumeUploadResponse = Professional & { resume_upload: ResumeUpload };

/** `POST /sessions`: an emailed link's token exchanged for a 24-hour access token. */
export type SessionResponse = { access_token: string; professional: ProfessionalDetail | Professional };

export type ProfessionalPage = { items: Professional[]; next_cursor: string | null };

/** The fields a search term matched in (docs/api.md, Search), in the order the API lists them. */
export const MATCH_FIELDS = ['full_name', 'company_name', 'job_title', 'email', 'phone', 'resume'] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

/** How a search reads `q` (contract 8.4): keyword (the default, 8.3), by meaning, or both fused. */
export const SEARCH_MODES = ['keyword', 'semantic', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** A passage of a resume, in its own words, found by meaning; `score` is 0..1 (8.4). */
export type Passage = { text: string; score: number };

/**
 * Where a search result matched; `snippet` is resume text around the first match, when `resume`
 * matched (by meaning: the best passage). `passages` come with a match by meaning only (8.4):
 * up to 3, best first.
 */
export type SearchMatch = { fields: MatchField[]; snippet: string | null; passages?: Passage[] };

/** A search result: the list resource plus `match` (`GET /professionals?q=`). */
export type SearchHit = Professional & { match: SearchMatch };

export type SearchPage = { items: SearchHit[]; next_cursor: string | null };

/** `GET /professionals/{id}/similar`: up to 10, nearest first; empty without a ready resume (8.4). */
export type SimilarPage = { items: SearchHit[] };

export type ResumeDownload = { url: string; expires_at: string };

export type ErrorBody = {
  code: string;
  message: string;
  details?: {
    fields?: Record<string, string[]>;
    conflicts?: { field: string; id?: string }[];
    [key: string]: unknown;
  } | null;
};

export type BulkRowStatus = 'created' | 'updated' | 'unchanged' | 'failed';

export type BulkResult = {
  index: number;
  status: BulkRowStatus;
  id: string | null;
  error: ErrorBody | null;
  /** `updated` rows only (dry runs too): each changed field's stored value and the row's. */
  changes?: BulkChanges;
};

export type BulkChanges = Record<string, { from: unknown; to: unknown }>;

export type BulkSummary = Record<BulkRowStatus, number>;

export type BulkResponse = { summary: BulkSummary; results: BulkResult[] };

export const HISTORY_ACTIONS = ['created', 'updated', 'email_verified', 'resume_ready', 'resume_rejected', 'deleted'] as const;
export type HistoryAction = (typeof HISTORY_ACTIONS)[number];
export type HistoryActor = { kind: 'staff' | 'key' | 'person' | 'anonymous' | 'system'; name: string | null };
export type HistoryEntry = {
  at: string;
  action: HistoryAction;
  actor: HistoryActor;
  via: 'api' | 'bulk' | 'import' | 'self_service' | 'resume' | 'purge';
  changes: Record<string, { from: unknown; to: unknown }>;
};
export type HistoryPage = { items: HistoryEntry[]; next_cursor: string | null };
