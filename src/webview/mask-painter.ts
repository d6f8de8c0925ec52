/**
 * The mask painter: the first reference at fit-to-panel scale with a canvas over it, at the reference's natural
 * size, where the painted area shows semi-transparent red. Pointer positions are mapped from display to natural
 * pixels; the data lives in `MaskBitmap` (mask.ts). Every tool has a button, so the keyboard can clear, invert
 * (which with nothing painted selects the whole image) and undo; Ctrl+Z undoes too (wired in main.ts).
 */
import type { ReferenceView } from '../shared/protocol';
import { MOD_KEY, attr, h, icon, show, uid } from './dom';
import { MaskBitmap, type MaskPoint, type MaskRect } from './mask';
import { t } from './l10n';

/** Painted pixels on the overlay canvas; CSS makes the whole canvas half transparent. */
const OVERLAY: readonly [number, number, number, number] = [255, 0, 0, 255];
export const BRUSH_MIN = 4;
export const BRUSH_MAX = 200;

export interface MaskPainterHost {
  /** The mask changed (painted, erased, cleared, undone) or the painter appeared / went away. */
  changed(): void;
  brushSizeChanged(size: number): void;
}

export class MaskPainter {
  readonly element: HTMLElement;
  private bitmap: MaskBitmap | undefined;
  private reference: ReferenceView | undefined;
  private enabled = false;
  private erase = false;
  private brushSize: number;
  private stroke: { pointerId: number; last: MaskPoint } | undefined;
  private readonly note: HTMLElement;
  private readonly body: HTMLElement;
  private readonly image: HTMLImageElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly cursor: HTMLElement;
  private readonly status: HTMLElement;
  private readonly brushButton: HTMLButtonElement;
  private readonly eraserButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly sizeInput: HTMLInputElement;
  private readonly sizeOutput: HTMLOutputElement;

  constructor(
    private readonly host: MaskPainterHost,
    brushSize: number,
  ) {
    this.brushSize = clampBrush(brushSize);
    const titleId = uid('mask-title');
    const helpId = uid('mask-help');
    this.note = h('p', { class: 'field-note', hidden: true });
    this.status = h('p', { class: 'mask-status', 'aria-live': 'polite' });
    const tool = (name: 'brush' | 'eraser', label: string, shortcut: string) =>
      h(
        'button',
        { type: 'button', class: 'tool', 'aria-pressed': 'false', title: `${label} (${shortcut})`, onClick: () => this.setErase(name === 'eraser') },
        icon(name),
        h('span', {}, label),
      );
    this.brushButton = tool('brush', t('Brush'), 'B');
    this.eraserButton = tool('eraser', t('Eraser'), 'E');
    const sizeId = uid('brush-size');
    this.sizeOutput = h('output', { for: sizeId, class: 'range-value' }, `${this.brushSize}px`);
    this.sizeInput = h('input', {
      type: 'range',
      id: sizeId,
      min: BRUSH_MIN,
      max: BRUSH_MAX,
      step: 1,
      value: this.brushSize,
      onInput: (event: Event) => this.setBrushSize(Number((event.target as HTMLInputElement).value)),
    });
    const action = (name: 'undo' | 'clear' | 'invert', label: string, onClick: () => void, title = label) =>
      h('button', { type: 'button', class: 'tool', title, onClick }, icon(name), h('span', {}, label));
    this.undoButton = action('undo', t('Undo'), () => this.undo(), t('Undo ({0}+Z)', MOD_KEY));
    this.clearButton = action('clear', t('Clear'), () => this.run((bitmap) => bitmap.clear()));
    const invertButton = action('invert', t('Invert'), () => this.run((bitmap) => bitmap.invert()), t('Invert: with nothing painted, this selects the whole image'));

    this.image = h('img', { class: 'mask-image', alt: '', draggable: 'false' });
    this.canvas = h('canvas', {
      class: 'mask-canvas',
      tabindex: 0,
      role: 'img',
      'aria-describedby': helpId,
    });
    this.cursor = h('div', { class: 'brush-cursor', 'aria-hidden': 'true', hidden: true });
    const stage = h('div', { class: 'mask-stage' }, this.image, this.canvas, this.cursor);

    this.body = h(
      'div',
      { class: 'mask-body' },
      h(
        'div',
        { class: 'mask-toolbar', role: 'group', 'aria-label': t('Mask tools') },
        h('div', { class: 'tool-group' }, this.brushButton, this.eraserButton),
        h('div', { class: 'tool-group brush-size' }, h('label', { for: sizeId }, t('Brush size')), this.sizeInput, this.sizeOutput),
        h('div', { class: 'tool-group' }, this.undoButton, this.clearButton, invertButton),
      ),
      h('div', { class: 'mask-stage-wrap' }, stage),
      this.status,
      h(
        'p',
        { class: 'hint', id: helpId },
        t('Paint over the area to change; everything else is kept. Keys on the image: B brush, E eraser, [ and ] brush size, {0}+Z undo.', MOD_KEY),
      ),
    );
    this.element = h(
      'section',
      { class: 'panel-section mask', 'aria-labelledby': titleId, 'data-setting': 'mask', hidden: true },
      h('div', { class: 'section-head' }, h('h2', { id: titleId }, t('Mask'))),
      this.note,
      this.body,
    );
    this.wirePointer();
    this.canvas.addEventListener('keydown', (event) => this.key(event));
    this.setErase(false);
  }

