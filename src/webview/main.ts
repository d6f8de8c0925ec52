/**
 * The Image Studio webview: builds the whole panel from script (the CSP allows no inline anything), talks to
 * the host only through the messages of `shared/protocol.ts`, and keeps its state with `setState` (paths and
 * settings, never image data). Handshake: post `ready` with the saved state, build the UI on `init`.
 */
import type { ImageView, InitMessage, ModelView, ProviderView, ReferenceView, StudioRequest, StudioState, ToWebview } from '../shared/protocol';
import { MOD_KEY, attr, h, icon, isTextEntry, replaceChildren, show, uid } from './dom';
import {
  buildRequest,
  costEstimate,
  formatUsd,
  fitToModel,
  initialValues,
  requestProblems,
  valuesFromRequest,
  valuesFromState,
  type FormValues,
  type Problem,
} from './form';
import { Gallery } from './gallery';
import { setStrings, t } from './l10n';
import { MaskPainter } from './mask-painter';
import { ReferencesView } from './references';
import { SettingsView } from './settings';
import { vscodeApi } from './vscode-api';

/** What `setState` keeps: the protocol's `StudioState` plus the panel's own UI state. */
interface PanelState extends StudioState {
  form?: FormValues;
  brushSize?: number;
  historyOpen?: boolean;
}

const STATE_DEBOUNCE_MS = 400;
const MAX_RESULTS = 60;

interface Job {
  id?: string;
  cancelRequested: boolean;
  startedAt: number;
  count: number;
}

class Studio {
  private readonly vscode = vscodeApi<PanelState>();
  private readonly saved: PanelState;
  private values: FormValues;
  private providers: ProviderView[] = [];
  private readonly models = new Map<string, ModelView[]>();
  private readonly modelErrors = new Map<string, string>();
  private defaults: Partial<StudioRequest> = {};
  private autoSave = true;
  private job: Job | undefined;
  private lastFailureSetting: string | undefined;
  /** The provider the error on show asks a key for; the error goes once the key is set. */
  private errorNeedsKey: string | undefined;
  /** The problem Generate was refused for here; its marks go once it is fixed. */
  private refused: Problem | undefined;
  private built = false;
  private statePost: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private elapsedTimer: ReturnType<typeof setInterval> | undefined;
  private historyLoaded = false;

  // Built on init
  private readonly root: HTMLElement;
  private settings!: SettingsView;
  private references!: ReferencesView;
  private painter!: MaskPainter;
  private results!: Gallery;
  private history!: Gallery;
  private prompt!: HTMLTextAreaElement;
  private promptCount!: HTMLElement;
  private providerSelect!: HTMLSelectElement;
  private modelSelect!: HTMLSelectElement;
  private modelNote!: HTMLElement;
  private keyBanner!: HTMLElement;
  private generateButton!: HTMLButtonElement;
  private cancelButton!: HTMLButtonElement;
  private generateReason!: HTMLElement;
  private cost!: HTMLElement;
  private status!: HTMLElement;
  private errorArea!: HTMLElement;
  private jobSection!: HTMLElement;
  private jobStatus!: HTMLElement;
  private jobElapsed!: HTMLElement;
  private jobProgress!: HTMLProgressElement;
  private partialFigure!: HTMLElement;
  private partialImage!: HTMLImageElement;
  private partialCaption!: HTMLElement;
  private resultsSummary!: HTMLElement;
  private resultsEmpty!: HTMLElement;
  private historyDetails!: HTMLDetailsElement;
  private historyCount!: HTMLElement;
  private historyEmpty!: HTMLElement;

  constructor(root: HTMLElement) {
    this.root = root;
    const saved = this.vscode.getState();
    this.saved = saved ?? {};
    this.values = valuesFromState(valuesFromRequest(initialValues(), this.saved.request), this.saved.form);
    replaceChildren(root, h('p', { class: 'loading' }, t('Loading Image Studio…')));
    window.addEventListener('message', (event: MessageEvent<ToWebview>) => this.receive(event.data));
    this.vscode.postMessage({ type: 'ready', state: saved });
  }

