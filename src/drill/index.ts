/** The rolling-deploy drill: rehearse a deploy under load and get a verdict on the lock, reconnects and data. */
export { loadDrill, parseDrill, stepKind, type Drill, type DrillStep } from './drill-file.js';
export { runDrill, type DrillOptions, type DrillOutcome } from './run-drill.js';
export { decide, type DrillCheck, type DrillResults, type StepRecord } from './drill-verdict.js';
export { Timeline, overlappingHolders, type DrillEvent, type LockSpan } from './timeline.js';
export { ClientWitness } from './witness.js';
export { verifyClients, type Verification } from './verify-clients.js';
export { LoadBalancer } from './load-balancer.js';
