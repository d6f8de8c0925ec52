/**
 * UI text of the panel. The host translates every string of `STUDIO_STRINGS` with `vscode.l10n.t` and sends the
 * map in `init`; `t` looks the English text up there and falls back to it. No DOM, so the host may import it.
 */

let translations: Readonly<Record<string, string>> = {};

/** Installs the translations from `init` (keyed by the English text). */
export function setStrings(strings: Readonly<Record<string, string>> | undefined): void {
  translations = strings ?? {};
}

/**
 * The text in the user's language, `{0}`, `{1}`, … replaced by `args`. Call it with a string literal so the
 * list in `strings.ts` can be checked against the sources.
 */
export function t(text: string, ...args: (string | number)[]): string {
  const translated = translations[text];
  const template = typeof translated === 'string' && translated.length > 0 ? translated : text;
  return args.length === 0 ? template : template.replace(/\{(\d+)\}/g, (match, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? match : String(value);
  });
}
