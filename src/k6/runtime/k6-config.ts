/** What the k6 script reads from config.json, written by `syncscale export k6` (types only: no code). */
export interface K6Config {
  scenario: string;
  scenarioHash: string;
  /** `ws://…/sync/stream` or `wss://…`. */
  websocketUrl: string;
  users: number;
  userPrefix: string;
  /** HS256 key the VUs sign with; absent when `tokens` are given. */
  key?: { k: string; kid?: string; audience: string };
  /** Pre-made tokens, user `n` gets `tokens[n % length]`. */
  tokens?: string[];
  tokenLifetimeSeconds: number;
  stages: Array<{ duration: string; target: number }>;
  totalMs: number;
  stampColumn: string;
  /** Phase boundaries from the start of the test: `syncscale ingest` windows samples by them. */
  phases: Array<{ name: string; startMs: number; endMs: number }>;
}