  /** The first reference (or none); a new image starts a new, empty mask. */
  setReference(reference: ReferenceView | undefined): void {
    if (reference?.id === this.reference?.id && reference?.width === this.reference?.width && reference?.height === this.reference?.height) {
      if (reference && this.reference && reference.src !== this.reference.src) this.image.src = reference.src;
      this.reference = reference;
      return;
    }
    this.reference = reference;
    this.bitmap = undefined;
    this.stroke = undefined;
    if (reference && reference.width > 0 && reference.height > 0) {
      this.bitmap = new MaskBitmap(reference.width, reference.height);
      this.canvas.width = reference.width;
      this.canvas.height = reference.height;
      // The natural size gives the image its aspect ratio before it loads; CSS scales it to fit.
      this.image.width = reference.width;
      this.image.height = reference.height;
      this.image.src = reference.src;
      attr(this.canvas, 'aria-label', t('Mask over {0}, {1} × {2} pixels', reference.name, reference.width, reference.height));
      this.canvas.getContext('2d')?.clearRect(0, 0, reference.width, reference.height);
    }
    this.update();
    this.host.changed();
  }

  /** Whether the model takes a mask; otherwise the painter hides and says why (a painted mask is kept). */
  setEnabled(enabled: boolean, reason?: string): void {
    this.enabled = enabled;
    this.note.textContent = reason ?? '';
    this.note.hidden = !reason;
    this.update();
  }

  /** True when there is something painted that would be sent. */
  hasMask(): boolean {
    return this.enabled && this.bitmap !== undefined && !this.bitmap.isEmpty();
  }

