import type { Expr, ExprBinary, ExprCall, ExprRef, ExprUnary } from 'pgsql-ast-parser';
import { jsonArrayElements, jsonExtract } from './json-extract.js';
import type { RequestValues } from './request-values.js';
import { constructName, type ReportIssue } from './sql-issue.js';
import { compareValues, sqlEquals, sqliteBool, truthy } from './sqlite-ops.js';
import type { SqliteRow, SqliteValue } from './sqlite-value.js';

/** The inputs an expression may read. */
export interface EvalContext {
  row?: SqliteRow;
  request?: RequestValues;
}

/** A compiled SQL expression and what it depends on. */
export interface Compiled {
  evaluate(context: EvalContext): SqliteValue;
  usesRow: boolean;
  usesRequest: boolean;
}

/** What names an expression may use. */
export interface ExprScope {
  /** The query's row source: the names its columns may be qualified with (table name, alias). */
  table?: { qualifiers: ReadonlyArray<string> };
  /** Where request functions are allowed; `undefined` means "not here" (data queries). */
  request: boolean;
}

type Eval = Compiled['evaluate'];

/** Compiles a sync-config SQL expression; unsupported constructs are reported and give `undefined`. */
export function compileExpr(expr: Expr, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  switch (expr.type) {
    case 'string':
    case 'integer':
    case 'numeric':
      return constant(expr.value);
    case 'boolean':
      return constant(expr.value ? 1 : 0);
    case 'null':
      return constant(null);
    case 'ref':
      return compileRef(expr, scope, report);
    case 'call':
      return compileCall(expr, scope, report);
    case 'member': {
      const operand = compileExpr(expr.operand, scope, report);
      if (operand === undefined) return undefined;
      const { member, op } = expr;
      return derive([operand], (c) => jsonExtract(operand.evaluate(c), member, op));
    }
    case 'binary':
      return compileBinary(expr, scope, report);
    case 'unary':
      return compileUnary(expr, scope, report);
    default:
      report(`${constructName(expr.type)} are not supported`, expr);
      return undefined;
  }
}

function constant(value: SqliteValue): Compiled {
  return { evaluate: () => value, usesRow: false, usesRequest: false };
}

function derive(parts: Compiled[], evaluate: Eval): Compiled {
  return { evaluate, usesRow: parts.some((p) => p.usesRow), usesRequest: parts.some((p) => p.usesRequest) };
}

function requestValue(read: (request: RequestValues) => SqliteValue): Compiled {
  return {
    evaluate: (c) => (c.request === undefined ? null : read(c.request)),
    usesRow: false,
    usesRequest: true,
  };
}

function compileRef(expr: ExprRef, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  const qualifier = expr.table?.name;
  const name = expr.name;
  if (name === '*') {
    report('`*` is only allowed as the whole column list', expr);
    return undefined;
  }
  if (qualifier === 'bucket') {
    report(
      `bucket.${name} can only be used in a data query's WHERE as \`column = bucket.${name}\` or \`bucket.${name} IN column\``,
      expr,
    );
    return undefined;
  }
  if (qualifier === 'token_parameters' || qualifier === 'user_parameters') {
    if (!scope.request) {
      report(
        `${qualifier}.${name} is not allowed in data queries (request values belong in parameter queries)`,
        expr,
      );
      return undefined;
    }
    return qualifier === 'token_parameters'
      ? requestValue((r) => r.tokenParameter(name))
      : requestValue((r) => r.userParameter(name));
  }
  if (scope.table === undefined) {
    report(`column "${name}" cannot be used without a FROM table`, expr);
    return undefined;
  }
  if (
    expr.table !== undefined &&
    (expr.table.schema !== undefined || !scope.table.qualifiers.includes(qualifier ?? ''))
  ) {
    report(`unknown table "${qualifier}" in ${qualifier}.${name}`, expr);
    return undefined;
  }
  return { evaluate: (c) => c.row?.[name] ?? null, usesRow: true, usesRequest: false };
}

function compileCall(expr: ExprCall, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  const fn = expr.function;
  const display = fn.schema === undefined ? `${fn.name}()` : `${fn.schema}.${fn.name}()`;
  if (fn.schema !== 'request') {
    report(`function ${display} is not supported`, expr);
    return undefined;
  }
  if (!scope.request) {
    report(`${display} is not allowed in data queries (request values belong in parameter queries)`, expr);
    return undefined;
  }
  const argCount = fn.name === 'parameter' ? 1 : 0;
  if (expr.args.length !== argCount) {
    report(`${display} takes ${argCount} argument${argCount === 1 ? '' : 's'}`, expr);
    return undefined;
  }
  switch (fn.name) {
    case 'user_id':
      return requestValue((r) => r.userId());
    case 'jwt':
      return requestValue((r) => r.jwtText());
    case 'parameters':
      return requestValue((r) => r.parametersText());
    case 'parameter': {
      const key = compileExpr(expr.args[0] as Expr, scope, report);
      if (key === undefined) return undefined;
      const evaluate: Eval = (c) => {
        const path = key.evaluate(c);
        return typeof path === 'string' && c.request !== undefined
          ? jsonExtract(c.request.parametersText(), path, '->>')
          : null;
      };
      return { evaluate, usesRow: key.usesRow, usesRequest: true };
    }
    default:
      report(
        `function ${display} is not supported (use request.user_id(), request.jwt(), request.parameters() or request.parameter('key'))`,
        expr,
      );
      return undefined;
  }
}

