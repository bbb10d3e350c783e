export const paths = {
  home: '/',
  privacy: '/privacy',
  me: '/me',
  staff: {
    root: '/staff',
    professional: (id: string) => `/staff/professionals/${encodeURIComponent(id)}`,
    import: '/staff/import',
    dashboard: '/staff/dashboard',
  },
} as const;
