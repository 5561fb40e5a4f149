// Reading the size of the uploaded file from Content-Length before the body arrives. Pure: no I/O.
//
// A multipart body with one file is: [preamble] --B CRLF <part headers> CRLF CRLF <data> CRLF --B-- CRLF.
// Once the head up to the blank line after the first part's headers is known, the file's size is
// Content-Length minus that head minus the closing delimiter. This assumes the file is the last
// part and the body ends as every common client ends it; a body that carries more parts after the
// file can only be smaller than this bound predicts, so at worst it is rejected a little early.

export interface MultipartHead {
  /** Bytes of the body before the first part's data. */
  headBytes: number;
  /** Whether that first part is a file upload (a Content-Disposition with a filename). */
  isFile: boolean;
  /** The first part's form field name, if its Content-Disposition names one. */
  fieldName: string | null;
  /** The first part's Content-Type exactly as sent (parameters included), if any. */
  contentType: string | null;
}

/** The boundary from a multipart Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** Parses the head of a multipart body; null when `head` does not yet contain the first part's headers. */
export function parseMultipartHead(head: Buffer, boundary: string): MultipartHead | null {
  const delimiter = Buffer.from(`--${boundary}\r\n`, 'latin1');
  const start = head.indexOf(delimiter);
  if (start < 0) return null;
  const headersStart = start + delimiter.length;
  const headersEnd = head.indexOf('\r\n\r\n', headersStart, 'latin1');
  if (headersEnd < 0) return null;
  const headers = head.subarray(headersStart, headersEnd).toString('latin1');
  const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
  const fieldName = /;\s*name=(?:"([^"]*)"|([^\s;]+))/i.exec(disposition);
  return {
    headBytes: headersEnd + 4,
    isFile: /;\s*filename\*?=/i.test(disposition),
    fieldName: fieldName ? (fieldName[1] ?? fieldName[2] ?? null) : null,
    contentType: /^content-type:[ \t]*(.*?)[ \t]*$/im.exec(headers)?.[1] || null,
  };
}

export interface FileSizeFromHead {
  /** The most bytes the file can have: the body ends right after the closing delimiter. */
  max: number;
  /** Its size when the body ends as common clients end it, with CRLF after the closing delimiter. */
  expected: number;
}

/** The file's size implied by Content-Length once the head is parsed (see the note at the top). */
export function fileSizeFromHead(contentLength: number, boundary: string, head: MultipartHead): FileSizeFromHead {
  const max = contentLength - head.headBytes - `\r\n--${boundary}--`.length;
  return { max, expected: max - 2 };
}
