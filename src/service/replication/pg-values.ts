import type { CustomTypesConfig } from 'pg';
import type { SqliteValue } from '../rules/sqlite-value.js';

/**
 * Postgres text → SQLite values, shared by the initial snapshot (which reads every column as raw text, see
 * `rawTextTypes`) and by streaming (pgoutput sends text), so a row converts identically either way.
 *
 * | Postgres | SQLite value |
 * |---|---|
 * | int2, int4, oid | number |
 * | int8 | number when a safe integer, else bigint |
 * | float4, float8 | number; NaN and ±Infinity → null (SQLite and JSON have no such values) |
 * | bool | 1 / 0 |
 * | numeric, money | text, exactly as Postgres prints it |
 * | timestamp, date, time, timetz, interval | text as Postgres prints it (ISO DateStyle) |
 * | timestamptz | UTC text with `Z`: `2024-01-02 03:04:05.123Z` (infinity stays `infinity`) |
 * | json, jsonb | the JSON text |
 * | bytea (and arrays of it) | undefined: binary is not representable in JSON, the column is dropped |
 * | arrays of built-in types | JSON array text: numbers and numerics as JSON numbers, bool as true/false, json embedded, the rest as strings; nested arrays nest |
 * | anything else (text, varchar, uuid, enums, domains, arrays of user types) | the text |
 *
 * Both connections must print values the same way: use `PG_TEXT_SESSION_OPTIONS` as the startup `options`.
 */

/** Startup options for connections whose text output is converted here: ISO dates, timestamptz printed in UTC. */
export const PG_TEXT_SESSION_OPTIONS = '-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c TimeZone=UTC';

const identity = (text: string): string => text;

/** A pg `types` object returning every column as the server's text, for the snapshot's queries. */
export const rawTextTypes: CustomTypesConfig = {
  getTypeParser: (() => identity) as unknown as CustomTypesConfig['getTypeParser'],
};

const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** Array type OID → element type OID, for the built-in types whose array text uses ',' between elements. */
const ARRAY_ELEMENTS = new Map<number, number>([
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1003, 19],
  [1016, 20],
  [1005, 21],
  [1007, 23],
  [1009, 25],
  [1028, 26],
  [199, 114],
  [143, 142],
  [1021, 700],
  [1022, 701],
  [791, 790],
  [1014, 1042],
  [1015, 1043],
  [1182, 1082],
  [1183, 1083],
  [1115, 1114],
  [1185, 1184],
  [1187, 1186],
  [1270, 1266],
  [1231, 1700],
  [2951, 2950],
  [3807, 3802],
  [4073, 4072],
  [1040, 829],
  [775, 774],
  [1041, 869],
  [651, 650],
  [1561, 1560],
  [1563, 1562],
]);

export function pgTextToSqlite(typeOid: number, text: string | null): SqliteValue | undefined {
  if (text === null) return null;
  switch (typeOid) {
    case OID.int2:
    case OID.int4:
    case OID.oid:
      return Number(text);
    case OID.int8:
      return int8(text);
    case OID.float4:
    case OID.float8:
      return float(text);
    case OID.bool:
      return text === 't' ? 1 : 0;
    case OID.timestamptz:
      return timestamptzToUtc(text);
    case OID.bytea:
      return undefined;
    default: {
      const element = ARRAY_CONVERTERS.get(typeOid);
      if (element === undefined) return text;
      if (element === null) return undefined; // bytea[]
      return arrayToJson(text, element);
    }
  }
}

