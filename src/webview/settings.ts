/**
 * The settings of the chosen model: only the controls its capabilities define, each labelled, with the reason
 * right under it when it is disabled; controls the model lacks are listed by name, never silently gone.
 * Built once per model (so focus survives changes); `refresh` updates what depends on other values.
 */
import type { ModelCapabilities, OutputFormat, Resolution } from '../core/image-model';
import { parseSize } from '../core/size-rules';
import type { ModelView } from '../shared/protocol';
import { attr, h, replaceChildren, show, uid } from './dom';
import {
  ASPECT_RATIOS,
  CUSTOM_SIZE,
  MAX_IMAGES,
  callCount,
  compressionApplies,
  customSizeMessage,
  transparentProblem,
  type Background,
  type FormValues,
} from './form';
import { t } from './l10n';

export interface SettingsHost {
  values(): FormValues;
  /** A control changed: merge, re-check, persist. */
  change(patch: Partial<FormValues>): void;
  /** Whether the request is an edit (there are references). */
  editing(): boolean;
}

interface Option {
  value: string;
  label: string;
  disabled?: boolean;
  title?: string;
}

/** One control and its parts, by the request field it sets (`size`, `quality`, …). */
interface Field {
  root: HTMLElement;
  focus: HTMLElement;
  note: HTMLElement;
}

export class SettingsView {
  readonly element: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly unavailable: HTMLElement;
  private fields = new Map<string, Field>();
  private capabilities: ModelCapabilities | undefined;
  private refreshers: (() => void)[] = [];
  private highlighted: string | undefined;

  constructor(private readonly host: SettingsHost) {
    const titleId = uid('settings-title');
    this.grid = h('div', { class: 'settings-grid' });
    this.unavailable = h('div', { class: 'unavailable', hidden: true });
    this.element = h(
      'section',
      { class: 'panel-section settings', role: 'group', 'aria-labelledby': titleId },
      h('div', { class: 'section-head' }, h('h2', { id: titleId }, t('Settings'))),
      this.grid,
      this.unavailable,
    );
  }

  /** The control that sets `setting`, for focusing it from an error. */
  focusTarget(setting: string): HTMLElement | undefined {
    return this.fields.get(fieldFor(setting))?.focus;
  }

  /** Marks the control the host blamed (`jobFailed.setting`) until it changes; undefined clears. */
  highlight(setting: string | undefined): void {
    if (this.highlighted) {
      const previous = this.fields.get(this.highlighted);
      previous?.root.classList.remove('invalid');
      if (previous) attr(previous.focus, 'aria-invalid', false);
    }
    this.highlighted = setting ? fieldFor(setting) : undefined;
    const field = this.highlighted ? this.fields.get(this.highlighted) : undefined;
    if (!field) {
      this.highlighted = undefined;
      return;
    }
    field.root.classList.add('invalid');
    attr(field.focus, 'aria-invalid', 'true');
  }

  /** Builds the controls for `model` (nothing but a note without one). */
  setModel(model: ModelView | undefined): void {
    this.fields = new Map();
    this.refreshers = [];
    this.highlighted = undefined;
    this.capabilities = model?.capabilities;
    if (!model) {
      replaceChildren(this.grid, h('p', { class: 'note' }, t('Choose a model to see its settings.')));
      show(this.unavailable, false);
      return;
    }
    const capabilities = model.capabilities;
    const missing: string[] = [];
    const parts: HTMLElement[] = [this.sizeField(capabilities)];
    if (capabilities.qualities.length > 0) parts.push(this.qualityField(capabilities));
    else missing.push(t('Quality'));
    if (capabilities.formats.length > 0) parts.push(this.formatField(capabilities));
    else missing.push(t('Format'));
    if (capabilities.compression) parts.push(this.compressionField(capabilities));
    else missing.push(t('Compression'));
    parts.push(this.backgroundField(capabilities));
    parts.push(this.countField(capabilities));
    if (capabilities.inputFidelity !== 'no') parts.push(this.fidelityField(capabilities));
    else missing.push(t('Input fidelity'));
    if (capabilities.moderation) parts.push(this.moderationField());
    else missing.push(t('Moderation'));
    if (capabilities.streaming) parts.push(this.streamField());
    else missing.push(t('Partial images while generating'));
    replaceChildren(this.grid, ...parts);
    replaceChildren(
      this.unavailable,
      h('span', { class: 'unavailable-label' }, t('Not available on this model:')),
      h('ul', { class: 'chips' }, ...missing.map((name) => h('li', { class: 'chip' }, name))),
    );
    show(this.unavailable, missing.length > 0);
    this.refresh();
  }