  // -------------------------------------------------------------------------------------------------------
  // Messages from the host

  private receive(message: ToWebview): void {
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    if (message.type === 'init') {
      this.init(message);
      return;
    }
    if (!this.built) return;
    switch (message.type) {
      case 'models':
        this.receiveModels(message.provider, message.models, message.error);
        break;
      case 'references':
        this.setReferences(message.references);
        break;
      case 'editImage':
        this.setReferences(message.references);
        this.say(message.references[0] ? t('Editing {0}: describe the change in the prompt.', message.references[0].name) : '', 'info');
        this.references.element.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
        this.prompt.focus();
        break;
      case 'jobStarted':
        this.jobStarted(message.jobId);
        break;
      case 'progress':
        if (this.isCurrentJob(message.jobId)) this.showProgress(message.status, message.percent);
        break;
      case 'partial':
        if (this.isCurrentJob(message.jobId)) this.showPartial(message.dataUrl, message.imageIndex, message.partialIndex);
        break;
      case 'jobDone':
        this.jobDone(message.images, message.warnings, message.costUsd);
        break;
      case 'jobFailed':
        this.jobFailed(message.message, message.cancelled, message.setting, message.needsKey);
        break;
      case 'imageUpdated':
        this.results.update(message.image);
        this.history.update(message.image);
        this.persist();
        break;
      case 'history':
        this.historyLoaded = true;
        this.history.setImages(message.images);
        this.historyCount.textContent = message.images.length > 0 ? String(message.images.length) : '';
        show(this.historyEmpty, message.images.length === 0);
        break;
      case 'keys':
        this.providers = message.providers;
        this.renderProviders();
        if (this.errorNeedsKey && this.providers.some((provider) => provider.id === this.errorNeedsKey && provider.hasKey)) this.clearError();
        break;
      case 'notice':
        // The host refuses some requests before a job starts (no folder open) with an error notice.
        if (message.level === 'error' && this.job && this.job.id === undefined) this.endJob();
        this.say(message.message, message.level);
        break;
    }
  }

  private init(message: InitMessage): void {
    setStrings(message.strings);
    const first = !this.built;
    this.providers = message.providers;
    this.defaults = message.defaults ?? {};
    this.autoSave = message.autoSave;
    this.models.set(message.provider, message.models);
    if (first) {
      // Settings defaults, then what this panel had before a reload (the user's choices win).
      const fromDefaults = valuesFromRequest(initialValues(), this.defaults);
      this.values = valuesFromState(valuesFromRequest(fromDefaults, this.saved.request), this.saved.form);
    }
    const restored = first ? this.saved.request : undefined;
    // The host's provider and model, unless this panel had picked its own (it is asked for those models below).
    const ownModel = restored?.provider === message.provider ? restored.model : undefined;
    this.values.provider = message.provider;
    if (first) this.build();
    this.results.setImages(message.results);
    this.renderResultsState();
    this.renderProviders();
    this.setReferences(message.references);
    this.selectModel(ownModel && message.models.some((model) => model.id === ownModel) ? ownModel : message.model);
    const ownProvider = restored?.provider;
    if (ownProvider && ownProvider !== message.provider && this.providers.some((provider) => provider.id === ownProvider)) {
      this.values.model = restored?.model ?? '';
      this.pickProvider(ownProvider);
    }
    if (this.historyDetails.open && !this.historyLoaded) this.vscode.postMessage({ type: 'refreshHistory' });
  }

  private receiveModels(provider: string, models: ModelView[], error: string | undefined): void {
    this.models.set(provider, models);
    if (error) this.modelErrors.set(provider, error);
    else this.modelErrors.delete(provider);
    if (provider === this.values.provider) this.selectModel(this.values.model);
  }

  private setReferences(references: readonly ReferenceView[]): void {
    this.references.setReferences(references);
    this.painter.setReference(references[0]);
    this.update();
  }

  // -------------------------------------------------------------------------------------------------------
  // Building the panel

