import { clientSchema } from './client-schema.js';
import { checkPhase } from './phase-checks.js';
import { duration, positiveDuration } from './schema-helpers.js';
import { writeSchema } from './write-schema.js';
import type { PathProblem } from './zod-problems.js';

/**
 * When the file as a whole is invalid, each phase's own checks still run on the parts of it that parse, so
 * their problems are reported together with the schema's.
 */
export function partialChecks(tree: unknown): PathProblem[] {
  const phases = isRecord(tree) && Array.isArray(tree.phases) ? tree.phases : [];
  return phases.flatMap((item, index) => phaseErrors(item, index));
}

function phaseErrors(item: unknown, index: number): PathProblem[] {
  if (!isRecord(item)) return [];
  const phaseDuration = positiveDuration.safeParse(item.duration);
  if (!phaseDuration.success) return [];
  const clients = clientSchema.safeParse(item.clients);
  const writes = writeSchema.safeParse(item.writes);
  const actions = Array.isArray(item.actions) ? item.actions : [];
  const parts = {
    durationMs: phaseDuration.data,
    load: clients.success ? clients.data.load : undefined,
    rate: writes.success ? writes.data.rate : undefined,
    actionTimes: actions.map((action) => {
      const at = duration.safeParse(isRecord(action) ? action.at : undefined);
      return at.success ? at.data : undefined;
    }),
  };
  return checkPhase(parts, index)
    .filter((check) => check.level === 'error')
    .map((check) => ({ path: check.keyPath, message: check.message }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
