/**
 * The reference images: added with the picker, dropped from the Explorer (or the OS), or pasted; shown as
 * thumbnails that can be reordered by dragging or with the move buttons, and removed. The host owns the list:
 * every change is posted as `setReferences` and its `references` answer is what is shown.
 */
import type { ModelCapabilities } from '../core/image-model';
import type { FromWebview, ReferenceView } from '../shared/protocol';
import { MOD_KEY, attr, h, icon, iconButton, isTextEntry, replaceChildren, show, uid } from './dom';
import { t } from './l10n';

/** The drag type of a thumbnail moved inside the list (so a drop on the panel is not taken for a file). */
const INTERNAL_DRAG = 'application/x-imagegen-reference';
/** What the host accepts as a pasted image. */
const PASTE_TYPES = /^image\/(png|jpeg|webp)$/;
const MAX_DROPPED_URIS = 32;

export interface ReferencesHost {
  post(message: FromWebview): void;
  /** The list changed here (reorder, remove) before the host confirms. */
  changed(references: ReferenceView[]): void;
  notify(message: string, level: 'info' | 'warning' | 'error'): void;
}

export class ReferencesView {
  readonly element: HTMLElement;
  private references: ReferenceView[] = [];
  private capabilities: ModelCapabilities | undefined;
  private readonly list: HTMLOListElement;
  private readonly count: HTMLElement;
  private readonly addButton: HTMLButtonElement;
  private readonly reason: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly emptyLead: HTMLElement;
  private readonly emptyHint: HTMLElement;
  private dragged: string | undefined;

  constructor(private readonly host: ReferencesHost) {
    const titleId = uid('references-title');
    this.reason = h('p', { class: 'field-note', id: uid('references-reason'), hidden: true });
    this.addButton = h(
      'button',
      { type: 'button', class: 'secondary', 'aria-describedby': this.reason.id, onClick: () => this.add() },
      icon('add'),
      h('span', {}, t('Add images…')),
    );
    this.count = h('span', { class: 'count', 'aria-live': 'polite' });
    this.list = h('ol', { class: 'reference-list', 'aria-labelledby': titleId, hidden: true });
    this.emptyLead = h('p', {}, t('No reference images: the prompt alone makes a new image.'));
    this.emptyHint = h('p', { class: 'hint' }, t('Add images, drag them here from the Explorer (hold Shift while dropping), or paste one ({0}+V).', MOD_KEY));
    this.empty = h('div', { class: 'drop-zone' }, this.emptyLead, this.emptyHint);
    this.element = h(
      'section',
      { class: 'panel-section references', 'aria-labelledby': titleId, 'data-setting': 'references' },
      h('div', { class: 'section-head' }, h('h2', { id: titleId }, t('References')), this.count, h('span', { class: 'spacer' }), this.addButton),
      this.reason,
      this.list,
      this.empty,
    );
    this.list.addEventListener('dragover', (event) => this.dragOver(event));
    this.list.addEventListener('drop', (event) => this.dropInside(event));
    this.list.addEventListener('dragleave', () => this.clearDropMarks());
  }

  get items(): readonly ReferenceView[] {
    return this.references;
  }

  setReferences(references: readonly ReferenceView[], focus?: { id: string; action: 'left' | 'right' | 'remove' }): void {
    this.references = [...references];
    this.render(focus);
  }

  setModel(capabilities: ModelCapabilities | undefined): void {
    this.capabilities = capabilities;
    this.render();
  }

  /** Why references cannot be added now, or undefined. */
  addProblem(): string | undefined {
    const capabilities = this.capabilities;
    if (!capabilities) return t('Choose a model first.');
    if (!capabilities.edit) return t('This model cannot edit images, so it takes no references.');
    if (this.references.length >= capabilities.maxInputImages) return t('This model takes at most {0} reference images.', capabilities.maxInputImages);
    return undefined;
  }

  /** Room left for more references. */
  private room(): number {
    return Math.max(0, (this.capabilities?.maxInputImages ?? 0) - this.references.length);
  }

  private add(): void {
    const problem = this.addProblem();
    if (problem) {
      this.host.notify(problem, 'warning');
      return;
    }
    this.host.post({ type: 'pickReferences' });
  }