const COMPARISONS: Record<string, (order: number) => boolean> = {
  '=': (o) => o === 0,
  '!=': (o) => o !== 0,
  '<>': (o) => o !== 0,
  '<': (o) => o < 0,
  '<=': (o) => o <= 0,
  '>': (o) => o > 0,
  '>=': (o) => o >= 0,
};

function compileBinary(expr: ExprBinary, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  if (expr.op === 'IN' || expr.op === 'NOT IN') return compileIn(expr, scope, report);
  const logic = expr.op === 'AND' ? and : expr.op === 'OR' ? or : undefined;
  const test = COMPARISONS[expr.op];
  if (logic === undefined && test === undefined) {
    report(`operator ${expr.op} is not supported`, expr);
    return undefined;
  }
  const left = compileExpr(expr.left, scope, report);
  const right = compileExpr(expr.right, scope, report);
  if (left === undefined || right === undefined) return undefined;
  if (logic !== undefined) {
    return derive([left, right], (c) =>
      sqliteBool(logic(truthy(left.evaluate(c)), () => truthy(right.evaluate(c)))),
    );
  }
  return derive([left, right], (c) => {
    const a = left.evaluate(c);
    const b = right.evaluate(c);
    return a === null || b === null || test === undefined ? null : sqliteBool(test(compareValues(a, b)));
  });
}

function and(a: boolean | null, b: () => boolean | null): boolean | null {
  if (a === false) return false;
  const second = b();
  if (second === false) return false;
  return a === null || second === null ? null : true;
}

function or(a: boolean | null, b: () => boolean | null): boolean | null {
  if (a === true) return true;
  const second = b();
  if (second === true) return true;
  return a === null || second === null ? null : false;
}

/** `x IN (a, b)` over a list, or `x IN <json array>` over a JSON array value. */
function compileIn(expr: ExprBinary, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  const left = compileExpr(expr.left, scope, report);
  const candidates = inCandidates(expr.right, scope, report);
  if (left === undefined || candidates === undefined) return undefined;
  const negate = expr.op === 'NOT IN';
  return derive([left, candidates.source], (c) => {
    const value = left.evaluate(c);
    const options = candidates.values(c);
    if (value === null || options === undefined) return null;
    let sawNull = false;
    for (const option of options) {
      const equal = sqlEquals(value, option);
      if (equal === true) return negate ? 0 : 1;
      if (equal === null) sawNull = true;
    }
    return sawNull ? null : negate ? 1 : 0;
  });
}

function inCandidates(
  right: Expr,
  scope: ExprScope,
  report: ReportIssue,
): { source: Compiled; values: (c: EvalContext) => SqliteValue[] | undefined } | undefined {
  if (right.type === 'list') {
    const items = right.expressions.map((item) => compileExpr(item, scope, report));
    if (items.some((item) => item === undefined)) return undefined;
    const compiled = items as Compiled[];
    return { source: derive(compiled, () => null), values: (c) => compiled.map((item) => item.evaluate(c)) };
  }
  const array = compileExpr(right, scope, report);
  if (array === undefined) return undefined;
  return { source: array, values: (c) => jsonArrayElements(array.evaluate(c)) };
}

function compileUnary(expr: ExprUnary, scope: ExprScope, report: ReportIssue): Compiled | undefined {
  const operand = compileExpr(expr.operand, scope, report);
  if (operand === undefined) return undefined;
  switch (expr.op) {
    case 'NOT':
      return derive([operand], (c) => {
        const value = truthy(operand.evaluate(c));
        return value === null ? null : sqliteBool(!value);
      });
    case 'IS NULL':
      return derive([operand], (c) => sqliteBool(operand.evaluate(c) === null));
    case 'IS NOT NULL':
      return derive([operand], (c) => sqliteBool(operand.evaluate(c) !== null));
    case '-':
      return derive([operand], (c) => negate(operand.evaluate(c)));
    case '+':
      return operand;
    default:
      report(`operator ${expr.op} is not supported`, expr);
      return undefined;
  }
}

function negate(value: SqliteValue): SqliteValue {
  if (value === null) return null;
  if (typeof value === 'bigint') return -value;
  const number = typeof value === 'number' ? value : Number.parseFloat(value) || 0;
  return -number;
}
