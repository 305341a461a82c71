// Stand-in for JSR @std/collections: `filterKeys`.
export function filterKeys(record, predicate) {
  const out = {};
  for (const [key, value] of Object.entries(record)) {
    if (predicate(key)) out[key] = value;
  }
  return out;
}
