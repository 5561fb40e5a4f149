// Uploads in flight: each file goes in one request straight from disk (XMLHttpRequest with the File
// as its body: the browser streams it and never holds it in memory), with its progress, rate, time
// left, a cancel, and the reason when it fails. S3 buckets take a PutObject; the REST API's bucket
// (.files) a multipart/form-data POST /files. A few run at once, the rest wait their turn.
import { describeFailure, failureOf, networkFailure } from '../lib/failure.js';
import { formatBytes } from '../lib/format.js';
import { FILES_BUCKET } from '../lib/abilities.js';
import { TransferMeter } from '../lib/transfer-meter.js';
import type { Gateway } from './gateway.js';

export type UploadState = 'queued' | 'sending' | 'finishing' | 'done' | 'failed' | 'cancelled';

export interface Upload {
  id: number;
  bucket: string;
  name: string;
  size: number;
  state: UploadState;
  sent: number; // bytes of the file sent
  fraction: number; // 0..1
  rate: number | null; // bytes per second
  secondsLeft: number | null;
  reason: string | null; // why it failed
}

const AT_ONCE = 2;
const NOTIFY_EVERY_MS = 150;

interface Running {
  upload: Upload;
  file: File;
  xhr: XMLHttpRequest | null;
}

export class Uploads {
  private items: Running[] = [];
  private nextId = 1;
  private listeners = new Set<() => void>();
  private lastNotify = 0;
  private pendingNotify: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly gateway: Gateway) {}

  get list(): Upload[] {
    return this.items.map((i) => i.upload);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listeners hear at most every NOTIFY_EVERY_MS while bytes flow; state changes at once. */
  private notify(now = false): void {
    const due = this.lastNotify + NOTIFY_EVERY_MS - Date.now();
    if (now || due <= 0) {
      if (this.pendingNotify) clearTimeout(this.pendingNotify);
      this.pendingNotify = null;
      this.lastNotify = Date.now();
      for (const l of this.listeners) l();
    } else if (!this.pendingNotify) {
      this.pendingNotify = setTimeout(() => this.notify(true), due);
    }
  }

  private update(item: Running, change: Partial<Upload>, now = true): void {
    item.upload = { ...item.upload, ...change };
    this.notify(now);
  }

  add(bucket: string, files: readonly File[]): void {
    for (const file of files) {
      const upload: Upload = { id: this.nextId++, bucket, name: file.name, size: file.size, state: 'queued', sent: 0, fraction: 0, rate: null, secondsLeft: null, reason: null };
      const item: Running = { upload, file, xhr: null };
      this.items.push(item);
      const max = this.gateway.config.max_file_size;
      if (file.size > max) {
        // Refused here: the gateway would refuse it too, after the browser had sent up to 64 MiB of it.
        this.update(item, { state: 'failed', reason: `Too large: ${formatBytes(file.size)} is over this gateway's limit of ${formatBytes(max)} (${max} bytes, MAX_FILE_SIZE).` });
      }
    }
    this.notify(true);
    this.pump();
  }

  cancel(id: number): void {
    const item = this.items.find((i) => i.upload.id === id);
    if (!item) return;
    if (item.xhr) item.xhr.abort(); // onabort records it
    else if (item.upload.state === 'queued') this.update(item, { state: 'cancelled', reason: null });
  }

  /** Forgets uploads that are over (done, failed, cancelled). */
  clearFinished(bucket: string): void {
    this.items = this.items.filter((i) => i.upload.bucket !== bucket || !['done', 'failed', 'cancelled'].includes(i.upload.state));
    this.notify(true);
  }

  private pump(): void {
    const running = this.items.filter((i) => i.upload.state === 'sending' || i.upload.state === 'finishing').length;
    for (const item of this.items.filter((i) => i.upload.state === 'queued').slice(0, Math.max(0, AT_ONCE - running))) {
      this.update(item, { state: 'sending' });
      void this.start(item);
    }
  }

  private finish(item: Running, change: Partial<Upload>): void {
    item.xhr = null;
    this.update(item, change);
    this.pump();
  }

  /**
   * The connection was cut without an answer the browser could read. A gateway that refuses an upload
   * it cannot store answers at once and stops reading, and a browser reads an answer only once it has
   * sent the whole body: after a cut, the open GET /health tells whether the cluster is the reason.
   */
  private async explainCut(item: Running): Promise<void> {
    let reason = describeFailure(networkFailure());
    try {
      const res = await fetch('/health', { cache: 'no-store' });
      const health = (await res.json()) as { status?: string; reason?: string };
      if (health.status && health.status !== 'healthy') {
        reason = `The connection was cut, and the cluster is ${health.status}${health.reason ? `: ${health.reason}` : ''}. Try again once enough storage nodes are healthy (see Cluster).`;
      }
    } catch {
      // the gateway is unreachable: the network failure stands
    }
    this.finish(item, { state: 'failed', reason });
  }

  private async start(item: Running): Promise<void> {
    const { bucket, name } = item.upload;
    const file = item.file;
    let url: URL;
    let headers: Record<string, string>;
    let body: Blob | FormData;
    let method: string;
    try {
      if (bucket === FILES_BUCKET) {
        method = 'POST';
        url = this.gateway.restUrl('/files');
        body = new FormData();
        body.append('file', file, file.name);
        headers = await this.gateway.sign(method, url); // the browser sets the multipart Content-Type itself
      } else {
        method = 'PUT';
        url = this.gateway.s3Url(bucket, name);
        body = file;
        headers = await this.gateway.sign(method, url, { 'content-type': file.type || 'application/octet-stream' });
      }
    } catch (err) {
      this.finish(item, { state: 'failed', reason: `Could not sign the request: ${(err as Error).message}` });
      return;
    }
    if (item.upload.state !== 'sending') return; // cancelled meanwhile
    const meter = new TransferMeter(file.size);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open(method, url.toString());
    for (const [n, v] of Object.entries(headers)) xhr.setRequestHeader(n, v);
    xhr.upload.onprogress = (e) => {
      // A form's total counts its envelope too: progress is of the request, in the file's bytes.
      const sent = e.lengthComputable && e.total > 0 ? Math.min(file.size, Math.round((e.loaded / e.total) * file.size)) : e.loaded;
      meter.record(sent, performance.now());
      this.update(item, { sent, fraction: meter.fraction, rate: meter.rate, secondsLeft: meter.secondsLeft }, false);
    };
    // Every byte is sent; the gateway is writing the last stripes and committing.
    xhr.upload.onload = () => this.update(item, { state: 'finishing', sent: file.size, fraction: 1, secondsLeft: 0 });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        this.finish(item, { state: 'done', sent: file.size, fraction: 1, secondsLeft: 0 });
      } else {
        const failure = failureOf(xhr.status, xhr.responseText, xhr.statusText);
        this.finish(item, { state: 'failed', reason: describeFailure(failure, this.gateway.config.max_file_size) });
      }
    };
    xhr.onerror = () => void this.explainCut(item);
    xhr.onabort = () => this.finish(item, { state: 'cancelled', reason: null, rate: null, secondsLeft: null });
    xhr.send(body);
  }
}