  // -------------------------------------------------------------------------------------------------------
  // Drop from the Explorer / the OS, and paste: wired to the whole panel by main.ts

  /** Whether a drag carries something this panel takes (files, URIs), as opposed to a thumbnail. */
  static acceptsDrag(event: DragEvent): boolean {
    const types = [...(event.dataTransfer?.types ?? [])].map((type) => type.toLowerCase());
    if (types.includes(INTERNAL_DRAG)) return false;
    if (types.some((type) => ['files', 'text/uri-list', 'application/vnd.code.uri-list', 'resourceurls', 'codefiles'].includes(type))) return true;
    // Plain text may be a path; dragged onto the prompt it is just text to drop there.
    return types.includes('text/plain') && !isTextEntry(event.target);
  }

  /** A drop on the panel: the URIs go to the host; image files from the OS are read and pasted. */
  drop(event: DragEvent): void {
    const transfer = event.dataTransfer;
    if (!transfer) return;
    const problem = this.addProblem();
    if (problem) {
      this.host.notify(problem, 'warning');
      return;
    }
    const uris = droppedUris(transfer);
    if (uris.length > 0) {
      const room = this.room();
      if (uris.length > room) this.host.notify(t('Only {0} more reference images fit for this model; the rest were left out.', room), 'warning');
      this.host.post({ type: 'dropReferences', uris: uris.slice(0, Math.min(room, MAX_DROPPED_URIS)) });
      return;
    }
    const files = [...transfer.files].filter((file) => file.type.startsWith('image/'));
    if (files.length === 0) {
      this.host.notify(t('Nothing to add: drop image files from the Explorer.'), 'warning');
      return;
    }
    void this.pasteFiles(files);
  }

  /** A paste anywhere except into text: the clipboard's image becomes a reference. True when it took it. */
  paste(event: ClipboardEvent): boolean {
    const files = [...(event.clipboardData?.items ?? [])]
      .filter((item) => item.kind === 'file' && item.type.startsWith('image/'))
      .map((item) => item.getAsFile())
      .filter((file): file is File => file !== null);
    if (files.length === 0) return false;
    event.preventDefault();
    const problem = this.addProblem();
    if (problem) this.host.notify(problem, 'warning');
    else void this.pasteFiles(files);
    return true;
  }