function int8(text: string): number | bigint {
  const n = Number(text);
  // Any text above 2^53 - 1 rounds to at least 2^53, which is not a safe integer.
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function float(text: string): number | null {
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

const TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

/** `2024-01-02 05:04:05.5+02` → `2024-01-02 03:04:05.5Z`; text that is not a finite timestamp is returned as is. */
export function timestamptzToUtc(text: string): string {
  // Fast path for UTC sessions: an offset is printed with minutes only when they are not zero.
  if (text.endsWith('+00')) return text.slice(0, -3) + 'Z';
  const m = TIMESTAMPTZ.exec(text);
  if (m === null) return text; // infinity, -infinity
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh, om = '0', os = '0', bc] = m;
  const date = new Date(0);
  date.setUTCFullYear(bc ? 1 - Number(y) : Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const offsetSeconds = Number(oh) * 3600 + Number(om) * 60 + Number(os);
  const utc = new Date(date.getTime() - (sign === '-' ? -offsetSeconds : offsetSeconds) * 1000);
  if (Number.isNaN(utc.getTime())) return text; // beyond JavaScript's date range
  const year = utc.getUTCFullYear();
  return (
    `${String(year <= 0 ? 1 - year : year).padStart(4, '0')}-${pad2(utc.getUTCMonth() + 1)}-${pad2(utc.getUTCDate())} ` +
    `${pad2(utc.getUTCHours())}:${pad2(utc.getUTCMinutes())}:${pad2(utc.getUTCSeconds())}${fraction}Z` +
    (year <= 0 ? ' BC' : '')
  );
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Converts one non-null array element's text to a JSON fragment. */
type ElementToJson = (text: string) => string;

const jsonString: ElementToJson = (text) => JSON.stringify(text);

function elementToJson(elementOid: number): ElementToJson {
  switch (elementOid) {
    case OID.int2:
    case OID.int4:
    case OID.int8:
    case OID.oid:
      return identity; // Postgres integer text is a JSON number, without int8 precision loss
    case OID.numeric:
      return (text) => (/^-?\d/.test(text) ? text : 'null'); // NaN, ±Infinity
    case OID.float4:
    case OID.float8:
      return (text) => JSON.stringify(Number(text)); // non-finite → null, like the scalars
    case OID.bool:
      return (text) => (text === 't' ? 'true' : 'false');
    case OID.json:
    case OID.jsonb:
      return identity;
    case OID.timestamptz:
      return (text) => JSON.stringify(timestamptzToUtc(text));
    default:
      return jsonString;
  }
}

/** Array type OID → element converter; null for bytea[], which is dropped. */
const ARRAY_CONVERTERS = new Map<number, ElementToJson | null>(
  [...ARRAY_ELEMENTS].map(([arrayOid, elementOid]) => [
    arrayOid,
    elementOid === OID.bytea ? null : elementToJson(elementOid),
  ]),
);

/**
 * Postgres array text (`{1,2}`, `{{a,"b c"},{NULL,"NULL"}}`, `[0:1]={x,y}`) → JSON array text. Elements are
 * quoted when they contain delimiters, spaces, quotes or backslashes, or spell NULL; an unquoted NULL is null.
 */
export function arrayToJson(text: string, element: ElementToJson = jsonString): string {
  let pos = 0;
  if (text.charCodeAt(0) === 0x5b /* [ */) pos = text.indexOf('=') + 1; // explicit lower bounds
  const parser = new ArrayTextParser(text, pos, element);
  return parser.parseArray();
}

class ArrayTextParser {
  constructor(
    private readonly text: string,
    private pos: number,
    private readonly element: ElementToJson,
  ) {}

  parseArray(): string {
    const { text } = this;
    if (text[this.pos] !== '{') throw new TypeError(`Malformed array text: ${text}`);
    this.pos++;
    if (text[this.pos] === '}') {
      this.pos++;
      return '[]';
    }
    let out = '[';
    for (;;) {
      out += this.parseElement();
      const c = text[this.pos++];
      if (c === '}') return out + ']';
      if (c !== ',') throw new TypeError(`Malformed array text: ${text}`);
      out += ',';
    }
  }

  private parseElement(): string {
    const { text } = this;
    const c = text[this.pos];
    if (c === '{') return this.parseArray();
    if (c === '"') return this.element(this.parseQuoted());
    let end = this.pos;
    while (end < text.length && text[end] !== ',' && text[end] !== '}') end++;
    const raw = text.slice(this.pos, end);
    this.pos = end;
    return raw === 'NULL' ? 'null' : this.element(raw);
  }

  private parseQuoted(): string {
    const { text } = this;
    let value = '';
    let start = ++this.pos;
    for (;;) {
      const c = text[this.pos];
      if (c === undefined) throw new TypeError(`Malformed array text: ${text}`);
      if (c === '"') break;
      if (c === '\\') {
        value += text.slice(start, this.pos);
        start = ++this.pos; // keep the escaped character
      }
      this.pos++;
    }
    value += text.slice(start, this.pos);
    this.pos++;
    return value;
  }
}
