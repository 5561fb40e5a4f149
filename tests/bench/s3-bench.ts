// The s3 part of `npm run bench`: PutObject and GetObject of one file (BENCH_FILE_MIB, 1 GiB) through
// the gateway's S3 endpoint (SDK v3, SigV4, UNSIGNED-PAYLOAD, one request each way), next to the same
// size through /files on the same gateway and next to s3rver in a process of its own, in turn, in
// each run. Each transfer streams from a generated source and is checked: the ETag of every PUT and
// GET must be the MD5 of what was sent, and the bytes that come back must hash (SHA-256, which the
// client computes at twice MD5's speed) to what was sent. MB/s and CPU-seconds per GiB of the server
// processes: gateway + nodes, or s3rver alone.
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3rverVerdict, type Direction, type Verdict } from './bench-aims.js';
import { BENCH_S3_ROOT, type BenchCluster } from './bench-cluster.js';
import { logFigures, ratioTo, summarize, TRANSFER_HEADER, transferRow, type PartResult, type Summary } from './bench-report.js';
import { MiB, patternBlocks, sizeLabel } from './bench-support.js';
import { deleteFromGateway, downloadFromGateway, uploadToGateway, type StoredFile } from './gateway-transfers.js';
import { benchS3Client, createBucket, deleteObject, getObjectHashed, putObjectStream, type S3Target } from './s3-requests.js';
import { startS3rver } from './s3rver-baseline.js';
import { meterTransfer, type TransferFigures, type WatchedProcesses } from './transfer-meter.js';

const SEED = randomBytes(MiB);
const BUCKET = 'bench-transfers';

interface Digests {
  md5: string;
  sha256: string;
}

