/** Tags of a sample or a series, `key → value`. */
export type Tags = Readonly<Record<string, string>>;

/** A copy of `tags` with keys in sorted order (so equal tag sets serialise equally). */
export function sortedTags(tags: Tags | undefined): Record<string, string> {
  const sorted: Record<string, string> = {};
  if (!tags) return sorted;
  for (const key of Object.keys(tags).sort()) sorted[key] = tags[key] as string;
  return sorted;
}

/** The identity of a series: metric name and its tags in key order (on the hot path of every sample). */
export function seriesKey(metric: string, tags: Tags | undefined): string {
  if (!tags) return metric;
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort();
  let key = metric;
  for (const name of keys) key += `\u0000${name}\u0001${tags[name]}`;
  return key;
}

/** True when `tags` carries every `key: value` of `filter` (k6 submetric matching). */
export function tagsMatch(tags: Tags, filter: Tags): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (tags[key] !== value) return false;
  }
  return true;
}

/** Tags as `k=v;k=v`, keys sorted (the samples.csv `tags` column). */
export function formatTags(tags: Tags | undefined): string {
  return Object.entries(sortedTags(tags))
    .map(([key, value]) => `${key}=${value}`)
    .join(';');
}
