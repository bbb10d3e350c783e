export const paths = {
  home: '/',
  staff: {
    root: '/staff',
    professional: (id: string) => `/staff/professionals/${encodeURIComponent(id)}`,
    import: '/staff/import',
  },
} as const;