  /** The mask as a PNG data URL at the reference's natural size: alpha 0 where painted. */
  toDataUrl(): string | undefined {
    const bitmap = this.bitmap;
    if (!bitmap || bitmap.isEmpty()) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const context = canvas.getContext('2d');
    if (!context) return undefined;
    const rgba = bitmap.toRgba();
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer as ArrayBuffer, rgba.byteOffset, rgba.byteLength), bitmap.width, bitmap.height), 0, 0);
    return canvas.toDataURL('image/png');
  }

  /** Ctrl+Z: takes back the last stroke, clear or invert. False when there was nothing to undo. */
  undo(): boolean {
    if (!this.bitmap || !this.visible()) return false;
    const undone = this.bitmap.undo();
    if (undone) this.redraw();
    this.update();
    this.host.changed();
    return undone;
  }

  visible(): boolean {
    return this.enabled && this.bitmap !== undefined;
  }

  private run(operation: (bitmap: MaskBitmap) => void): void {
    if (!this.bitmap) return;
    operation(this.bitmap);
    this.redraw();
    this.update();
    this.host.changed();
  }

  private setErase(erase: boolean): void {
    this.erase = erase;
    this.brushButton.setAttribute('aria-pressed', String(!erase));
    this.eraserButton.setAttribute('aria-pressed', String(erase));
    this.canvas.classList.toggle('erasing', erase);
  }

  private setBrushSize(size: number): void {
    this.brushSize = clampBrush(size);
    this.sizeInput.value = String(this.brushSize);
    this.sizeOutput.textContent = `${this.brushSize}px`;
    this.host.brushSizeChanged(this.brushSize);
  }

  private key(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === 'b') this.setErase(false);
    else if (key === 'e') this.setErase(true);
    else if (key === '[') this.setBrushSize(this.brushSize - Math.max(2, Math.round(this.brushSize / 8)));
    else if (key === ']') this.setBrushSize(this.brushSize + Math.max(2, Math.round(this.brushSize / 8)));
    else return;
    event.preventDefault();
  }

  private update(): void {
    const visible = this.reference !== undefined;
    show(this.element, visible);
    show(this.body, this.visible());
    const bitmap = this.bitmap;
    if (!bitmap) return;
    this.undoButton.disabled = !bitmap.canUndo;
    this.clearButton.disabled = bitmap.isEmpty();
    const percent = (bitmap.paintedPixels / (bitmap.width * bitmap.height)) * 100;
    this.status.textContent = bitmap.isEmpty()
      ? t('Nothing painted: the whole image may change.')
      : t('{0}% painted: only the red area will change.', percent < 1 ? percent.toFixed(1) : Math.round(percent));
  }

  // -------------------------------------------------------------------------------------------------------
  // Painting

  /** Display → natural pixels. */
  private toNatural(event: PointerEvent): MaskPoint {
    const box = this.canvas.getBoundingClientRect();
    const bitmap = this.bitmap!;
    return {
      x: ((event.clientX - box.left) / Math.max(1, box.width)) * bitmap.width,
      y: ((event.clientY - box.top) / Math.max(1, box.height)) * bitmap.height,
    };
  }

  /** The brush radius in natural pixels: the slider is the diameter on screen. */
  private naturalRadius(): number {
    const box = this.canvas.getBoundingClientRect();
    return (this.brushSize / 2) * (this.bitmap!.width / Math.max(1, box.width));
  }

  private wirePointer(): void {
    const canvas = this.canvas;
    canvas.addEventListener('pointerdown', (event) => {
      if (!this.bitmap || event.button !== 0) return;
      event.preventDefault();
      canvas.focus();
      canvas.setPointerCapture(event.pointerId);
      const point = this.toNatural(event);
      this.stroke = { pointerId: event.pointerId, last: point };
      this.draw(this.bitmap.paintStroke([point], this.naturalRadius(), this.erase));
      this.moveCursor(event);
    });
    canvas.addEventListener('pointermove', (event) => {
      this.moveCursor(event);
      const stroke = this.stroke;
      if (!stroke || stroke.pointerId !== event.pointerId || !this.bitmap) return;
      const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
      const points = [stroke.last, ...(events.length > 0 ? events : [event]).map((each) => this.toNatural(each))];
      stroke.last = points.at(-1)!;
      this.draw(this.bitmap.extendStroke(points, this.naturalRadius(), this.erase));
    });
    const end = (event: PointerEvent) => {
      if (!this.stroke || this.stroke.pointerId !== event.pointerId) return;
      this.stroke = undefined;
      this.update();
      this.host.changed();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('pointerleave', () => show(this.cursor, false));
    canvas.addEventListener('pointerenter', (event) => this.moveCursor(event));
  }

  /** The brush outline under the pointer, sized as it paints (positioned through CSSOM, which the CSP allows). */
  private moveCursor(event: PointerEvent): void {
    if (event.pointerType === 'touch') return;
    const box = this.canvas.getBoundingClientRect();
    const x = event.clientX - box.left;
    const y = event.clientY - box.top;
    const size = this.brushSize;
    this.cursor.style.width = `${size}px`;
    this.cursor.style.height = `${size}px`;
    this.cursor.style.transform = `translate(${x - size / 2}px, ${y - size / 2}px)`;
    this.cursor.classList.toggle('erasing', this.erase);
    show(this.cursor, true);
  }

  private draw(rect: MaskRect | undefined): void {
    if (!rect || !this.bitmap) return;
    const context = this.canvas.getContext('2d');
    if (!context) return;
    context.putImageData(new ImageData(this.bitmap.overlayRgba(rect, OVERLAY), rect.width, rect.height), rect.x, rect.y);
  }

  private redraw(): void {
    if (!this.bitmap) return;
    this.draw({ x: 0, y: 0, width: this.bitmap.width, height: this.bitmap.height });
  }
}

function clampBrush(size: number): number {
  return Number.isFinite(size) ? Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Math.round(size))) : 40;
}