/** The digests of the generated content, computed once before anything is timed. */
function digestsOf(size: number): Digests {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for (const block of patternBlocks(size, SEED)) {
    md5.update(block);
    sha256.update(block);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/** One side of the comparison: an upload, then a download, of a file per run. */
interface Variant {
  label: string;
  /** false: a single server process, metered in the gateway columns. */
  withNodes: boolean;
  up: TransferFigures[];
  down: TransferFigures[];
  upload(run: number): Promise<void>;
  download(run: number): Promise<void>;
  cleanup(run: number): Promise<void>;
}

/** PutObject and GetObject against an S3 endpoint, the server's processes metered. */
function s3Variant(
  label: string,
  client: S3Client,
  size: number,
  digests: Digests,
  watched: () => WatchedProcesses,
  withNodes: boolean,
): Variant {
  const key = (run: number): string => `run-${run}.bin`;
  const v: Variant = {
    label,
    withNodes,
    up: [],
    down: [],
    async upload(run) {
      v.up.push(
        await meterTransfer(size, watched(), async () => {
          const put = await putObjectStream(client, BUCKET, key(run), patternBlocks(size, SEED), size);
          if (put.etag !== digests.md5) {
            throw new Error(`${label}: PUT answered ETag ${put.etag}, the MD5 of what was sent is ${digests.md5}`);
          }
          return put.seconds;
        }),
      );
    },
    async download(run) {
      v.down.push(
        await meterTransfer(size, watched(), async () => {
          const got = await getObjectHashed(client, BUCKET, key(run));
          if (got.bytes !== size || got.sha256 !== digests.sha256 || got.etag !== digests.md5) {
            throw new Error(`${label}: GET gave ${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…, ETag ${got.etag}`);
          }
          return got.seconds;
        }),
      );
    },
    cleanup: (run) => deleteObject(client, BUCKET, key(run)),
  };
  return v;
}

function filesVariant(bc: BenchCluster, size: number): Variant {
  let file: StoredFile | undefined;
  const v: Variant = {
    label: '/files',
    withNodes: true,
    up: [],
    down: [],
    async upload() {
      v.up.push(
        await meterTransfer(size, bc.watched(), async () => {
          const stored = await uploadToGateway(bc, size);
          file = stored;
          return stored.seconds;
        }),
      );
    },
    async download() {
      v.down.push(await meterTransfer(size, bc.watched(), () => downloadFromGateway(bc, file!)));
    },
    async cleanup() {
      if (file) await deleteFromGateway(bc, file);
      file = undefined;
    },
  };
  return v;
}

const rotate = <T>(items: T[], by: number): T[] => [...items.slice(by % items.length), ...items.slice(0, by % items.length)];
const VERB: Record<Direction, string> = { upload: 'PUT', download: 'GET' };

export async function measureS3Transfers(bc: BenchCluster, dir: string, size: number, runs: number): Promise<PartResult> {
  const label = sizeLabel(size);
  const s3rverLog: string[] = [];
  const s3rver = await startS3rver(join(dir, 's3rver'), (line) => s3rverLog.push(line));
  try {
    const gatewayTarget: S3Target = { url: bc.s3Url, ...BENCH_S3_ROOT };
    const gatewayClient = benchS3Client(gatewayTarget);
    const s3rverClient = benchS3Client(s3rver.target);
    await createBucket(gatewayClient, BUCKET);
    await createBucket(s3rverClient, BUCKET);
    const digests = digestsOf(size);
    const s3 = s3Variant(`S3 ${bc.label}`, gatewayClient, size, digests, () => bc.watched(), true);
    const files = filesVariant(bc, size);
    const baseline = s3Variant('s3rver', s3rverClient, size, digests, () => ({ gateway: s3rver.pid, nodes: [] }), false);
    const variants = [s3, files, baseline];
    console.log(`s3: ${runs} run${runs === 1 ? '' : 's'} of ${label}, ${variants.map((v) => v.label).join(' / ')} in turn`);
    for (let run = 0; run < runs; run++) {
      const order = rotate(variants, run); // no variant always goes first
      for (const v of order) await v.upload(run);
      for (const v of order) await v.download(run);
      for (const v of variants) await v.cleanup(run);
      console.log(
        `  run ${run + 1}: ${VERB.upload} ${variants.map((v) => logFigures(v.label, v.up.at(-1)!)).join(', ')}\n` +
          `         ${VERB.download} ${variants.map((v) => logFigures(v.label, v.down.at(-1)!)).join(', ')}`,
      );
    }
    gatewayClient.destroy();
    s3rverClient.destroy();

    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    for (const d of ['upload', 'download'] as Direction[]) {
      const of = (v: Variant): Summary => summarize(d === 'upload' ? v.up : v.down);
      const [viaS3, viaFiles, viaS3rver] = [of(s3), of(files), of(baseline)];
      const transfer = `${VERB[d]} ${label}`;
      const ratios = [...ratioTo(viaS3, viaFiles, '/files'), ...ratioTo(viaS3, viaS3rver, 's3rver')].join(', ');
      rows.push(transferRow(transfer, s3.label, viaS3, ratios, '>= s3rver'));
      rows.push(transferRow(transfer, files.label, viaFiles, ratioTo(viaFiles, viaS3rver, 's3rver').join('')));
      rows.push(transferRow(transfer, baseline.label, viaS3rver, '', '', false));
      verdicts.push(s3rverVerdict(d, viaS3.mbps, viaS3rver.mbps));
    }
    const medians = runs === 1 ? 'one run' : `medians of ${runs} runs`;
    const load = loadavg().map((l) => l.toFixed(1)).join(' ');
    const title =
      `S3 transfers of ${label}: ${medians} (SDK v3, SigV4 UNSIGNED-PAYLOAD, one request each way; /files on the same gateway; ` +
      `s3rver 3.7.1, one copy without fsync, metered in the gateway columns; CPU-s per GiB of user data; load average ${load})`;
    return { sections: [{ title, header: TRANSFER_HEADER, rows }], verdicts };
  } catch (err) {
    console.error(`\nlast lines logged by s3rver:\n${s3rverLog.slice(-20).join('\n')}`);
    throw err;
  } finally {
    await s3rver.stop();
  }
}