  private build(): void {
    this.built = true;
    this.settings = new SettingsView({
      values: () => this.values,
      change: (patch) => this.change(patch),
      editing: () => this.references.items.length > 0 && this.model()?.capabilities.edit === true,
    });
    this.references = new ReferencesView({
      post: (message) => this.vscode.postMessage(message),
      changed: (references) => {
        this.painter.setReference(references[0]);
        this.update();
      },
      notify: (message, level) => this.say(message, level),
    });
    this.painter = new MaskPainter(
      {
        changed: () => this.updateGenerate(),
        brushSizeChanged: (size) => {
          this.saved.brushSize = size;
          this.persist();
        },
      },
      this.saved.brushSize ?? 40,
    );
    this.results = new Gallery((message) => this.vscode.postMessage(message), t('Results'));
    this.history = new Gallery((message) => this.vscode.postMessage(message), t('History'));

    replaceChildren(
      this.root,
      h(
        'main',
        { class: 'studio' },
        h('h1', { class: 'visually-hidden' }, t('Image Studio')),
        h('div', { class: 'columns' }, h('div', { class: 'column inputs' }, ...this.buildInputs()), h('div', { class: 'column outputs' }, ...this.buildOutputs())),
        h('div', { class: 'drop-overlay', 'aria-hidden': 'true' }, h('p', {}, t('Drop to add as reference images'))),
      ),
    );
    this.wireDocument();
  }

  private buildInputs(): HTMLElement[] {
    const promptId = uid('prompt');
    const promptHint = uid('prompt-hint');
    this.prompt = h('textarea', {
      id: promptId,
      rows: 5,
      placeholder: t('Describe the image: subject, style, light, composition…'),
      'aria-describedby': promptHint,
      spellcheck: 'true',
      onInput: () => {
        this.values.prompt = this.prompt.value;
        if (this.lastFailureSetting === 'prompt') this.clearFailureHighlight();
        this.updateGenerate();
        this.persist();
      },
    });
    this.prompt.value = this.values.prompt;
    this.promptCount = h('span', { class: 'prompt-count' });
    const promptField = h(
      'div',
      { class: 'field prompt-field', 'data-setting': 'prompt' },
      h('div', { class: 'label-row' }, h('label', { for: promptId }, t('Prompt')), this.promptCount),
      this.prompt,
      h('p', { class: 'hint', id: promptHint }, t('{0}+Enter generates.', MOD_KEY)),
    );

    const providerId = uid('provider');
    const modelId = uid('model');
    this.modelNote = h('p', { class: 'field-note', id: uid('model-note') });
    this.providerSelect = h('select', { id: providerId, onChange: () => this.pickProvider(this.providerSelect.value) });
    this.modelSelect = h('select', { id: modelId, 'aria-describedby': this.modelNote.id, onChange: () => this.selectModel(this.modelSelect.value) });
    this.keyBanner = h('div', { class: 'banner warning', hidden: true });
    const modelRow = h(
      'div',
      { class: 'model-row', role: 'group', 'aria-label': t('Provider and model') },
      h('div', { class: 'field', 'data-setting': 'provider' }, h('label', { for: providerId }, t('Provider')), this.providerSelect),
      h('div', { class: 'field', 'data-setting': 'model' }, h('label', { for: modelId }, t('Model')), this.modelSelect),
    );

    const compose = h('section', { class: 'panel-section compose', 'aria-label': t('Prompt and model') }, promptField, modelRow, this.modelNote, this.keyBanner);

    this.generateReason = h('p', { class: 'generate-reason', id: uid('generate-reason'), 'aria-live': 'polite' });
    this.generateButton = h(
      'button',
      { type: 'button', class: 'primary generate', 'aria-describedby': this.generateReason.id, onClick: () => this.generate() },
      icon('sparkle'),
      h('span', {}, t('Generate')),
    );
    this.cancelButton = h('button', { type: 'button', class: 'secondary', hidden: true, onClick: () => this.cancel() }, icon('stop'), h('span', {}, t('Cancel')));
    this.cost = h('span', { class: 'cost' });
    this.status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.errorArea = h('div', { class: 'error-area', 'aria-live': 'polite' });
    const bar = h(
      'section',
      { class: 'panel-section generate-bar', 'aria-label': t('Generate') },
      h('div', { class: 'generate-row' }, this.generateButton, this.cancelButton, this.cost),
      this.generateReason,
      this.status,
      this.errorArea,
    );
    return [compose, this.references.element, this.painter.element, this.settings.element, bar];
  }

