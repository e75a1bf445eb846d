import pg from 'pg';
import { it } from 'vitest';
import { compact } from '../../src/service/compact/index.js';
import { createStoragePool, migrate } from '../../src/service/storage/index.js';
import { createTestDatabase } from '../support/databases.js';

it('debug', async () => {
  const db = await createTestDatabase('cdebug');
  const pool: pg.Pool = createStoragePool(db.url);
  await migrate(pool, 'up');
  await pool.query(`INSERT INTO powersync.sync_rules (id, state, content, slot_name, last_checkpoint) VALUES (1,'ACTIVE','','s',15)`);
  const ops: Array<[number, string, string]> = [];
  for (let i = 0; i < 7; i++) ops.push([i + 1, 'PUT', `r${i}`]);
  for (let i = 0; i < 7; i++) ops.push([i + 8, 'REMOVE', `r${i}`]);
  ops.push([15, 'PUT', 'keep']);
  for (const [id, op, r] of ops) {
    await pool.query(`INSERT INTO powersync.bucket_data (group_id, bucket_name, op_id, op, table_name, row_id, subkey, checksum) VALUES (1,'g[]',$1,$2,'t',$3,'s',1)`, [id, op, r]);
  }
  await pool.query(`INSERT INTO powersync.bucket_state VALUES (1,'g[]',15,15,15,15)`);
  const res = await compact(pool, { clearBatchLimit: 3, moveBatchLimit: 100 });
  console.log(res);
  console.log((await pool.query(`SELECT op_id, op, target_op, checksum FROM powersync.bucket_data ORDER BY op_id`)).rows);
  await pool.end();
  await db.drop();
});
