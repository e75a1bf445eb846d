import { z } from 'zod';
import {
  count,
  duration,
  exactlyOneOf,
  positiveCount,
  positiveDuration,
  positiveRate,
  shares,
  someWeight,
  weight,
} from './schema-helpers.js';
import { TRANSPORTS, type ClientLoad, type ClientShape, type Transport } from './types.js';

const SHAPES = ['constant', 'ramp', 'arrival_rate', 'churn', 'reconnect_storm'] as const;
const transport = z.enum(TRANSPORTS as [Transport, ...Transport[]]);
/** The SDKs' default transport. */
export const DEFAULT_TRANSPORT: Transport = 'http-bson';

const transportMix = z
  .strictObject({
    'http-ndjson': weight.optional(),
    'http-bson': weight.optional(),
    websocket: weight.optional(),
  })
  .refine(someWeight, 'at least one transport weight must be above 0');

const fields = z.strictObject({
  constant: count.optional(),
  ramp: z.strictObject({ from: count, to: count }).optional(),
  arrival_rate: z.strictObject({ per_second: positiveRate, session: positiveDuration }).optional(),
  churn: z.strictObject({ clients: positiveCount, per_second: positiveRate }).optional(),
  reconnect_storm: z.strictObject({ clients: positiveCount, at: duration }).optional(),
  transport: transport.optional(),
  mix: transportMix.optional(),
});

/** A phase's `clients`: one load shape, and `transport` (default http-bson) or a `mix` of transports. */
export const clientSchema = exactlyOneOf(fields, SHAPES)
  .refine((value) => value.transport === undefined || value.mix === undefined, {
    message: 'give transport or mix, not both',
    path: ['mix'],
  })
  .transform((value): ClientShape => ({
    load: toLoad(value),
    transports: value.mix
      ? shares<Transport>(value.mix).map(([name, share]) => ({ transport: name, share }))
      : [{ transport: value.transport ?? DEFAULT_TRANSPORT, share: 1 }],
  }));

function toLoad(value: z.output<typeof fields>): ClientLoad {
  if (value.ramp) return { kind: 'ramp', ...value.ramp };
  if (value.arrival_rate) {
    const { per_second: perSecond, session: sessionMs } = value.arrival_rate;
    return { kind: 'arrival_rate', perSecond, sessionMs };
  }
  if (value.churn) return { kind: 'churn', clients: value.churn.clients, perSecond: value.churn.per_second };
  if (value.reconnect_storm) {
    return {
      kind: 'reconnect_storm',
      clients: value.reconnect_storm.clients,
      atMs: value.reconnect_storm.at,
    };
  }
  return { kind: 'constant', clients: value.constant ?? 0 };
}