  private buildOutputs(): HTMLElement[] {
    this.jobStatus = h('span', { class: 'job-status' });
    this.jobElapsed = h('span', { class: 'job-elapsed', 'aria-hidden': 'true' });
    this.jobProgress = h('progress', { class: 'job-progress', max: 100, 'aria-label': t('Progress') });
    this.partialImage = h('img', { class: 'partial-image', alt: '' });
    this.partialCaption = h('figcaption', {});
    this.partialFigure = h('figure', { class: 'partial', hidden: true }, this.partialImage, this.partialCaption);
    this.jobSection = h(
      'section',
      { class: 'panel-section job', 'aria-label': t('Progress'), hidden: true },
      h('div', { class: 'job-head' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), this.jobStatus, h('span', { class: 'spacer' }), this.jobElapsed),
      this.jobProgress,
      this.partialFigure,
    );

    const resultsTitle = uid('results-title');
    this.resultsSummary = h('div', { class: 'results-summary' });
    this.resultsEmpty = h('p', { class: 'empty' });
    const results = h(
      'section',
      { class: 'panel-section results', 'aria-labelledby': resultsTitle },
      h('div', { class: 'section-head' }, h('h2', { id: resultsTitle }, t('Results'))),
      this.resultsSummary,
      this.resultsEmpty,
      this.results.element,
    );

    this.historyCount = h('span', { class: 'count' });
    this.historyEmpty = h('p', { class: 'empty', hidden: true }, t('No generated images in this workspace yet.'));
    this.historyDetails = h(
      'details',
      { class: 'panel-section history', open: this.saved.historyOpen === true },
      h('summary', {}, h('span', { class: 'summary-title' }, t('History')), this.historyCount),
      h(
        'div',
        { class: 'history-body' },
        h(
          'div',
          { class: 'history-tools' },
          h('p', { class: 'hint' }, t('Images generated in this workspace, newest first.')),
          h('button', { type: 'button', class: 'secondary small', onClick: () => this.vscode.postMessage({ type: 'refreshHistory' }) }, icon('regenerate'), h('span', {}, t('Refresh'))),
        ),
        this.historyEmpty,
        this.history.element,
      ),
    );
    this.historyDetails.addEventListener('toggle', () => {
      this.saved.historyOpen = this.historyDetails.open;
      if (this.historyDetails.open && !this.historyLoaded) this.vscode.postMessage({ type: 'refreshHistory' });
      this.persist();
    });
    return [this.jobSection, results, this.historyDetails];
  }