  /** Updates everything that depends on other values (format → compression, references → fidelity, …). */
  refresh(): void {
    for (const refresh of this.refreshers) refresh();
  }

  // -------------------------------------------------------------------------------------------------------
  // The controls

  private sizeField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const root = h('div', { class: 'field field-wide', 'data-setting': 'size' });
    const note = h('p', { class: 'field-note', id: uid('size-note'), 'aria-live': 'polite' });
    const presets = [...capabilities.sizes];
    const options: Option[] = presets.map((size) => ({ value: size, label: sizeLabel(size) }));
    if (capabilities.autoSize) options.push({ value: 'auto', label: t('Auto') });
    if (capabilities.customSize) options.push({ value: CUSTOM_SIZE, label: t('Custom…') });
    const sizeSelect = select(uid('size'), options, values.size, (value) => this.host.change({ size: value }));
    attr(sizeSelect, 'aria-describedby', note.id);

    // Custom WxH, checked live against the model's rule.
    const rule = capabilities.customSize;
    const widthId = uid('width');
    const heightId = uid('height');
    const numberInput = (id: string, value: number, key: 'customWidth' | 'customHeight') =>
      h('input', {
        type: 'number',
        id,
        class: 'size-input',
        min: rule?.minSide ?? rule?.multipleOf ?? 1,
        max: rule?.maxSide ?? 99999,
        step: rule?.multipleOf ?? 1,
        value,
        inputmode: 'numeric',
        'aria-describedby': note.id,
        onInput: (event: Event) => this.host.change({ [key]: Math.round(Number((event.target as HTMLInputElement).value)) }),
      });
    const width = numberInput(widthId, values.customWidth, 'customWidth');
    const height = numberInput(heightId, values.customHeight, 'customHeight');
    const custom = h(
      'div',
      { class: 'custom-size', role: 'group', 'aria-label': t('Custom size in pixels') },
      h('label', { for: widthId, class: 'mini-label' }, t('Width')),
      width,
      h('span', { class: 'times', 'aria-hidden': 'true' }, '×'),
      h('label', { for: heightId, class: 'mini-label' }, t('Height')),
      height,
    );

    const sizeLabelId = uid('size-label');
    // With the Size | Aspect ratio toggle above, the label would say "Size" twice: screen readers still get it.
    const sizeBlock = h(
      'div',
      { class: 'size-block' },
      h('label', { for: sizeSelect.id, id: sizeLabelId, class: capabilities.aspectRatio ? 'visually-hidden' : undefined }, t('Size')),
      h('div', { class: 'size-row' }, sizeSelect, custom),
    );

    // Aspect ratio + resolution (apimodels' asynchronous mode), the alternative to a size.
    let aspectBlock: HTMLElement | undefined;
    let toggle: HTMLElement | undefined;
    let modeRadios: HTMLInputElement[] = [];
    if (capabilities.aspectRatio) {
      const ratioSelect = select(uid('ratio'), ASPECT_RATIOS.map((ratio) => ({ value: ratio, label: ratio })), values.aspectRatio, (value) =>
        this.host.change({ aspectRatio: value }),
      );
      const resolutionSelect = select(
        uid('resolution'),
        capabilities.aspectRatio.resolutions.map((resolution) => ({ value: resolution, label: resolution })),
        values.resolution,
        (value) => this.host.change({ resolution: value as Resolution }),
      );
      aspectBlock = h(
        'div',
        { class: 'aspect-block' },
        h('div', { class: 'sub-field' }, h('label', { for: ratioSelect.id }, t('Aspect ratio')), ratioSelect),
        h('div', { class: 'sub-field' }, h('label', { for: resolutionSelect.id }, t('Resolution')), resolutionSelect),
      );
      const name = uid('size-mode');
      const radio = (mode: 'size' | 'aspect', label: string) => {
        const id = uid('mode');
        const input = h('input', {
          type: 'radio',
          name,
          id,
          value: mode,
          checked: values.sizeMode === mode,
          onChange: () => this.host.change({ sizeMode: mode }),
        });
        modeRadios.push(input);
        return h('span', { class: 'segment' }, input, h('label', { for: id }, label));
      };
      const toggleLabel = uid('mode-label');
      toggle = h(
        'div',
        { class: 'segmented', role: 'radiogroup', 'aria-labelledby': toggleLabel },
        h('span', { id: toggleLabel, class: 'visually-hidden' }, t('Size or aspect ratio')),
        radio('size', t('Size')),
        radio('aspect', t('Aspect ratio')),
      );
      this.fields.set('aspectRatio', { root, focus: ratioSelect, note });
      this.fields.set('resolution', { root, focus: resolutionSelect, note });
    }

