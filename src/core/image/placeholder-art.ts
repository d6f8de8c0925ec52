/** What `renderPlaceholder` draws. */
export interface PlaceholderOptions {
  width: number;
  height: number;
  /** Sets the background colour and is printed, word-wrapped, below the label. */
  prompt: string;
  /** The large centred text; defaults to the size, e.g. `1536 × 1024`. */
  label?: string;
}

type Rgb = [number, number, number];

/** Largest side we agree to render; 16384² RGB is already 768 MiB. */
const MAX_SIDE = 16384;

// ---------------------------------------------------------------------------------------------
// Font: 5x7 pixel glyphs for ASCII 0x20-0x7E, then ×, … and a hollow box for characters the font
// lacks. Each glyph is 7 base-32 digits, one per row from the top; a digit's 5 bits are the
// row's pixels, most significant bit on the left. Glyphs sit in a 6x9 cell (1 column, 2 rows of gap).

const GLYPH_ROWS =
  '00000004444404aaa0000aavavaa4fke5u4op248j3cik8lid44800002488842842224804lel40044v4400000c48000v00000000cc01248g0' +
  'ehjlphe4c4444eeh1248vv2421he26aiv22vgu11he68guhhev124888ehhehheehhf12c0cc0cc00cc0c48248g84200v0v008421248eh12404' +
  'eh1dlleehhvhhhuhhuhhuehggghesihhhisvgguggvvggugggehgnhhfhhhvhhhe44444e72222ichikokihggggggvhrllhhhhhpljhhehhhhhe' +
  'uhhugggehhhliduhhukihfgge11uv444444hhhhhhehhhhha4hhhlllahha4ahhhha4444v1248gve88888e0g84210e22222e4ah0000000000v' +
  '842000000e1fhfggmphhu00egghe11djhhf00ehvge698s8880fhhf1eggmphhh40c444e20622icggikokic44444e00qllhh00mphhh00ehhhe' +
  '00uhugg00djf1100mpggg00ege1u88s889600hhhjd00hhha400hhlla00ha4ah00hhf1e00v248v244844244444448442448008l2000ha4ah0' +
  '000000l0vhhhhv';

const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;
const ADVANCE = GLYPH_WIDTH + 1;
const LINE_ADVANCE = GLYPH_HEIGHT + 2;
const MULTIPLY_GLYPH = 95;
const ELLIPSIS_GLYPH = 96;
const BOX_GLYPH = 97;
const ELLIPSIS = '…';

/**
 * For each glyph and row, the runs of lit pixels as [start column, length] pairs, so drawing does
 * one typed-array copy per run instead of one write per pixel.
 */
const GLYPH_RUNS: number[][][] = Array.from({ length: GLYPH_ROWS.length / GLYPH_HEIGHT }, (_, glyph) =>
  Array.from({ length: GLYPH_HEIGHT }, (_, row) => {
    const bits = parseInt(GLYPH_ROWS[glyph * GLYPH_HEIGHT + row]!, 32);
    const runs: number[] = [];
    for (let column = 0; column < GLYPH_WIDTH; ) {
      if (!(bits & (1 << (GLYPH_WIDTH - 1 - column)))) {
        column++;
        continue;
      }
      const start = column;
      while (column < GLYPH_WIDTH && bits & (1 << (GLYPH_WIDTH - 1 - column))) column++;
      runs.push(start, column - start);
    }
    return runs;
  }),
);

function glyphIndex(character: string): number {
  const code = character.codePointAt(0)!;
  if (code >= 0x20 && code <= 0x7e) return code - 0x20;
  if (character === '×') return MULTIPLY_GLYPH;
  if (character === ELLIPSIS) return ELLIPSIS_GLYPH;
  // Tabs and other whitespace read as a space; anything else (CJK, emoji…) as a hollow box so the
  // length of the prompt still shows.
  return /\s/u.test(character) ? 0 : BOX_GLYPH;
}

// ---------------------------------------------------------------------------------------------
// Colour

/** FNV-1a over the UTF-8 bytes, then murmur3's finaliser so near-identical prompts land far apart. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const sector = hue / 60;
  const second = chroma * (1 - Math.abs((sector % 2) - 1));
  const [red, green, blue] =
    sector < 1 ? [chroma, second, 0] : sector < 2 ? [second, chroma, 0] : sector < 3 ? [0, chroma, second] :
    sector < 4 ? [0, second, chroma] : sector < 5 ? [second, 0, chroma] : [chroma, 0, second];
  const offset = lightness - chroma / 2;
  return [Math.round((red + offset) * 255), Math.round((green + offset) * 255), Math.round((blue + offset) * 255)];
}

/**
 * The placeholder's background base colour for a prompt: any hue, soft saturation and mid-to-light
 * lightness, fixed by a hash of the prompt so the same prompt always gets the same colour.
 */
