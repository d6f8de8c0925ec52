/**
 * File names for generated images: a slug of the prompt through a template, safe on Windows, macOS and Linux,
 * never a path outside the output folder, never the name of a file that exists.
 */

/** Names Windows reserves whatever the extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const MAX_SLUG = 60;

/**
 * Lower-case words of the prompt joined by dashes. Letters of any script are kept (a Chinese prompt makes a
 * Chinese name); path separators, control characters and characters Windows forbids are not.
 */
export function slugify(text: string, maxLength = MAX_SLUG): string {
  const words = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if ([...next].length > maxLength) {
      if (!slug) slug = [...word].slice(0, maxLength).join('');
      break;
    }
    slug = next;
  }
  return slug || 'image';
}

export interface NameFields {
  prompt: string;
  /** 1-based index among the images of one request. */
  index: number;
  count: number;
  extension: string;
  provider: string;
  model: string;
  date?: Date;
}

/** The template setting's default: `hero-banner.png`, `hero-banner-2.png` for the second of several. */
export const DEFAULT_NAME_TEMPLATE = '{prompt}';

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** Makes any string a safe single path segment: no separators, no forbidden characters, no reserved names. */
export function safeSegment(name: string, maxLength = 120): string {
  let safe = name
    .normalize('NFKC')
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, '-')
    .replace(/^[\s.-]+|[\s.]+$/g, '')
    .replace(/-{2,}/g, '-');
  if ([...safe].length > maxLength) safe = [...safe].slice(0, maxLength).join('').replace(/[\s.]+$/g, '');
  const stem = safe.split('.')[0] ?? '';
  if (!safe || WINDOWS_RESERVED.test(stem)) safe = `image-${safe}`.replace(/-$/, '');
  return safe;
}

/**
 * The file name (no folder) for one image. Template fields: {prompt} {provider} {model} {date} {time} {index}.
 * The result is always a single safe segment; the extension is the one the bytes really are.
 */
export function fileNameFor(template: string, fields: NameFields): string {
  const date = fields.date ?? new Date();
  const values: Record<string, string> = {
    prompt: slugify(fields.prompt),
    provider: slugify(fields.provider, 30),
    model: slugify(fields.model, 40),
    date: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    time: `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`,
    index: String(fields.index),
  };
  const usesIndex = template.includes('{index}');
  let stem = template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  if (!usesIndex && fields.count > 1 && fields.index > 1) stem += `-${fields.index}`;
  return `${safeSegment(stem)}.${fields.extension}`;
}

/** `name.png` → `name-2.png`, `name-3.png`, … the next candidate when a name is taken. */
export function numberedName(fileName: string, attempt: number): string {
  if (attempt <= 1) return fileName;
  const dot = fileName.lastIndexOf('.');
  const stem = dot > 0 ? fileName.slice(0, dot) : fileName;
  const extension = dot > 0 ? fileName.slice(dot) : '';
  return `${stem}-${attempt}${extension}`;
}
