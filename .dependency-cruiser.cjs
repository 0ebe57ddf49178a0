// The import rules of docs/design.md ("Layout"), checked in CI: imports flow one way,
// cli -> server -> sandbox -> {workers, datasets, models, formats, policies, encryption,
// ledger} -> core; client (used by cli and the console) imports the platform's schemas as types only. Each rule names the folder it protects.
const AREAS_BELOW_SANDBOX = '^(workers|datasets|models|formats|policies|encryption|ledger)/';
module.exports = {
  forbidden: [
    { name: 'core-imports-nothing-of-the-platform', severity: 'error', from: { path: '^core/' }, to: { path: '^(datasets|models|formats|policies|workers|encryption|sandbox|ledger|server|cli|console|bench)/' } },
    { name: 'policies-pure', comment: 'policies/ imports only core/', severity: 'error', from: { path: '^policies/' }, to: { path: '^(datasets|models|formats|workers|encryption|sandbox|ledger|server|cli|console|bench)/' } },
    { name: 'ledger-independent', comment: 'ledger/ imports only core/', severity: 'error', from: { path: '^ledger/' }, to: { path: '^(datasets|models|formats|policies|workers|encryption|sandbox|server|cli|console|bench)/' } },
    { name: 'workers-confined', comment: 'what runs model code reads no vault, registry, ledger or server', severity: 'error', from: { path: '^workers/' }, to: { path: '^(datasets|models|formats|policies|encryption|sandbox|ledger|server|cli|console|bench)/' } },
    { name: 'areas-below-sandbox', comment: 'the areas never reach up into the platform, the server or the command', severity: 'error', from: { path: AREAS_BELOW_SANDBOX }, to: { path: '^(sandbox|server|cli|console|bench)/' } },
    { name: 'sandbox-knows-no-http', severity: 'error', from: { path: '^sandbox/' }, to: { path: '^(server|cli|console|bench)/' } },
    { name: 'server-no-cli', severity: 'error', from: { path: '^server/' }, to: { path: '^(cli|bench)/' } },
    { name: 'platform-no-client', comment: 'only the command (and the web console) use the typed client', severity: 'error', from: { path: '^(core|datasets|models|formats|policies|workers|encryption|sandbox|ledger|server)/' }, to: { path: '^client/' } },
    {
      name: 'client-types-only',
      comment: 'client/ runs in a browser too: at run time it imports only itself; the platform only as types (its zod schemas)',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(core|datasets|models|formats|policies|workers|encryption|sandbox|ledger|server|cli|console|bench)/|node_modules|^node:', dependencyTypesNot: ['type-only'] },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
