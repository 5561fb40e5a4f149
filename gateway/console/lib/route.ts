// The console's pages as URL fragments (#/buckets, #/b/photos?sort=name, #/b/photos/f/<id>, ...),
// so that every page has an address the back button and a bookmark keep. Pure.

export type Route =
  | { page: 'signin' }
  | { page: 'buckets' }
  | { page: 'bucket'; bucket: string; prefix: string; sort: 'date' | 'name' }
  | { page: 'entry'; bucket: string; id: string }
  | { page: 'cluster' }
  | { page: 'access' };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  const [first, bucket, third, id] = path;
  if (first === 'signin') return { page: 'signin' };
  if (first === 'cluster') return { page: 'cluster' };
  if (first === 'access') return { page: 'access' };
  if (first === 'b' && bucket) {
    if (third === 'f' && id) return { page: 'entry', bucket, id };
    return { page: 'bucket', bucket, prefix: query.get('prefix') ?? '', sort: query.get('sort') === 'name' ? 'name' : 'date' };
  }
  return { page: 'buckets' };
}

export function routeHref(route: Route): string {
  switch (route.page) {
    case 'signin':
    case 'buckets':
    case 'cluster':
    case 'access':
      return `#/${route.page}`;
    case 'bucket': {
      const query = new URLSearchParams();
      if (route.prefix) query.set('prefix', route.prefix);
      if (route.sort !== 'date') query.set('sort', route.sort);
      const qs = query.toString();
      return `#/b/${encodeURIComponent(route.bucket)}${qs ? `?${qs}` : ''}`;
    }
    case 'entry':
      return `#/b/${encodeURIComponent(route.bucket)}/f/${encodeURIComponent(route.id)}`;
  }
}