export function promptColour(prompt: string): [number, number, number] {
  const hash = hashText(prompt);
  const hue = hash % 360;
  const saturation = 0.35 + ((hash >>> 9) % 21) / 100;
  const lightness = 0.5 + ((hash >>> 17) % 21) / 100;
  return hslToRgb(hue, saturation, lightness);
}

function relativeLuminance([red, green, blue]: Rgb): number {
  const linear = (channel: number): number => {
    const value = channel / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue);
}

// Pure black and white: against any background one of them reaches a contrast ratio of at least
// 4.58 (WCAG AA); a softer near-black would drop to about 4.3 on mid-luminance colours.
const DARK_TEXT: Rgb = [0, 0, 0];
const LIGHT_TEXT: Rgb = [255, 255, 255];

/** Near-black or white, whichever has the higher WCAG contrast ratio against the background. */
function textColourFor(background: Rgb): Rgb {
  const luminance = relativeLuminance(background);
  const againstDark = (luminance + 0.05) / (relativeLuminance(DARK_TEXT) + 0.05);
  const againstLight = (relativeLuminance(LIGHT_TEXT) + 0.05) / (luminance + 0.05);
  return againstDark >= againstLight ? DARK_TEXT : LIGHT_TEXT;
}

function mix(from: Rgb, to: Rgb, amount: number): Rgb {
  return [0, 1, 2].map((channel) => Math.round(from[channel]! + (to[channel]! - from[channel]!) * amount)) as Rgb;
}

/** `count` pixels of one colour, built by doubling copies rather than a per-pixel loop. */
function solidRun(colour: Rgb, count: number): Uint8Array {
  const run = new Uint8Array(Math.max(1, count) * 3);
  run.set(colour);
  for (let filled = 3; filled < run.length; filled *= 2) run.copyWithin(filled, 0, Math.min(filled, run.length - filled));
  return run;
}

// ---------------------------------------------------------------------------------------------
// Drawing

