import type { TestProject } from 'vitest/node';
import { externalPostgres, startEmbeddedPostgres, type PostgresServer } from '../../src/postgres/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the Postgres server shared by all integration tests of this run. */
    pgAdminUrl: string;
  }
}

let server: PostgresServer | undefined;

/** One real Postgres per test run: embedded, or the external one named by SYNCSCALE_TEST_PG_URL. */
export async function setup(project: TestProject): Promise<void> {
  const external = process.env.SYNCSCALE_TEST_PG_URL;
  server = external ? externalPostgres(external) : await startEmbeddedPostgres();
  project.provide('pgAdminUrl', server.url());
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
