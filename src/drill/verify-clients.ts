import pg from 'pg';
import type { ClientWitness } from './witness.js';

/** The row-level comparison of every client's state with the source. */
export interface Verification {
  clients: number;
  /** Source rows a client should hold, summed over clients. */
  expectedRows: number;
  /** (client, row) pairs missing from the client. */
  missing: number;
  /** Distinct source rows missing from at least one of their user's clients. */
  lostRows: number;
  /** (client, row) pairs whose data differs from the source. */
  mismatched: number;
  /** (client, row) pairs the client holds that the source does not have. */
  phantom: number;
  /** Rows replicated twice (two distinct PUT ops for an insert-only row), over clients. */
  duplicatedOps: number;
  /** A few examples of each problem, for the report. */
  examples: string[];
}

interface SourceRow {
  id: string;
  payload: string | null;
}

/**
 * Compares each client's todos (its user's rows) and lists (the global bucket) with the source, by id and
 * payload. The source table is the truth: it holds every committed write, including those whose commit
 * acknowledgement the writer never saw.
 */
export async function verifyClients(
  sourceUrl: string,
  witnesses: readonly ClientWitness[],
): Promise<Verification> {
  const source = new pg.Client({ connectionString: sourceUrl });
  await source.connect();
  let todos: Array<SourceRow & { owner_id: string }>;
  let lists: Array<{ id: string; name: string | null }>;
  try {
    todos = (await source.query<SourceRow & { owner_id: string }>('SELECT id, owner_id, payload FROM todos'))
      .rows;
    lists = (await source.query<{ id: string; name: string | null }>('SELECT id, name FROM lists')).rows;
  } finally {
    await source.end();
  }
  const byOwner = new Map<string, SourceRow[]>();
  for (const row of todos) {
    let rows = byOwner.get(row.owner_id);
    if (!rows) byOwner.set(row.owner_id, (rows = []));
    rows.push(row);
  }
  const result: Verification = {
    clients: witnesses.length,
    expectedRows: 0,
    missing: 0,
    lostRows: 0,
    mismatched: 0,
    phantom: 0,
    duplicatedOps: 0,
    examples: [],
  };
  const lost = new Set<string>();
  const example = (text: string) => {
    if (result.examples.length < 10) result.examples.push(text);
  };
  for (const witness of witnesses) {
    const expectedTodos = byOwner.get(witness.userId) ?? [];
    const compare = (
      type: string,
      expected: ReadonlyArray<{ id: string; value: string | null }>,
      field: string,
    ) => {
      const held = witness.table(type);
      result.expectedRows += expected.length;
      for (const row of expected) {
        const data = held.get(row.id) as Record<string, unknown> | undefined;
        if (!data) {
          result.missing++;
          lost.add(`${type}/${row.id}`);
          example(`client ${witness.clientId} (${witness.userId}) misses ${type} ${row.id}`);
        } else if ((data[field] ?? null) !== row.value) {
          result.mismatched++;
          example(`client ${witness.clientId} has ${type} ${row.id}.${field} different from the source`);
        }
        held.delete(row.id);
      }
      for (const id of held.keys()) {
        result.phantom++;
        example(`client ${witness.clientId} holds ${type} ${id}, which the source does not have`);
      }
    };
    compare(
      'todos',
      expectedTodos.map((r) => ({ id: r.id, value: r.payload })),
      'payload',
    );
    compare(
      'lists',
      lists.map((r) => ({ id: r.id, value: r.name })),
      'name',
    );
    for (const duplicate of witness.duplicates()) {
      result.duplicatedOps += duplicate.opIds.length - 1;
      example(
        `client ${witness.clientId}: ${duplicate.row} arrived as ${duplicate.opIds.length} distinct PUT ops (${duplicate.opIds.join(', ')})`,
      );
    }
  }
  result.lostRows = lost.size;
  return result;
}
