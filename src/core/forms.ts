// Form bodies: `application/x-www-form-urlencoded` and `multipart/form-data` (with uploads).
// busboy, the multipart parser, is imported only when a multipart body arrives, so scripts that
// never see one do not pay for it at start-up.

import { HttpError } from '../base/errors.js';

/** Limits on a form body; exceeding one answers 413. */
export interface FormOptions {
  /** Most fields (name/value pairs, not files). @default 1000 */
  maxFields?: number;
  /** Longest field value, in bytes (multipart only; urlencoded is bounded by the body limit). @default 1 MiB */
  maxFieldBytes?: number;
  /** Most uploaded files. @default 10 */
  maxFiles?: number;
  /** Largest single uploaded file, in bytes. @default 10 MiB */
  maxFileBytes?: number;
  /** Most multipart parts of any kind. @default 1010 */
  maxParts?: number;
}

/** An uploaded file, held in memory (its size is bounded by `maxFileBytes`). */
export interface UploadedFile {
  /** The form field's name. */
  field: string;
  /** The file name the client gave; untrusted, never use it as a path. */
  filename: string;
  /** The MIME type the client claimed; untrusted. */
  mimeType: string;
  data: Buffer;
}

/** A parsed form: fields (repeated names kept, in order) and uploaded files. */
export interface Form {
  fields: URLSearchParams;
  files: UploadedFile[];
}

const DEFAULTS: Required<FormOptions> = {
  maxFields: 1000,
  maxFieldBytes: 1024 * 1024,
  maxFiles: 10,
  maxFileBytes: 10 * 1024 * 1024,
  maxParts: 1010,
};

/**
 * Parses a form body of the given `Content-Type` from its chunks. An empty body is an empty form
 * whatever its type. Throws HttpError 415 for another type, 400 for a malformed body, 413 past a
 * limit.
 */
export async function parseForm(contentType: string | undefined, chunks: Iterable<Buffer>,
  options: FormOptions = {}): Promise<Form> {
  const limits = { ...DEFAULTS, ...options };
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return parseUrlEncoded(chunks, limits);
  if (type === 'multipart/form-data') return parseMultipart(contentType!, chunks, limits);
  const first = chunks[Symbol.iterator]().next();
  if (first.done) return { fields: new URLSearchParams(), files: [] };
  throw new HttpError(415, contentType
    ? `A form was expected, but the body is ${contentType}.`
    : 'A form was expected, but the body has no Content-Type.');
}

function parseUrlEncoded(chunks: Iterable<Buffer>, limits: Required<FormOptions>): Form {
  const fields = new URLSearchParams(Buffer.concat([...chunks]).toString('utf8'));
  if (fields.size > limits.maxFields) {
    throw new HttpError(413, `The form has more than ${limits.maxFields} fields.`);
  }
  return { fields, files: [] };
}

async function parseMultipart(contentType: string, chunks: Iterable<Buffer>,
  limits: Required<FormOptions>): Promise<Form> {
  const { default: busboy } = await import('busboy');
  let parser: ReturnType<typeof busboy>;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      limits: {
        // busboy refuses a value, a file or a count of parts on reaching its limit (counts of
        // fields and files on passing theirs): one more, so a form exactly at each limit passes.
        fields: limits.maxFields, fieldSize: limits.maxFieldBytes + 1, files: limits.maxFiles,
        fileSize: limits.maxFileBytes + 1, parts: limits.maxParts + 1,
        fieldNameSize: 1024, headerPairs: 100,
      },
    });
  } catch (error) {
    throw new HttpError(400, 'The multipart body has no valid boundary.', { cause: error });
  }
  return new Promise<Form>((resolve, reject) => {
    const form: Form = { fields: new URLSearchParams(), files: [] };
    let failed = false;
    const fail = (error: HttpError) => {
      if (failed) return;
      failed = true;
      reject(error);
      parser.destroy();
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpError(413, `Field "${name}" is longer than ${limits.maxFieldBytes} bytes.`));
      else form.fields.append(name, value);
    });
    parser.on('file', (field, stream, info) => {
      const parts: Buffer[] = [];
      // Destroying the parser after a failure destroys this stream with an error: already reported.
      stream.on('error', () => {});
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('limit', () => fail(new HttpError(413, `File "${info.filename}" is larger than ${limits.maxFileBytes} bytes.`)));
      stream.on('end', () => {
        form.files.push({ field, filename: info.filename ?? '', mimeType: info.mimeType, data: Buffer.concat(parts) });
      });
    });
    parser.on('fieldsLimit', () => fail(new HttpError(413, `The form has more than ${limits.maxFields} fields.`)));
    parser.on('filesLimit', () => fail(new HttpError(413, `The form has more than ${limits.maxFiles} files.`)));
    parser.on('partsLimit', () => fail(new HttpError(413, `The form has more than ${limits.maxParts} parts.`)));
    parser.on('error', (error: unknown) => fail(new HttpError(400, 'The multipart body is malformed.', { cause: error })));
    parser.on('close', () => resolve(form));
    for (const chunk of chunks) {
      if (failed) return;
      parser.write(chunk);
    }
    parser.end();
  });
}