    root.append(...[toggle, sizeBlock, aspectBlock, note].filter((part): part is HTMLElement => part !== undefined));
    this.fields.set('size', { root, focus: sizeSelect, note });

    this.refreshers.push(() => {
      const current = this.host.values();
      const aspect = capabilities.aspectRatio !== undefined && current.sizeMode === 'aspect';
      for (const input of modeRadios) input.checked = input.value === current.sizeMode;
      show(sizeBlock, !aspect);
      if (aspectBlock) show(aspectBlock, aspect);
      const isCustom = current.size === CUSTOM_SIZE;
      show(custom, isCustom);
      if (sizeSelect.value !== current.size) sizeSelect.value = current.size;
      const problem = aspect ? undefined : customSizeMessage(current, capabilities);
      attr(width, 'aria-invalid', problem ? 'true' : false);
      attr(height, 'aria-invalid', problem ? 'true' : false);
      root.classList.toggle('has-problem', problem !== undefined);
      if (aspect) {
        setNote(note, t('Aspect ratio and resolution run as a task that the panel waits for; it can take a few minutes.'));
      } else if (problem) {
        setNote(note, problem, 'error');
      } else if (isCustom && rule) {
        setNote(
          note,
          rule.multipleOf > 1
            ? t('Sides in multiples of {0}, longest side up to {1} px, aspect ratio up to {2}:1.', rule.multipleOf, rule.maxSide, rule.maxAspectRatio)
            : t('Longest side up to {0} px, aspect ratio up to {1}:1.', rule.maxSide, rule.maxAspectRatio),
        );
      } else if (current.size === 'auto') {
        setNote(note, this.host.editing() ? t('Auto keeps the size of the first reference where the model can.') : t('The model picks the size.'));
      } else setNote(note, undefined);
    });
    return root;
  }

  private qualityField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const control = select(uid('quality'), capabilities.qualities.map((quality) => ({ value: quality, label: qualityLabel(quality) })), values.quality, (value) =>
      this.host.change({ quality: value }),
    );
    return this.simpleField('quality', t('Quality'), control, () => {
      control.value = this.host.values().quality;
      return undefined;
    });
  }

  private formatField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const control = select(uid('format'), capabilities.formats.map((format) => ({ value: format, label: formatLabel(format) })), values.format, (value) =>
      this.host.change({ format: value as OutputFormat }),
    );
    const only = capabilities.formats.length === 1;
    control.disabled = only;
    return this.simpleField('format', t('Format'), control, () => {
      control.value = this.host.values().format;
      return only ? { text: t('This model only produces {0}.', formatLabel(capabilities.formats[0]!)) } : undefined;
    });
  }

  private compressionField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const id = uid('compression');
    const output = h('output', { for: id, class: 'range-value' }, `${values.compression}%`);
    const control = h('input', {
      type: 'range',
      id,
      min: 0,
      max: 100,
      step: 1,
      value: values.compression,
      onInput: (event: Event) => {
        const value = Number((event.target as HTMLInputElement).value);
        output.textContent = `${value}%`;
        this.host.change({ compression: value });
      },
    });
    const wrapper = h('div', { class: 'range-row' }, control, output);
    return this.simpleField(
      'compression',
      t('Compression'),
      control,
      () => {
        const current = this.host.values();
        const applies = compressionApplies(capabilities, current.format);
        control.disabled = !applies;
        control.value = String(current.compression);
        output.textContent = `${current.compression}%`;
        wrapper.classList.toggle('disabled', !applies);
        return applies ? undefined : { text: t('Applies to JPEG and WebP only.') };
      },
      wrapper,
    );
  }

  private backgroundField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const id = uid('background');
    // Where the model may ignore it, the option says so before it is even chosen.
    const transparent = h(
      'option',
      { value: 'transparent' },
      capabilities.transparency === 'uncertain' ? t('{0} (may be ignored)', t('Transparent')) : t('Transparent'),
    );
    const control = h(
      'select',
      { id, onChange: (event: Event) => this.host.change({ background: (event.target as HTMLSelectElement).value as Background }) },
      h('option', { value: 'auto' }, t('Auto')),
      h('option', { value: 'opaque' }, t('Opaque')),
      transparent,
    );
    control.value = values.background;
    return this.simpleField('background', t('Background'), control, () => {
      const current = this.host.values();
      if (capabilities.transparency === 'no') {
        control.disabled = true;
        control.value = 'auto';
        return { text: t('This model has no background option: it cannot make transparent backgrounds.') };
      }
      const problem = transparentProblem(capabilities, current.format);
      transparent.disabled = problem !== undefined;
      attr(transparent, 'title', problem);
      control.value = current.background;
      if (problem) return { text: t('Transparent is not available: {0}', problem) };
      if (capabilities.transparency === 'uncertain' && current.background === 'transparent') {
        return { text: t('This model may ignore a transparent background: check the result.'), level: 'warning' };
      }
      return undefined;
    });
  }

  private countField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const control = h('input', {
      type: 'number',
      id: uid('count'),
      min: 1,
      max: MAX_IMAGES,
      step: 1,
      value: values.n,
      inputmode: 'numeric',
      onInput: (event: Event) => {
        const value = Number((event.target as HTMLInputElement).value);
        if (Number.isFinite(value) && value >= 1) this.host.change({ n: Math.min(MAX_IMAGES, Math.round(value)) });
      },
      onChange: (event: Event) => {
        const input = event.target as HTMLInputElement;
        input.value = String(this.host.values().n);
      },
    });
    return this.simpleField('n', t('Images'), control, () => {
      const n = this.host.values().n;
      if (document.activeElement !== control) control.value = String(n);
      const calls = callCount(n, capabilities);
      if (calls <= 1) return undefined;
      return {
        text:
          capabilities.maxImagesPerCall === 1
            ? t('Split into {0} calls: this model makes one image per call.', calls)
            : t('Split into {0} calls of up to {1} images.', calls, capabilities.maxImagesPerCall),
      };
    });
  }

  private fidelityField(capabilities: ModelCapabilities): HTMLElement {
    const values = this.host.values();
    const control = select(
      uid('fidelity'),
      [
        { value: 'high', label: t('High') },
        { value: 'low', label: t('Low') },
      ],
      values.inputFidelity,
      (value) => this.host.change({ inputFidelity: value as 'high' | 'low' }),
    );
    return this.simpleField('inputFidelity', t('Input fidelity'), control, () => {
      if (capabilities.inputFidelity === 'always-high') {
        control.disabled = true;
        control.value = 'high';
        return { text: t('Always high on this model.') };
      }
      const editing = this.host.editing();
      control.disabled = !editing;
      control.value = this.host.values().inputFidelity;
      return editing ? { text: t('How closely the edit keeps faces and details of the references.') } : { text: t('Applies to edits: add a reference image.') };
    });
  }

  private moderationField(): HTMLElement {
    const values = this.host.values();
    const control = select(
      uid('moderation'),
      [
        { value: 'auto', label: t('Auto') },
        { value: 'low', label: t('Low') },
      ],
      values.moderation,
      (value) => this.host.change({ moderation: value as 'auto' | 'low' }),
    );
    return this.simpleField('moderation', t('Moderation'), control, () => {
      control.value = this.host.values().moderation;
      return undefined;
    });
  }

  private streamField(): HTMLElement {
    const values = this.host.values();
    const root = h('div', { class: 'field field-wide stream-field', 'data-setting': 'stream' });
    const checkId = uid('stream');
    const check = h('input', {
      type: 'checkbox',
      id: checkId,
      checked: values.stream,
      onChange: (event: Event) => this.host.change({ stream: (event.target as HTMLInputElement).checked }),
    });
    const note = h('p', { class: 'field-note', id: uid('partial-note') });
    const partials = select(
      uid('partials'),
      [0, 1, 2, 3].map((count) => ({ value: String(count), label: String(count) })),
      String(values.partialImages),
      (value) => this.host.change({ partialImages: Number(value) }),
    );
    attr(partials, 'aria-describedby', note.id);
    root.append(
      h('div', { class: 'check-row' }, check, h('label', { for: checkId }, t('Show partial images while generating'))),
      h('div', { class: 'sub-field inline' }, h('label', { for: partials.id }, t('Partial images')), partials),
      note,
    );
    this.fields.set('stream', { root, focus: check, note });
    this.fields.set('partialImages', { root, focus: partials, note });
    this.refreshers.push(() => {
      const current = this.host.values();
      check.checked = current.stream;
      partials.disabled = !current.stream;
      partials.value = String(current.partialImages);
      setNote(note, current.stream ? t('Each partial image adds a little to the cost.') : t('Partial images need streaming.'));
    });
    return root;
  }

  /** A labelled control with a note below; `refresh` returns the note to show (or none). */
  private simpleField(
    setting: string,
    label: string,
    control: HTMLElement,
    refresh: () => { text: string; level?: 'warning' | 'error' } | undefined,
    body: HTMLElement = control,
  ): HTMLElement {
    const note = h('p', { class: 'field-note', id: uid(`${setting}-note`) });
    attr(control, 'aria-describedby', note.id);
    const root = h('div', { class: 'field', 'data-setting': setting }, h('label', { for: control.id }, label), body, note);
    this.fields.set(setting, { root, focus: control, note });
    this.refreshers.push(() => {
      const shown = refresh();
      setNote(note, shown?.text, shown?.level);
      // A disabled control says why in its tooltip too.
      attr(control, 'title', (control as HTMLInputElement).disabled ? shown?.text : undefined);
    });
    return root;
  }
}

