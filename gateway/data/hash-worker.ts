// The worker side of hash-threads.ts: keeps the running hashes it was given and updates them from
// the blocks of shared memory it was started with, in the order the requests come, answering each
// one (the answer frees the block). No I/O, no other state.
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { HashReply, HashRequest, HashThreadData } from './hash-threads.js';

const port = parentPort;
if (!port) throw new Error('hash-worker.js runs as a worker thread of hash-threads.js');
const { memory, blockBytes } = workerData as HashThreadData;

const hashes = new Map<number, Hash>();

function answer(request: HashRequest): HashReply {
  switch (request.op) {
    case 'create':
      hashes.set(request.id, createHash(request.algorithm));
      return { id: request.id };
    case 'update': {
      const hash = hashes.get(request.id);
      if (!hash) throw new Error(`no hash ${request.id}`);
      hash.update(new Uint8Array(memory, request.block * blockBytes, request.length));
      return { id: request.id };
    }
    case 'digest': {
      const hash = hashes.get(request.id);
      if (!hash) throw new Error(`no hash ${request.id}`);
      hashes.delete(request.id);
      return { id: request.id, digest: hash.digest('hex') };
    }
    case 'drop':
      hashes.delete(request.id);
      return { id: request.id };
  }
}

port.on('message', (request: HashRequest) => {
  try {
    port.postMessage(answer(request));
  } catch (err) {
    hashes.delete(request.id);
    port.postMessage({ id: request.id, error: (err as Error).message } satisfies HashReply);
  }
});
