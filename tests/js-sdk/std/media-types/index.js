// Stand-in for JSR @std/media-types: `parseMediaType` returns
// [type, params] with the type lower-cased, params undefined when none.
export function parseMediaType(value) {
  const [type, ...rest] = String(value).split(";");
  const params = {};
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq > 0) {
      params[part.slice(0, eq).trim().toLowerCase()] = part
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, "");
    }
  }
  return [type.trim().toLowerCase(), Object.keys(params).length ? params : undefined];
}
