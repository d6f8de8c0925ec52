export const STUDIO_STRINGS: readonly string[] = [];