  private wireDocument(): void {
    document.addEventListener('keydown', (event) => {
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.key === 'Enter') {
        event.preventDefault();
        this.generate();
      } else if (mod && !event.shiftKey && event.key.toLowerCase() === 'z' && !isTextEntry(event.target) && this.painter.visible()) {
        event.preventDefault();
        this.painter.undo();
      }
    });
    // An image on the clipboard becomes a reference (even with the prompt focused); text pastes as usual.
    document.addEventListener('paste', (event) => {
      this.references.paste(event);
    });
    let depth = 0;
    const body = document.body;
    document.addEventListener('dragenter', (event) => {
      if (!ReferencesView.acceptsDrag(event)) return;
      depth += 1;
      body.classList.add('drag-active');
    });
    document.addEventListener('dragleave', (event) => {
      if (!ReferencesView.acceptsDrag(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) body.classList.remove('drag-active');
    });
    document.addEventListener('dragover', (event) => {
      if (!ReferencesView.acceptsDrag(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    document.addEventListener('drop', (event) => {
      depth = 0;
      body.classList.remove('drag-active');
      if (!ReferencesView.acceptsDrag(event)) return;
      event.preventDefault();
      this.references.drop(event);
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Provider and model

  private model(): ModelView | undefined {
    return this.models.get(this.values.provider)?.find((model) => model.id === this.values.model);
  }

  private renderProviders(): void {
    const options = this.providers.map((provider) =>
      h(
        'option',
        { value: provider.id, title: provider.description },
        provider.needsKey && !provider.hasKey ? t('{0} (no API key)', provider.label) : provider.label,
      ),
    );
    replaceChildren(this.providerSelect, ...options);
    this.providerSelect.value = this.values.provider;
    const provider = this.providers.find((each) => each.id === this.values.provider);
    if (provider?.needsKey && !provider.hasKey) {
      replaceChildren(
        this.keyBanner,
        icon('key'),
        h('span', {}, t('{0} needs an API key before it can generate.', provider.label)),
        h('button', { type: 'button', class: 'secondary small', onClick: () => this.vscode.postMessage({ type: 'setApiKey', provider: provider.id }) }, t('Set API Key')),
      );
      show(this.keyBanner, true);
    } else show(this.keyBanner, false);
  }

  private pickProvider(provider: string): void {
    if (!this.providers.some((each) => each.id === provider)) return;
    this.values.provider = provider;
    this.vscode.postMessage({ type: 'listModels', provider });
    this.renderProviders();
    this.selectModel(this.values.model);
    this.persist();
  }

  /** Shows the models of the current provider and picks `wanted` if it is one of them, else the first. */
  private selectModel(wanted: string): void {
    const models = this.models.get(this.values.provider);
    const error = this.modelErrors.get(this.values.provider);
    if (!models) {
      replaceChildren(this.modelSelect, h('option', { value: '' }, t('Loading models…')));
      this.modelSelect.disabled = true;
      this.setModelNote(undefined);
      this.applyModel(undefined);
      return;
    }
    this.modelSelect.disabled = models.length === 0;
    replaceChildren(
      this.modelSelect,
      ...(models.length > 0 ? models.map((model) => h('option', { value: model.id }, model.id)) : [h('option', { value: '' }, t('No models'))]),
    );
    const model = models.find((each) => each.id === wanted) ?? models[0];
    this.values.model = model?.id ?? '';
    this.modelSelect.value = this.values.model;
    if (error) this.setModelNote(t('Could not list the models: {0}', error), 'error');
    else if (!model) this.setModelNote(t('This provider offers no image models.'), 'warning');
    else this.setModelNote(model.description);
    this.applyModel(model);
  }

  private setModelNote(text: string | undefined, level?: 'warning' | 'error'): void {
    this.modelNote.textContent = text ?? '';
    this.modelNote.hidden = !text;
    this.modelNote.classList.toggle('error', level === 'error');
    this.modelNote.classList.toggle('warning', level === 'warning');
  }

  private applyModel(model: ModelView | undefined): void {
    if (model) this.values = fitToModel(this.values, model.capabilities, this.defaults);
    this.settings.setModel(model);
    this.references.setModel(model?.capabilities);
    const capabilities = model?.capabilities;
    if (!capabilities) this.painter.setEnabled(false);
    else if (!capabilities.edit) this.painter.setEnabled(false, t('This model cannot edit images, so no mask is sent.'));
    else if (!capabilities.mask) this.painter.setEnabled(false, t('This model takes no mask: the whole first image may change.'));
    else this.painter.setEnabled(true);
    this.clearFailureHighlight();
    this.update();
  }

  // -------------------------------------------------------------------------------------------------------
  // Changes, checks, state

  private change(patch: Partial<FormValues>): void {
    this.values = { ...this.values, ...patch };
    const model = this.model();
    if (model) {
      // Keep what the user is typing (a custom width) as typed; only choices are fitted to the model.
      const fitted = fitToModel(this.values, model.capabilities, this.defaults);
      this.values = { ...fitted, customWidth: this.values.customWidth, customHeight: this.values.customHeight };
    }
    if (this.lastFailureSetting && Object.keys(patch).some((key) => settingOf(key) === this.lastFailureSetting)) this.clearFailureHighlight();
    this.update();
  }

  private update(): void {
    if (!this.built) return;
    this.settings.refresh();
    this.updateGenerate();
    this.persist();
  }

  private context() {
    return { model: this.model(), referenceCount: this.references.items.length };
  }

  private problems(): Problem[] {
    return requestProblems(this.values, this.context());
  }

  private updateGenerate(): void {
    if (!this.built) return;
    const model = this.model();
    const max = model?.capabilities.maxPromptLength ?? 32_000;
    const length = this.values.prompt.trim().length;
    this.promptCount.textContent = length > max * 0.9 ? t('{0} of {1} characters', length, max) : '';
    this.promptCount.classList.toggle('error', length > max);

    const running = this.job !== undefined;
    const problems = this.problems();
    if (this.refused && !problems.some((problem) => problem.message === this.refused?.message)) this.clearRefusal();
    const blocked = running || problems.length > 0;
    attr(this.generateButton, 'aria-disabled', blocked ? 'true' : false);
    this.generateButton.classList.toggle('disabled', blocked);
    // The first problem, said next to the button (the button stays focusable and explains itself on click).
    const reason = running ? undefined : problems[0]?.message;
    if (this.generateReason.textContent !== (reason ?? '')) this.generateReason.textContent = reason ?? '';
    this.generateReason.hidden = !reason;
    const editing = this.references.items.length > 0 && model?.capabilities.edit === true;
    const label = this.generateButton.querySelector('span');
    if (label) label.textContent = editing ? t('Edit') : t('Generate');
    const request = buildRequest(this.values, this.context());
    const cost = costEstimate(request, model?.capabilities);
    this.cost.textContent = cost ?? '';
    attr(this.cost, 'title', cost ? t('Estimated price of {0} images at the provider’s published rates', request?.n ?? 1) : undefined);
  }

  private state(): PanelState {
    const request = buildRequest(this.values, this.context()) ?? { prompt: this.values.prompt, provider: this.values.provider, model: this.values.model };
    return {
      request: { ...request, prompt: this.values.prompt },
      references: this.references.items.flatMap((reference) => (reference.path ? [{ path: reference.path }] : [])),
      results: this.results.items.flatMap((image) => (image.path ? [{ path: image.path }] : [])),
      form: this.values,
      brushSize: this.saved.brushSize,
      historyOpen: this.saved.historyOpen,
    };
  }

  /** `setState` now (cheap); the `state` message to the host once the changes settle. */
  private persist(): void {
    if (!this.built) return;
    const state = this.state();
    this.vscode.setState(state);
    if (this.statePost) clearTimeout(this.statePost);
    this.statePost = setTimeout(() => {
      this.statePost = undefined;
      this.vscode.postMessage({ type: 'state', state: this.state() });
    }, STATE_DEBOUNCE_MS);
  }

  // -------------------------------------------------------------------------------------------------------
  // Generating

  private generate(): void {
    if (!this.built || this.job) return;
    const problems = this.problems();
    if (problems.length > 0) {
      // Refused here: the reason under the button turns into an error (said again to screen readers), and
      // the control at fault is marked and focused.
      const problem = problems[0]!;
      this.clearRefusal();
      this.refused = problem;
      this.generateReason.textContent = '';
      this.generateReason.classList.add('error');
      replaceChildren(this.generateReason, icon('error'), h('span', {}, problem.message));
      this.generateReason.hidden = false;
      if (problem.setting) this.highlightSetting(settingOf(problem.setting), true);
      this.focusSetting(problem.setting);
      return;
    }
    const request = buildRequest(this.values, this.context());
    if (!request) return;
    const references = this.references.items.map((reference) => reference.id);
    const mask = references.length > 0 && this.model()?.capabilities.mask && this.painter.hasMask() ? this.painter.toDataUrl() : undefined;
    this.clearError();
    this.vscode.postMessage({ type: 'generate', request, references, ...(mask ? { mask } : {}) });
    this.startJob(request.n);
  }

  /** `count` is unknown for a job the host started (Regenerate from a result). */
  private startJob(count: number | undefined): void {
    this.job = { cancelRequested: false, startedAt: Date.now(), count: count ?? 1 };
    show(this.jobSection, true);
    show(this.partialFigure, false);
    this.partialImage.removeAttribute('src');
    this.jobProgress.removeAttribute('value');
    this.jobStatus.textContent = count === undefined ? t('Generating…') : count === 1 ? t('Generating 1 image…') : t('Generating {0} images…', count);
    this.say(this.jobStatus.textContent, 'info', false);
    this.cancelButton.disabled = false;
    replaceChildren(this.cancelButton, icon('stop'), h('span', {}, t('Cancel')));
    show(this.cancelButton, true);
    this.tickElapsed();
    if (this.elapsedTimer) clearInterval(this.elapsedTimer);
    this.elapsedTimer = setInterval(() => this.tickElapsed(), 1000);
    this.updateGenerate();
  }

  private jobStarted(jobId: string): void {
    // A job the host started (Regenerate, Edit again from elsewhere) shows the same progress.
    if (!this.job) this.startJob(undefined);
    this.job!.id = jobId;
    if (this.job!.cancelRequested) this.vscode.postMessage({ type: 'cancel', jobId });
  }

  private isCurrentJob(jobId: string): boolean {
    return this.job !== undefined && (this.job.id === undefined || this.job.id === jobId);
  }

  private cancel(): void {
    const job = this.job;
    if (!job) return;
    job.cancelRequested = true;
    if (job.id) this.vscode.postMessage({ type: 'cancel', jobId: job.id });
    this.cancelButton.disabled = true;
    replaceChildren(this.cancelButton, icon('stop'), h('span', {}, t('Cancelling…')));
  }

  private tickElapsed(): void {
    if (!this.job) return;
    const seconds = Math.floor((Date.now() - this.job.startedAt) / 1000);
    this.jobElapsed.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }

  private showProgress(status: string, percent: number | undefined): void {
    // Screen readers hear a new status, not every percent of a task that is polled for minutes.
    if (this.jobStatus.textContent !== status) this.say(status, 'info', false);
    this.jobStatus.textContent = status;
    if (percent !== undefined && Number.isFinite(percent)) {
      this.jobProgress.value = Math.max(0, Math.min(100, percent));
      this.jobProgress.setAttribute('aria-valuetext', `${Math.round(percent)}%`);
    } else {
      this.jobProgress.removeAttribute('value');
      this.jobProgress.removeAttribute('aria-valuetext');
    }
  }

  private showPartial(dataUrl: string, imageIndex: number, partialIndex: number): void {
    if (!dataUrl.startsWith('data:image/')) return;
    this.partialImage.src = dataUrl;
    this.partialImage.alt = t('Partial image {0}', partialIndex + 1);
    this.partialCaption.textContent =
      (this.job?.count ?? 1) > 1 ? t('Image {0}, partial {1}', imageIndex + 1, partialIndex + 1) : t('Partial image {0}', partialIndex + 1);
    show(this.partialFigure, true);
  }

  private endJob(): void {
    this.job = undefined;
    if (this.elapsedTimer) clearInterval(this.elapsedTimer);
    this.elapsedTimer = undefined;
    show(this.jobSection, false);
    show(this.cancelButton, false);
    this.updateGenerate();
  }

  private jobDone(images: ImageView[], warnings: string[], costUsd: number | undefined): void {
    this.endJob();
    const merged = [...images, ...this.results.items.filter((image) => !images.some((each) => each.id === image.id))].slice(0, MAX_RESULTS);
    this.results.setImages(merged);
    const parts = [images.length === 1 ? t('Done: 1 image.') : t('Done: {0} images.', images.length)];
    if (costUsd !== undefined) parts.push(t('Cost: {0}.', formatUsd(costUsd)));
    if (warnings.length > 0) parts.push(warnings.length === 1 ? t('1 warning.') : t('{0} warnings.', warnings.length));
    this.say(parts.join(' '), 'info');
    replaceChildren(
      this.resultsSummary,
      ...warnings.map((warning) => h('p', { class: 'banner warning' }, icon('warning'), h('span', {}, warning))),
    );
    this.renderResultsState();
    if (images.length > 0) this.results.element.firstElementChild?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    this.persist();
  }

  private jobFailed(message: string, cancelled: boolean, setting: string | undefined, needsKey: string | undefined): void {
    this.endJob();
    if (cancelled) {
      this.clearError();
      this.say(message || t('Cancelled.'), 'info');
      return;
    }
    this.say('', 'info');
    this.showError(message, setting, needsKey);
  }

  private renderResultsState(): void {
    const empty = this.results.items.length === 0;
    this.resultsEmpty.textContent = this.autoSave
      ? t('Generated images appear here and are saved to the workspace.')
      : t('Generated images appear here. Auto-save is off: use Save to keep one in the workspace.');
    show(this.resultsEmpty, empty);
  }

  // -------------------------------------------------------------------------------------------------------
  // Status and errors

  /** The status line (polite live region); info notices fade after a while. */
  private say(message: string, level: 'info' | 'warning' | 'error', fade = true): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
    this.status.className = `status ${level}`;
    replaceChildren(this.status, message ? h('span', {}, message) : null);
    if (message && level !== 'info') this.status.prepend(icon(level === 'error' ? 'error' : 'warning'));
    if (fade && level === 'info' && message && !this.job) {
      this.noticeTimer = setTimeout(() => replaceChildren(this.status), 8000);
    }
  }

  private showError(message: string, setting?: string, needsKey?: string): void {
    this.clearRefusal();
    this.errorNeedsKey = needsKey;
    const provider = needsKey ? this.providers.find((each) => each.id === needsKey) : undefined;
    replaceChildren(
      this.errorArea,
      h(
        'div',
        { class: 'banner error' },
        icon('error'),
        h('span', { class: 'banner-text' }, message),
        needsKey
          ? h('button', { type: 'button', class: 'primary small', onClick: () => this.vscode.postMessage({ type: 'setApiKey', provider: needsKey }) }, icon('key'), h('span', {}, provider ? t('Set API Key for {0}', provider.label) : t('Set API Key')))
          : null,
        h('button', { type: 'button', class: 'icon-button', 'aria-label': t('Dismiss'), title: t('Dismiss'), onClick: () => this.clearError() }, icon('remove')),
      ),
    );
    this.clearFailureHighlight();
    if (setting) {
      this.lastFailureSetting = settingOf(setting);
      this.highlightSetting(this.lastFailureSetting, true);
    }
  }

  private clearRefusal(): void {
    const refused = this.refused;
    if (!refused) return;
    this.refused = undefined;
    this.generateReason.classList.remove('error');
    if (refused.setting && settingOf(refused.setting) !== this.lastFailureSetting) this.highlightSetting(settingOf(refused.setting), false);
    this.generateReason.textContent = '';
    this.updateGenerate();
  }

  private clearError(): void {
    this.errorNeedsKey = undefined;
    replaceChildren(this.errorArea);
    this.clearFailureHighlight();
  }

  private clearFailureHighlight(): void {
    if (this.lastFailureSetting) this.highlightSetting(this.lastFailureSetting, false);
    this.lastFailureSetting = undefined;
  }

  /** Marks the control a failure names; settings outside the grid (prompt, references, model, mask) too. */
  private highlightSetting(setting: string, on: boolean): void {
    const outside = this.root.querySelector<HTMLElement>(`[data-setting="${CSS.escape(setting)}"]:not(.settings-grid *)`);
    if (outside && !this.settings.focusTarget(setting)) {
      outside.classList.toggle('invalid', on);
      return;
    }
    this.settings.highlight(on ? setting : undefined);
  }

  private focusSetting(setting: string | undefined): void {
    if (!setting) return;
    const target =
      setting === 'prompt'
        ? this.prompt
        : setting === 'model'
          ? this.modelSelect
          : setting === 'references'
            ? this.references.element.querySelector<HTMLElement>('button')
            : this.settings.focusTarget(setting);
    target?.focus();
  }
}

/** The control a request field or a host setting name belongs to. */
function settingOf(key: string): string {
  if (key === 'customWidth' || key === 'customHeight' || key === 'sizeMode') return 'size';
  return key;
}

const app = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
new Studio(app);
