/** Nothing outlives syncscale: child processes and temp directories cleaned up even after a SIGKILL. */
export { guardPath, guardProcess, releasePath, releaseProcess } from './guard.js';
