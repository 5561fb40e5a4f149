// V8 flags the gateway and the storage nodes are started with, and why: used by the local cluster
// (npm start, the tests' and the bench's clusters), the bench's node restarts and bench:node; the
// Dockerfile's CMDs repeat them.
//
// Every gRPC message received gets a fresh 1 MiB Buffer inside grpc-js (its stream decoder
// concatenates each message; the large messages we send are framed in place, proto/grpc-framing.ts),
// and Node's HTTP/2 and HTTP code one ArrayBuffer per socket read. V8 counts these buffers, until a collection finds them dead, against
// the old generation's allocation limit, which for our small heaps (a node holds about 8 MB of live
// objects) is only about 12 MB away: a full mark-compact ran every 5-15 MiB a node received, about
// 12 per node per 512 MiB upload, close to a third of a node's CPU time (perf). With a 64 MB initial
// old space the buffers are freed by the cheap young-generation collections long before the limit:
// the nodes ran no full collection through three uploads of 512 MiB, nor one node through 1 GiB
// received, and the gateway 7 in three uploads (60 in two before). The cost is at most that much
// more heap before a full collection; the buffers themselves are not kept longer. 32 MB was not
// enough (a node at 25 MB/s still spent as much CPU per GiB as without the flag).
export const HEAP_FLAGS: readonly string[] = ['--initial-old-space-size=64'];
