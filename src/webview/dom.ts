/**
 * Building the DOM from script (the CSP allows no inline handlers and no `style` attributes): `h` creates an
 * element with attributes, listeners and children; icons are inline SVG made with DOM calls (no codicons).
 */

export type Child = Node | string | null | undefined | false;
type Listener = (event: never) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Listener>;

/**
 * `h('button', { class: 'primary', 'aria-label': 'Close', onClick: close }, 'Close')`. `on*` props add listeners,
 * `true` sets an empty attribute, `false` / undefined / null leave it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    else if (value === true) element.setAttribute(key, '');
    else if (value !== false && value !== undefined && value !== null) element.setAttribute(key === 'className' ? 'class' : key, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces all children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** "⌘" on a Mac, "Ctrl" elsewhere: shortcuts in hints say the key the user presses. */
export const MOD_KEY = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent) ? '⌘' : 'Ctrl';

/** Whether keys (Ctrl+Z) and drops of text belong to the element itself: text fields. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLInputElement) return !['range', 'checkbox', 'radio', 'button'].includes(target.type);
  return target.isContentEditable;
}

let nextId = 0;
/** A document-unique id for `label for`, `aria-describedby`, … */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** Sets or removes one attribute. */
export function attr(element: Element, name: string, value: string | boolean | undefined): void {
  if (value === undefined || value === false) element.removeAttribute(name);
  else element.setAttribute(name, value === true ? '' : value);
}

// ---------------------------------------------------------------------------------------------------------
// Icons: 16×16, drawn with strokes in currentColor so they follow the theme.

const ICONS = {
  save: 'M8 2v8M4.5 6.5 8 10l3.5-3.5M2.5 10.5v3h11v-3',
  open: 'M9 2.5h4.5V7M13.5 2.5 7.5 8.5M12 9.5v4H2.5V4h4',
  reveal: 'M1.5 3.5h4l1.5 1.5h7.5v8h-13z',
  copy: 'M5.5 5.5h8v8h-8zM10.5 5.5v-3h-8v8h3',
  link: 'M7 9a2.5 2.5 0 0 0 3.5 0l2.5-2.5A2.5 2.5 0 0 0 9.5 3L8.5 4M9 7a2.5 2.5 0 0 0-3.5 0L3 9.5A2.5 2.5 0 0 0 6.5 13l1-1',
  reference: 'M1.5 4.5h8v9h-8zM1.5 11l2.5-2.5 2.5 2.5 1-1 2 2M12.5 1.5v5M10 4h5',
  edit: 'M10.5 2.5l3 3-8 8h-3v-3zM9 4l3 3',
  regenerate: 'M13.5 8A5.5 5.5 0 1 1 11.9 4.1M13.5 1.5v3.5H10',
  left: 'M10 3 5 8l5 5',
  right: 'M6 3l5 5-5 5',
  remove: 'M4 4l8 8M12 4l-8 8',
  add: 'M8 3v10M3 8h10',
  brush: 'M13.5 2.5 7 9M7 9c-2 0-3.5 1-3.5 3 0 1-1 1.5-2 1.5 1.5 1 5.5 1 5.5-2.5z',
  eraser: 'M6 13.5h7.5M2.5 10l6-6.5 5 5-5.5 5H6z M5.5 7l5 5',
  undo: 'M5 2.5 2 5.5l3 3M2 5.5h7.5a4 4 0 0 1 0 8H6',
  clear: 'M2.5 4h11M6 4V2.5h4V4M4 4l.5 9.5h7L12 4',
  invert: 'M8 1.5a6.5 6.5 0 1 0 0 13zM8 1.5a6.5 6.5 0 1 1 0 13',
  key: 'M10.5 1.5a4 4 0 1 1-3.6 5.7L2 12v2.5h2.5v-1.5H6v-1.5h1.5L9 10M11.5 4.5h0',
  error: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM8 4.5V9M8 11v.5',
  warning: 'M8 1.5l6.5 12h-13zM8 6v3.5M8 11.5v.5',
  info: 'M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM8 7v4.5M8 4.5V5',
  sparkle: 'M8 1.5l1.5 4.5 4.5 1.5-4.5 1.5L8 13.5 6.5 9 2 7.5 6.5 6z',
  stop: 'M4 4h8v8H4z',
  history: 'M2.5 8A5.5 5.5 0 1 0 4.1 4.1M2.5 2v3h3M8 5v3.5l2 1.5',
} as const;

export type IconName = keyof typeof ICONS;

const SVG = 'http://www.w3.org/2000/svg';

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.appendChild(path);
  return svg;
}

/** A button showing only an icon: its name goes to `aria-label` and the tooltip. */
export function iconButton(name: IconName, label: string, onClick: (event: MouseEvent) => void, extra: Props = {}): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'icon-button', 'aria-label': label, title: label, onClick, ...extra }, icon(name));
  return button;
}
