// amazon-cognito-identity-js bundles buffer@4, which reads Node's `global` when it loads (and the
// library looks for `global.crypto`): browsers only have `globalThis`. Imported before the library.
const scope = globalThis as typeof globalThis & { global?: typeof globalThis };
scope.global ??= globalThis;

export {};