/** Which field shows a setting the host names (`partialImages` lives with streaming, …). */
function fieldFor(setting: string): string {
  if (setting === 'output_format') return 'format';
  if (setting === 'output_compression') return 'compression';
  if (setting === 'input_fidelity') return 'inputFidelity';
  if (setting === 'partial_images') return 'partialImages';
  if (setting === 'aspect_ratio') return 'aspectRatio';
  return setting;
}

function select(id: string, options: readonly Option[], value: string, onChange: (value: string) => void): HTMLSelectElement {
  const element = h(
    'select',
    { id, onChange: (event: Event) => onChange((event.target as HTMLSelectElement).value) },
    ...options.map((option) => h('option', { value: option.value, disabled: option.disabled, title: option.title }, option.label)),
  );
  element.value = value;
  return element;
}

function setNote(note: HTMLElement, text: string | undefined, level?: 'warning' | 'error'): void {
  note.textContent = text ?? '';
  note.hidden = !text;
  note.classList.toggle('warning', level === 'warning');
  note.classList.toggle('error', level === 'error');
}

/** "1536 × 1024 (landscape)". */
export function sizeLabel(size: string): string {
  const parsed = parseSize(size);
  if (!parsed) return size === 'auto' ? t('Auto') : size;
  const text = `${parsed.width} × ${parsed.height}`;
  if (parsed.width === parsed.height) return t('{0} (square)', text);
  return parsed.width > parsed.height ? t('{0} (landscape)', text) : t('{0} (portrait)', text);
}

export function qualityLabel(quality: string): string {
  switch (quality) {
    case 'auto':
      return t('Auto');
    case 'low':
      return t('Low');
    case 'medium':
      return t('Medium');
    case 'high':
      return t('High');
    case 'standard':
      return t('Standard');
    case 'hd':
      return t('HD');
    default:
      return quality;
  }
}

export function formatLabel(format: string): string {
  return format === 'jpeg' ? 'JPEG' : format === 'webp' ? 'WebP' : format.toUpperCase();
}
