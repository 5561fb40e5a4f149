// Errors that become HTTP responses of the form {"error": "...", "code": "..."}.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, 'InvalidRequest', message);
export const notFound = (message: string): ApiError => new ApiError(404, 'NotFound', message);
export const unavailable = (message: string): ApiError => new ApiError(503, 'ServiceUnavailable', message);
