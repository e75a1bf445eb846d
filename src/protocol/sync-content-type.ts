/** Response content types of `POST /sync/stream` (protocol.md §1.2, §1.3). */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';
export const BSON_STREAM_CONTENT_TYPE = 'application/vnd.powersync.bson-stream';

export type SyncContentType = typeof NDJSON_CONTENT_TYPE | typeof BSON_STREAM_CONTENT_TYPE;

/**
 * Negotiates the sync stream framing from an `Accept` header: BSON only when the client strictly prefers it
 * by q-value (the most specific matching media range decides each type's q). An absent header, a bare
 * wildcard range, ties and unparseable headers all give NDJSON.
 */
export function chooseSyncContentType(acceptHeader: string | undefined): SyncContentType {
  if (!acceptHeader) return NDJSON_CONTENT_TYPE;
  const ndjson = qualityOf(acceptHeader, NDJSON_CONTENT_TYPE);
  const bson = qualityOf(acceptHeader, BSON_STREAM_CONTENT_TYPE);
  return bson > ndjson ? BSON_STREAM_CONTENT_TYPE : NDJSON_CONTENT_TYPE;
}

/** q of `mediaType` under the most specific matching range (exact 2, type wildcard 1, full wildcard 0); 0 if none. */
function qualityOf(acceptHeader: string, mediaType: string): number {
  const slash = mediaType.indexOf('/');
  const type = mediaType.slice(0, slash);
  let bestSpecificity = -1;
  let quality = 0;
  for (const range of acceptHeader.split(',')) {
    const [rawRange = '', ...params] = range.split(';');
    const name = rawRange.trim().toLowerCase();
    const specificity = name === mediaType ? 2 : name === `${type}/*` ? 1 : name === '*/*' ? 0 : -1;
    if (specificity <= bestSpecificity) continue;
    bestSpecificity = specificity;
    quality = parseQuality(params);
  }
  return quality;
}

function parseQuality(params: string[]): number {
  for (const param of params) {
    const [key = '', value = ''] = param.split('=');
    if (key.trim().toLowerCase() !== 'q') continue;
    const q = Number(value.trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
  }
  return 1;
}
