/** multipart/form-data bodies for the edit endpoints: text fields and files, built once so retries can resend. */
import { randomBytes } from 'node:crypto';

export type FormPart = { name: string; value: string } | { name: string; filename: string; contentType: string; bytes: Uint8Array };

/** Quotes a header parameter the way browsers do: escape quotes and line breaks, keep UTF-8 as is. */
function quote(value: string): string {
  return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

/** Encodes parts with a random boundary that occurs in none of them. Returns the body and its content type. */
export function encodeMultipart(parts: readonly FormPart[]): { body: Buffer; contentType: string } {
  let boundary: string;
  do boundary = `----imagegen${randomBytes(12).toString('hex')}`;
  while (parts.some((part) => ('bytes' in part ? Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength).includes(boundary) : part.value.includes(boundary))));
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"`;
    if ('bytes' in part) {
      head += `; filename="${quote(part.filename)}"\r\nContent-Type: ${part.contentType}\r\n\r\n`;
      chunks.push(Buffer.from(head, 'utf8'), Buffer.from(part.bytes.buffer, part.bytes.byteOffset, part.bytes.byteLength), Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`${head}\r\n\r\n${part.value}\r\n`, 'utf8'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
