/**
 * Values as the sync config sees them: SQLite's types. Postgres values are converted to these before
 * evaluation (integers as bigint when they exceed 2^53, booleans as 0/1, timestamps and JSON as text).
 * Binary values are not representable in the JSON sent to clients and are dropped.
 */
export type SqliteValue = null | string | number | bigint;
export type SqliteRow = Record<string, SqliteValue>;
