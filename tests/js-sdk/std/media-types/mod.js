// Stand-in for JSR @std/media-types: `parseMediaType` ("type/subtype;
// k=v" -> [lowercased media type, params or undefined]).
export function parseMediaType(value) {
  const [type, ...rest] = String(value).split(";");
  const mediaType = type.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(mediaType)) {
    throw new TypeError(`Invalid media type: ${value}`);
  }
  const params = {};
  for (const part of rest) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let val = part.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1);
    if (key) params[key] = val;
  }
  return [mediaType, Object.keys(params).length ? params : undefined];
}
