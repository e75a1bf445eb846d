import type { Expr } from 'pgsql-ast-parser';
import { bucketRef, mentionsBucket } from './bucket-refs.js';
import { compileExpr, type Compiled, type ExprScope } from './expression.js';
import type { ReportIssue } from './sql-issue.js';

/** How a row value selects buckets: `column = bucket.p` (one value) or `bucket.p IN column` (each array element). */
export interface ParameterMatch {
  parameter: string;
  value: Compiled;
  kind: 'equals' | 'inArray';
}

/** One OR branch of a data query's WHERE: the row belongs to the buckets its matches give, if its filters pass. */
export interface WhereBranch {
  matches: ParameterMatch[];
  filters: Compiled[];
}

const MAX_BRANCHES = 64;

/**
 * Splits a data query's WHERE into OR branches of parameter matches and row filters. Each branch must match
 * every bucket parameter; OR may only join conditions that each match bucket parameters.
 */
export function analyzeDataWhere(
  where: Expr | null | undefined,
  scope: ExprScope,
  parameters: ReadonlyArray<string> | undefined,
  report: ReportIssue,
): WhereBranch[] | undefined {
  const branches = where
    ? new WhereSplitter(scope, parameters, report).split(where)
    : [{ matches: [], filters: [] }];
  if (branches === undefined || parameters === undefined) return branches;
  const missing = branches.map((branch) => {
    const matched = new Set(branch.matches.map((m) => m.parameter));
    return parameters.filter((p) => !matched.has(p)).map((p) => `bucket.${p}`);
  });
  if (missing.every((list) => list.length === 0)) return branches;
  const how = '(`column = bucket.<name>` or `bucket.<name> IN column`)';
  if (branches.length === 1) {
    report(
      `${missing[0]?.join(', ')} not matched in WHERE: every bucket parameter must be matched ${how}`,
      where ?? undefined,
    );
  } else {
    const lacks = missing
      .flatMap((list, i) => (list.length === 0 ? [] : [`branch ${i + 1} lacks ${list.join(', ')}`]))
      .join('; ');
    report(
      `OR across different bucket parameters is not supported: each OR branch must match every bucket parameter ${how}; ${lacks}`,
      where ?? undefined,
    );
  }
  return undefined;
}

class WhereSplitter {
  constructor(
    private readonly scope: ExprScope,
    /** `undefined` when unknown (a parameter query failed): any `bucket.<name>` is then accepted. */
    private readonly parameters: ReadonlyArray<string> | undefined,
    private readonly report: ReportIssue,
  ) {}

  split(expr: Expr): WhereBranch[] | undefined {
    if (!mentionsBucket(expr)) {
      const filter = compileExpr(expr, this.scope, this.report);
      return filter === undefined ? undefined : [{ matches: [], filters: [filter] }];
    }
    if (expr.type === 'binary' && expr.op === 'AND')
      return this.and(this.split(expr.left), this.split(expr.right), expr);
    if (expr.type === 'binary' && expr.op === 'OR') {
      if (!mentionsBucket(expr.left) || !mentionsBucket(expr.right)) {
        this.report('OR between a bucket parameter match and a condition without one is not supported', expr);
        return undefined;
      }
      const left = this.split(expr.left);
      const right = this.split(expr.right);
      return left && right ? [...left, ...right] : undefined;
    }
    const match = this.match(expr);
    return match === undefined ? undefined : [{ matches: [match], filters: [] }];
  }

  private and(
    left: WhereBranch[] | undefined,
    right: WhereBranch[] | undefined,
    at: Expr,
  ): WhereBranch[] | undefined {
    if (left === undefined || right === undefined) return undefined;
    if (left.length * right.length > MAX_BRANCHES) {
      this.report(`WHERE expands to more than ${MAX_BRANCHES} OR branches`, at);
      return undefined;
    }
    return left.flatMap((l) =>
      right.map((r) => ({ matches: [...l.matches, ...r.matches], filters: [...l.filters, ...r.filters] })),
    );
  }

  private match(expr: Expr): ParameterMatch | undefined {
    if (expr.type === 'binary' && (expr.op === '=' || expr.op === 'IN')) {
      const leftRef = bucketRef(expr.left);
      const rightRef = expr.op === '=' ? bucketRef(expr.right) : undefined;
      const [ref, other] = leftRef ? [leftRef, expr.right] : [rightRef, expr.left];
      if (ref !== undefined && !mentionsBucket(other)) {
        if (this.parameters !== undefined && !this.parameters.includes(ref.name)) {
          const known = this.parameters.length === 0 ? 'it has none' : `it has ${this.parameters.join(', ')}`;
          this.report(`bucket.${ref.name} is not a parameter of this bucket definition (${known})`, ref);
          return undefined;
        }
        const value = compileExpr(other, this.scope, this.report);
        if (value === undefined) return undefined;
        return { parameter: ref.name, value, kind: expr.op === '=' ? 'equals' : 'inArray' };
      }
    }
    this.report(
      'bucket parameters can only be matched as `column = bucket.<name>` or `bucket.<name> IN column`, joined with AND/OR',
      expr,
    );
    return undefined;
  }
}
