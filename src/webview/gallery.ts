/**
 * A grid of images (the results of this panel, or the workspace history) with the actions the host performs:
 * save, open, reveal, copy path, insert link, use as reference, edit again, regenerate.
 */
import type { FromWebview, ImageView } from '../shared/protocol';
import { h, iconButton, replaceChildren, type IconName } from './dom';
import { t } from './l10n';
import { formatLabel } from './settings';

type Action = Extract<FromWebview, { type: 'imageAction' }>['action'];

export class Gallery {
  readonly element: HTMLOListElement;
  private images: ImageView[] = [];

  constructor(
    private readonly post: (message: FromWebview) => void,
    label: string,
  ) {
    this.element = h('ol', { class: 'gallery', 'aria-label': label });
  }

  get items(): readonly ImageView[] {
    return this.images;
  }

  setImages(images: readonly ImageView[]): void {
    this.images = [...images];
    this.render();
  }

  /** An image changed (saved): replaced where it is shown, keeping focus on its card. */
  update(image: ImageView): boolean {
    const index = this.images.findIndex((each) => each.id === image.id);
    if (index < 0) return false;
    this.images[index] = image;
    const old = this.element.children[index];
    const hadFocus = old?.contains(document.activeElement) ?? false;
    const card = this.card(image);
    if (old) old.replaceWith(card);
    if (hadFocus) card.querySelector<HTMLButtonElement>('button[data-action="open"]')?.focus();
    return true;
  }

  private render(): void {
    // New results arrive while a card's button may have focus: it keeps it.
    const active = document.activeElement;
    const focused = active instanceof HTMLButtonElement && this.element.contains(active) ? { id: active.closest<HTMLElement>('li')?.dataset.id, action: active.dataset.action } : undefined;
    replaceChildren(this.element, ...this.images.map((image) => this.card(image)));
    if (focused?.id && focused.action) {
      const card = [...this.element.children].find((child) => (child as HTMLElement).dataset.id === focused.id);
      card?.querySelector<HTMLButtonElement>(`button[data-action="${focused.action}"]`)?.focus();
    }
  }

  private card(image: ImageView): HTMLLIElement {
    const title = image.prompt.length > 0 ? image.prompt : t('Untitled image');
    const act = (action: Action) => () => this.post({ type: 'imageAction', action, imageId: image.id });
    const button = (name: IconName, label: string, action: Action) => iconButton(name, label, act(action), { 'data-action': action });
    const details = [image.width > 0 ? `${image.width} × ${image.height}` : '', formatLabel(image.mediaType.replace(/^image\//, '')), image.model]
      .filter((part) => part.length > 0)
      .join(' · ');
    const tooltip = [image.revisedPrompt ? `${title}\n\n${t('Revised prompt: {0}', image.revisedPrompt)}` : title, image.path ?? ''].filter(Boolean).join('\n');
    return h(
      'li',
      { class: 'card', 'data-id': image.id },
      h(
        'button',
        // The thumbnail opens the image for the mouse; keyboard users have the Open button right below.
        { type: 'button', class: 'card-thumb', tabindex: -1, 'aria-hidden': 'true', title: tooltip, onClick: act('open') },
        h('img', { src: image.src, alt: '', loading: 'lazy', draggable: 'false' }),
      ),
      image.saved ? null : h('span', { class: 'badge' }, t('Not saved')),
      h(
        'div',
        { class: 'card-body' },
        h('p', { class: 'card-title', title: tooltip }, title),
        h('p', { class: 'card-meta' }, details),
      ),
      h(
        'div',
        { class: 'card-actions', role: 'group', 'aria-label': t('Actions for "{0}"', truncate(title, 60)) },
        image.saved ? null : button('save', t('Save to workspace'), 'save'),
        button('open', t('Open'), 'open'),
        button('reveal', t('Reveal in Explorer'), 'reveal'),
        button('copy', t('Copy path'), 'copyPath'),
        button('link', t('Insert link into the active editor'), 'insertLink'),
        button('reference', t('Use as reference'), 'useAsReference'),
        button('edit', t('Edit again'), 'editAgain'),
        button('regenerate', t('Regenerate with the same settings'), 'regenerate'),
      ),
    );
  }
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
