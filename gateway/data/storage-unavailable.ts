// Too few chunks of a stripe can be read or written: the request cannot be served with the nodes
// that answer now. Becomes a 503 naming what is missing.
export class StorageUnavailable extends Error {}
