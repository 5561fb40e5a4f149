// Errors of the chunk store, each named for the gRPC status it maps to.
import { status } from '@grpc/grpc-js';

export type ChunkErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'DATA_LOSS'
  | 'OUT_OF_RANGE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED';

export class ChunkError extends Error {
  constructor(
    readonly code: ChunkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A grpc-js ServiceError-shaped object for any thrown value. */
export function toGrpcError(err: unknown): { code: status; details: string; message: string } {
  if (err instanceof ChunkError) return { code: status[err.code], details: err.message, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: message, message };
}