  private async pasteFiles(files: File[]): Promise<void> {
    const room = this.room();
    if (files.length > room) this.host.notify(t('Only {0} more reference images fit for this model; the rest were left out.', room), 'warning');
    for (const [index, file] of files.slice(0, room).entries()) {
      try {
        const dataUrl = await imageDataUrl(file);
        const extension = dataUrl.startsWith('data:image/jpeg') ? 'jpg' : dataUrl.startsWith('data:image/webp') ? 'webp' : 'png';
        // Clipboard images are all called "image.png"; a redrawn GIF or BMP is a PNG now.
        const stem = file.name && file.name !== 'image.png' ? file.name.replace(/\.[^.]*$/, '') : t('Pasted image {0}', this.references.length + index + 1);
        const name = `${stem}.${extension}`;
        this.host.post({ type: 'pasteReference', name: name.slice(0, 200), dataUrl });
      } catch {
        this.host.notify(t('Could not read the pasted image.'), 'error');
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // The list

  private render(focus?: { id: string; action: 'left' | 'right' | 'remove' }): void {
    // A re-render (the host's answer to a move) keeps the focus where it was.
    focus ??= this.focusedButton();
    const capabilities = this.capabilities;
    const max = capabilities?.maxInputImages ?? 0;
    this.count.textContent = capabilities?.edit ? t('{0} of {1}', this.references.length, max) : '';
    const problem = this.addProblem();
    attr(this.addButton, 'aria-disabled', problem ? 'true' : false);
    this.addButton.classList.toggle('disabled', problem !== undefined);
    attr(this.addButton, 'title', problem);
    let reason: string | undefined;
    let level: 'warning' | 'error' | undefined;
    if (capabilities && !capabilities.generate && this.references.length === 0) {
      reason = t('This model only edits: add a reference image.');
      level = 'warning';
    } else if (capabilities && !capabilities.edit) {
      reason = this.references.length > 0 ? t('This model cannot edit images: remove the references, or choose a model that edits.') : t('This model cannot edit images, so it takes no references.');
      level = this.references.length > 0 ? 'error' : undefined;
    } else if (capabilities && this.references.length > max) {
      reason = t('This model takes at most {0} reference images: remove {1}.', max, this.references.length - max);
      level = 'error';
    } else if (this.references.length > 0) {
      reason = capabilities?.mask ? t('The first image is the one edited; the mask applies to it.') : t('The first image is the one edited.');
    }
    this.reason.textContent = reason ?? '';
    this.reason.hidden = !reason;
    this.reason.classList.toggle('warning', level === 'warning');
    this.reason.classList.toggle('error', level === 'error');
    this.element.classList.toggle('has-problem', level === 'error');

    // An edit-only model does not make images from the prompt alone; a generate-only one takes no images.
    show(this.emptyLead, capabilities?.generate !== false);
    show(this.emptyHint, capabilities?.edit !== false);
    show(this.empty, this.references.length === 0 && (capabilities?.generate !== false || capabilities?.edit !== false));
    show(this.list, this.references.length > 0);
    const items = this.references.map((reference, index) => this.item(reference, index, index >= max && capabilities !== undefined));
    replaceChildren(this.list, ...items);
    if (focus) this.restoreFocus(focus);
  }

  private item(reference: ReferenceView, index: number, over: boolean): HTMLLIElement {
    const last = this.references.length - 1;
    const name = reference.name;
    const item = h(
      'li',
      { class: `reference${over ? ' over-limit' : ''}`, draggable: 'true', 'data-id': reference.id, title: reference.path ?? name },
      h('div', { class: 'reference-thumb' }, h('img', { src: reference.src, alt: '', draggable: 'false' }), index === 0 ? h('span', { class: 'badge' }, t('Edited')) : null),
      h('div', { class: 'reference-name' }, `${index + 1}. ${name}`),
      h('div', { class: 'reference-size' }, reference.width > 0 ? `${reference.width} × ${reference.height}` : ''),
      h(
        'div',
        { class: 'reference-actions', role: 'group', 'aria-label': t('Reference {0}: {1}', index + 1, name) },
        iconButton('left', t('Move {0} left', name), () => this.move(reference.id, -1), { 'data-action': 'left', disabled: index === 0 }),
        iconButton('right', t('Move {0} right', name), () => this.move(reference.id, 1), { 'data-action': 'right', disabled: index === last }),
        iconButton('remove', t('Remove {0}', name), () => this.remove(reference.id), { 'data-action': 'remove' }),
      ),
    );
    item.addEventListener('dragstart', (event) => {
      this.dragged = reference.id;
      event.dataTransfer?.setData(INTERNAL_DRAG, reference.id);
      if (event.dataTransfer) event.dataTransfer.effectAllowed = 'move';
      item.classList.add('dragging');
    });
    item.addEventListener('dragend', () => {
      this.dragged = undefined;
      item.classList.remove('dragging');
      this.clearDropMarks();
    });
    return item;
  }

  private move(id: string, by: -1 | 1): void {
    const from = this.references.findIndex((reference) => reference.id === id);
    const to = from + by;
    if (from < 0 || to < 0 || to >= this.references.length) return;
    const next = [...this.references];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    this.commit(next, { id, action: by < 0 ? 'left' : 'right' });
  }

  private remove(id: string): void {
    const index = this.references.findIndex((reference) => reference.id === id);
    if (index < 0) return;
    const next = this.references.filter((reference) => reference.id !== id);
    // Focus moves to the remove button of the image that takes its place, else the previous one, else "Add".
    const neighbour = next[index] ?? next[index - 1];
    this.commit(next, neighbour ? { id: neighbour.id, action: 'remove' } : undefined);
    if (!neighbour) this.addButton.focus();
  }

  private commit(next: ReferenceView[], focus?: { id: string; action: 'left' | 'right' | 'remove' }): void {
    this.references = next;
    this.render(focus);
    this.host.changed(next);
    this.host.post({ type: 'setReferences', ids: next.map((reference) => reference.id) });
  }

  private focusedButton(): { id: string; action: 'left' | 'right' | 'remove' } | undefined {
    const active = document.activeElement;
    if (!(active instanceof HTMLButtonElement) || !this.list.contains(active)) return undefined;
    const id = active.closest<HTMLElement>('li')?.dataset.id;
    const action = active.dataset.action;
    return id && (action === 'left' || action === 'right' || action === 'remove') ? { id, action } : undefined;
  }

  private restoreFocus(focus: { id: string; action: 'left' | 'right' | 'remove' }): void {
    const item = [...this.list.children].find((child) => (child as HTMLElement).dataset.id === focus.id);
    if (!item) return;
    const wanted = item.querySelector<HTMLButtonElement>(`button[data-action="${focus.action}"]`);
    const target = wanted && !wanted.disabled ? wanted : item.querySelector<HTMLButtonElement>('button:not([disabled])');
    target?.focus();
  }

  // Reordering by dragging a thumbnail

  private dropIndex(event: DragEvent): number {
    const items = [...this.list.children] as HTMLElement[];
    for (const [index, item] of items.entries()) {
      const box = item.getBoundingClientRect();
      const sameRow = event.clientY >= box.top && event.clientY <= box.bottom;
      if (sameRow && event.clientX < box.left + box.width / 2) return index;
      if (event.clientY < box.top) return index;
    }
    return items.length;
  }

  private dragOver(event: DragEvent): void {
    if (!this.dragged || !event.dataTransfer?.types.includes(INTERNAL_DRAG)) return;
    event.preventDefault();
    event.stopPropagation();
    event.dataTransfer.dropEffect = 'move';
    const index = this.dropIndex(event);
    this.clearDropMarks();
    const items = [...this.list.children] as HTMLElement[];
    if (index < items.length) items[index]!.classList.add('drop-before');
    else items.at(-1)?.classList.add('drop-after');
  }

  private dropInside(event: DragEvent): void {
    if (!this.dragged || !event.dataTransfer?.types.includes(INTERNAL_DRAG)) return;
    event.preventDefault();
    event.stopPropagation();
    const id = this.dragged;
    const from = this.references.findIndex((reference) => reference.id === id);
    let to = this.dropIndex(event);
    this.clearDropMarks();
    if (from < 0) return;
    if (to > from) to -= 1;
    if (to === from) return;
    const next = [...this.references];
    const [moved] = next.splice(from, 1);
    next.splice(to, 0, moved!);
    this.commit(next);
  }

  private clearDropMarks(): void {
    for (const item of this.list.children) item.classList.remove('drop-before', 'drop-after');
  }
}

/**
 * The URIs of a drop. VS Code's Explorer puts the full list in `application/vnd.code.uri-list` (and as JSON in
 * `resourceurls`), while `text/uri-list` carries only the first one (a Chromium limit); `text/plain` has paths.
 */
export function droppedUris(transfer: Pick<DataTransfer, 'getData'>): string[] {
  const read = (type: string): string => {
    try {
      return transfer.getData(type) ?? '';
    } catch {
      return '';
    }
  };
  const lines = (text: string) =>
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#'));
  const jsonList = (text: string): string[] => {
    try {
      const parsed: unknown = JSON.parse(text);
      return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : [];
    } catch {
      return [];
    }
  };
  const candidates = [
    lines(read('application/vnd.code.uri-list')),
    jsonList(read('resourceurls')),
    lines(read('text/uri-list')),
    lines(read('text/plain')).filter((line) => /^[a-z][\w+.-]*:\/\//i.test(line) || line.startsWith('/') || /^[a-z]:[\\/]/i.test(line)),
  ];
  const found = candidates.find((list) => list.length > 0) ?? [];
  return [...new Set(found)].filter((uri) => uri.length <= 4096);
}

/** A data URL the host accepts: PNG, JPEG and WebP as they are, anything else (GIF, BMP) redrawn as PNG. */
async function imageDataUrl(file: Blob): Promise<string> {
  if (PASTE_TYPES.test(file.type)) return readAsDataUrl(file);
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas.toDataURL('image/png');
}

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => (typeof reader.result === 'string' ? resolve(reader.result) : reject(new Error('no data URL')));
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}
