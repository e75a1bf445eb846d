export { startService, type RunningService, type StartServiceOptions } from './start-service.js';
export { Probes, type ProbeState } from './probes.js';
