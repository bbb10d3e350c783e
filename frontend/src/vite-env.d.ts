/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** API root: an absolute http(s) URL or a path on this origin. Default `/api`. */
  readonly VITE_API_BASE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
