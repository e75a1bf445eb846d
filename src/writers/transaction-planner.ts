import { createChooser, type IndexChooser, type KeyChoice } from './key-choice.js';
import type { KeySpace, TouchedKeys } from './key-space.js';
import type { PayloadSource } from './payload-source.js';
import type { Random } from './random.js';

/** Relative weights of the operations in a transaction (need not sum to 1). */
export interface OperationMix {
  insert?: number;
  update?: number;
  delete?: number;
}

/** The rows of one transaction: keys by operation, plus what to write. */
export interface PlannedTransaction extends TouchedKeys {
  inserted: number[];
  updated: number[];
  deleted: number[];
  insertOwners: string[];
  insertPayloads: string[];
  updatePayloads: string[];
}

export interface PlannerOptions {
  mix: OperationMix;
  rowsPerTransaction: number;
  keyChoice: KeyChoice;
  ownerChoice: KeyChoice;
  users: readonly string[];
  payload: PayloadSource;
  random: Random;
}

/**
 * Chooses each transaction's operations: by the mix's weights, updates and deletes on live keys no other
 * in-flight transaction holds (reserved until `KeySpace.settle`), inserts on fresh keys with an owner chosen
 * among the users. An update or delete with no key available becomes an insert, so the row count holds.
 */
export class TransactionPlanner {
  private readonly weights: [number, number, number];
  private readonly chooseKey: IndexChooser;
  private readonly chooseOwner: IndexChooser;

  constructor(
    private readonly keys: KeySpace,
    private readonly options: PlannerOptions,
  ) {
    this.weights = normaliseMix(options.mix);
    const { rowsPerTransaction } = options;
    if (!Number.isSafeInteger(rowsPerTransaction) || rowsPerTransaction < 1) {
      throw new RangeError(`rowsPerTransaction must be an integer ≥ 1, got ${rowsPerTransaction}`);
    }
    this.chooseKey = createChooser(options.keyChoice, options.random);
    this.chooseOwner = createChooser(options.ownerChoice, options.random);
  }

  plan(): PlannedTransaction {
    const planned: PlannedTransaction = {
      inserted: [],
      updated: [],
      deleted: [],
      insertOwners: [],
      insertPayloads: [],
      updatePayloads: [],
    };
    for (let row = 0; row < this.options.rowsPerTransaction; row++) this.addRow(planned);
    return planned;
  }

  private addRow(planned: PlannedTransaction): void {
    const u = this.options.random.next();
    const [insert, update] = this.weights;
    if (u >= insert) {
      const existing = this.keys.reserveExisting(this.chooseKey);
      if (existing !== undefined && u < insert + update) {
        planned.updated.push(existing);
        planned.updatePayloads.push(this.options.payload.next());
        return;
      }
      if (existing !== undefined) {
        planned.deleted.push(existing);
        return;
      }
    }
    planned.inserted.push(this.keys.allocate());
    planned.insertOwners.push(this.options.users[this.chooseOwner(this.options.users.length)] as string);
    planned.insertPayloads.push(this.options.payload.next());
  }
}

/** Cumulative-ready weights [insert, update, delete] summing to 1; throws on a bad mix. */
export function normaliseMix(mix: OperationMix): [number, number, number] {
  const raw = [mix.insert ?? 0, mix.update ?? 0, mix.delete ?? 0] as const;
  if (raw.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new RangeError(`operation mix weights must be finite and ≥ 0, got ${JSON.stringify(mix)}`);
  }
  const total = raw[0] + raw[1] + raw[2];
  if (total <= 0) throw new RangeError('operation mix needs at least one positive weight');
  return [raw[0] / total, raw[1] / total, raw[2] / total];
}
