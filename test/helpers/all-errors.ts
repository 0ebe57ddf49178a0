// Imports every area's error declarations, so the registry holds every code.
/// <reference types="vite/client" />
const modules = import.meta.glob(['../../*/errors.ts'], { eager: true });
export const loadedErrorModules = Object.keys(modules);
