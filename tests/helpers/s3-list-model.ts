// What an S3 listing must return, computed from the set of keys alone: keys in UTF-8 byte order,
// keys that contain the delimiter after the prefix rolled up into common prefixes (each once).
// Written from the S3 documentation, independently of the gateway's listing code.

export interface ListedObject {
  key: string;
  size: number;
}

export interface ListModel {
  contents: ListedObject[];
  commonPrefixes: string[];
}

/** Compares two keys by their UTF-8 bytes, the order S3 lists in (not JavaScript's UTF-16 order). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The whole listing of `objects` under `prefix`, rolled up at `delimiter` when given. */
export function listModel(objects: Iterable<ListedObject>, prefix = '', delimiter?: string): ListModel {
  const contents: ListedObject[] = [];
  const prefixes = new Set<string>();
  for (const o of objects) {
    if (!o.key.startsWith(prefix)) continue;
    const rest = o.key.slice(prefix.length);
    const at = delimiter ? rest.indexOf(delimiter) : -1;
    if (delimiter && at >= 0) prefixes.add(prefix + rest.slice(0, at + delimiter.length));
    else contents.push(o);
  }
  return {
    contents: contents.sort((a, b) => compareKeys(a.key, b.key)),
    commonPrefixes: [...prefixes].sort(compareKeys),
  };
}

/** The smallest number of pages of at most `maxKeys` entries (keys and common prefixes) for a listing. */
export function minimumPages(model: ListModel, maxKeys: number): number {
  return Math.max(1, Math.ceil((model.contents.length + model.commonPrefixes.length) / maxKeys));
}