interface Canvas {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Fills a rectangle, clipped to the canvas. */
function fillRect(canvas: Canvas, left: number, top: number, width: number, height: number, run: Uint8Array): void {
  const from = Math.max(0, left);
  const to = Math.min(canvas.width, left + width);
  if (to <= from) return;
  const bytes = run.subarray(0, (to - from) * 3);
  for (let y = Math.max(0, top); y < Math.min(canvas.height, top + height); y++) canvas.pixels.set(bytes, (y * canvas.width + from) * 3);
}

/** Draws code points left to right from (left, top) at an integer scale, clipped to the canvas. */
function drawText(canvas: Canvas, characters: readonly string[], left: number, top: number, scale: number, run: Uint8Array): void {
  characters.forEach((character, position) => {
    const glyph = GLYPH_RUNS[glyphIndex(character)]!;
    const x = left + position * ADVANCE * scale;
    glyph.forEach((runs, row) => {
      for (let i = 0; i < runs.length; i += 2) fillRect(canvas, x + runs[i]! * scale, top + row * scale, runs[i + 1]! * scale, scale, run);
    });
  });
}

function textWidth(characterCount: number, scale: number): number {
  return characterCount > 0 ? (characterCount * ADVANCE - 1) * scale : 0;
}

/**
 * Greedy word wrap to lines of at most `perLine` code points. Words longer than a line (and
 * prompts in scripts without spaces, such as Chinese) are broken anywhere. If the text needs more
 * than `maxLines`, the last line ends in an ellipsis.
 */
function wrap(text: string, perLine: number, maxLines: number): string[][] {
  if (perLine < 1 || maxLines < 1) return [];
  const words = text.split(/\s+/u).filter(Boolean).map((word) => Array.from(word));
  const lines: string[][] = [];
  let line: string[] = [];
  for (let word of words) {
    if (line.length > 0 && line.length + 1 + word.length <= perLine) {
      line.push(' ', ...word);
      continue;
    }
    if (line.length > 0) lines.push(line);
    while (word.length > perLine) {
      lines.push(word.slice(0, perLine));
      word = word.slice(perLine);
    }
    line = word;
  }
  if (line.length > 0) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = [...kept[maxLines - 1]!.slice(0, perLine - 1), ELLIPSIS];
  return kept;
}

/**
 * Renders an offline placeholder image as RGB pixels (3 bytes per pixel, rows top to bottom): a
 * soft diagonal gradient around `promptColour(prompt)`, a thin border, a large centred label
 * (by default the size, e.g. `1536 × 1024`) and the prompt word-wrapped below it, cut short with an
 * ellipsis when it does not fit (a label too wide even at the smallest scale wraps onto up to three
 * lines). Text is drawn with a built-in 5x7 font scaled by whole pixels so it stays readable from
 * 64x64 to 4096x4096; characters outside ASCII appear as hollow boxes.
 * @throws RangeError when width or height is not an integer from 1 to 16384.
 */
export function renderPlaceholder(options: PlaceholderOptions): Uint8Array {
  const { width, height, prompt } = options;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SIDE) throw new RangeError(`${name} must be an integer from 1 to ${MAX_SIDE}, got ${value}`);
  }
  const canvas: Canvas = { pixels: new Uint8Array(width * height * 3), width, height };
  const base = promptColour(prompt);
  const text = textColourFor(base);

  // Background: colour depends only on x + y, so every row is a window onto one precomputed
  // diagonal strip, shifted by one pixel per row: one memory copy per row.
  const light = mix(base, [255, 255, 255], 0.14);
  const dark = mix(base, [0, 0, 0], 0.14);
  const diagonal = width + height - 1;
  const strip = new Uint8Array(diagonal * 3);
  for (let i = 0; i < diagonal; i++) strip.set(mix(light, dark, diagonal > 1 ? i / (diagonal - 1) : 0.5), i * 3);
  for (let y = 0; y < height; y++) canvas.pixels.set(strip.subarray(y * 3, (y + width) * 3), y * width * 3);

  const shortSide = Math.min(width, height);
  const border = Math.max(1, Math.floor(shortSide / 400));
  const borderRun = solidRun(mix(base, text, 0.45), width);
  fillRect(canvas, 0, 0, width, border, borderRun);
  fillRect(canvas, 0, height - border, width, border, borderRun);
  fillRect(canvas, 0, 0, border, height, borderRun);
  fillRect(canvas, width - border, 0, border, height, borderRun);

  // Layout inside a margin: the label as large as fits in 85% of the width and 30% of the height,
  // the prompt at about a third of that scale.
  const margin = border + Math.max(2, Math.floor(shortSide * 0.06));
  const innerWidth = Math.max(0, width - 2 * margin);
  const innerHeight = Math.max(0, height - 2 * margin);
  // A label too wide for the image even at scale 1 (say "1024 x 1024  #2  (partial 1)" on a small
  // image) is wrapped onto up to three lines rather than clipped.
  const labelText = options.label ?? `${width} × ${height}`;
  const labelLines = textWidth(Array.from(labelText).length, 1) <= innerWidth ? [Array.from(labelText)] : wrap(labelText, Math.floor((innerWidth + 1) / ADVANCE), 3);
  const longestLabel = Math.max(1, ...labelLines.map((line) => line.length));
  const labelUnits = Math.max(1, labelLines.length * LINE_ADVANCE - (LINE_ADVANCE - GLYPH_HEIGHT));
  const labelScale = Math.max(1, Math.min(Math.floor((innerWidth * 0.85) / textWidth(longestLabel, 1)), Math.floor((innerHeight * 0.3) / labelUnits)));
  const labelHeight = labelUnits * labelScale;
  const promptScale = Math.max(1, Math.round(labelScale / 3));
  const gap = Math.max(2 * promptScale, 2 * labelScale);
  const promptSpace = innerHeight - labelHeight - gap;
  const maxLines = promptSpace < GLYPH_HEIGHT * promptScale ? 0 : Math.floor((promptSpace + 2 * promptScale) / (LINE_ADVANCE * promptScale));
  const perLine = Math.floor((innerWidth + promptScale) / (ADVANCE * promptScale));
  const lines = wrap(prompt, perLine, maxLines);

  const blockHeight = labelHeight + (lines.length > 0 ? gap + (lines.length - 1) * LINE_ADVANCE * promptScale + GLYPH_HEIGHT * promptScale : 0);
  const top = Math.floor((height - blockHeight) / 2);
  const textRun = solidRun(text, GLYPH_WIDTH * Math.max(labelScale, promptScale));
  labelLines.forEach((line, index) => {
    const lineTop = top + index * LINE_ADVANCE * labelScale;
    drawText(canvas, line, Math.floor((width - textWidth(line.length, labelScale)) / 2), lineTop, labelScale, textRun);
  });
  lines.forEach((line, index) => {
    const lineTop = top + labelHeight + gap + index * LINE_ADVANCE * promptScale;
    drawText(canvas, line, Math.floor((width - textWidth(line.length, promptScale)) / 2), lineTop, promptScale, textRun);
  });
  return canvas.pixels;
}
