import type { Expr, ExprRef } from 'pgsql-ast-parser';

/** `bucket.<name>` references: the bucket parameters a data query matches on. */
export function bucketRef(expr: Expr): ExprRef | undefined {
  return expr.type === 'ref' && expr.table?.name === 'bucket' && expr.table.schema === undefined
    ? expr
    : undefined;
}

/** Whether any `bucket.<name>` appears anywhere inside the expression. */
export function mentionsBucket(node: unknown): boolean {
  if (Array.isArray(node)) return node.some((item) => mentionsBucket(item));
  if (node === null || typeof node !== 'object') return false;
  if (bucketRef(node as Expr) !== undefined) return true;
  return Object.entries(node).some(([key, value]) => key !== '_location' && mentionsBucket(value));
}
