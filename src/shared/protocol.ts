/**
 * Messages between the Image Studio panel (host, `src/vscode/studio-panel.ts`) and its webview
 * (`src/webview/`). One file, both directions. The host validates everything it receives with the zod schemas
 * below; the webview imports types only. The webview never sees an API key and never talks to the network.
 */
import * as z from 'zod';
import { imageRequestSchema, type ModelCapabilities } from '../core/image-model';

// ---------------------------------------------------------------------------------------------------------
// Shared shapes

/** A provider as the panel shows it. `hasKey` is a yes/no, never the key. */
export interface ProviderView {
  id: string;
  label: string;
  description: string;
  needsKey: boolean;
  hasKey: boolean;
}

export interface ModelView {
  id: string;
  description?: string;
  capabilities: ModelCapabilities;
}

/** A reference image (or the pasted bytes held by the host), shown through a webview URI. */
export interface ReferenceView {
  id: string;
  name: string;
  /** `asWebviewUri` of the file, or a small data URL for a pasted image. */
  src: string;
  width: number;
  height: number;
  /** Workspace-relative path; absent for pasted images. */
  path?: string;
}

/** One image of a result or of the workspace history. */
export interface ImageView {
  id: string;
  src: string;
  /** Workspace-relative path once saved; absent while only kept in the panel (auto-save off). */
  path?: string;
  saved: boolean;
  width: number;
  height: number;
  mediaType: string;
  prompt: string;
  provider: string;
  model: string;
  revisedPrompt?: string;
  createdAt?: string;
}

/**
 * The options the panel sends: the core's request (checked again against the model by the core) plus the
 * provider and model the panel picked; `n` is always given.
 */
export const studioRequestSchema = imageRequestSchema
  .omit({ user: true })
  .extend({
    prompt: z.string().trim().min(1).max(32_000),
    provider: z.string(),
    model: z.string(),
    n: z.number().int().min(1).max(16),
  })
  .strict();

export type StudioRequest = z.infer<typeof studioRequestSchema>;

/** What the webview keeps in `setState` so a reload restores the panel. Paths only, never image data. */
export interface StudioState {
  request?: Partial<StudioRequest>;
  references?: { path: string }[];
  results?: { path: string }[];
}

// ---------------------------------------------------------------------------------------------------------
// Host → webview

/** Everything the panel needs after `ready`. */
export interface InitMessage {
  type: 'init';
  providers: ProviderView[];
  provider: string;
  model: string;
  models: ModelView[];
  /** Defaults from settings, used when the restored state has no value. */
  defaults: Partial<StudioRequest>;
  references: ReferenceView[];
  results: ImageView[];
  autoSave: boolean;
  /** UI text in the user's language, keyed by the English text. */
  strings: Record<string, string>;
}
/** The models of a provider, after the user picked it (or why they could not be listed). */
export interface ModelsMessage {
  type: 'models';
  provider: string;
  models: ModelView[];
  error?: string;
}
/** The references changed (added by picker, drop or paste; restored). */
export interface ReferencesMessage {
  type: 'references';
  references: ReferenceView[];
}
/** A job was accepted and started. */
export interface JobStartedMessage {
  type: 'jobStarted';
  jobId: string;
}
/** A partial image while streaming: the one place a data URL crosses the boundary. */
export interface PartialMessage {
  type: 'partial';
  jobId: string;
  imageIndex: number;
  partialIndex: number;
  dataUrl: string;
}
/** Asynchronous task progress (apimodels). */
export interface ProgressMessage {
  type: 'progress';
  jobId: string;
  status: string;
  percent?: number;
}
/** The job finished: its images (saved or kept), warnings to show, the cost where known. */
export interface JobDoneMessage {
  type: 'jobDone';
  jobId: string;
  images: ImageView[];
  warnings: string[];
  costUsd?: number;
}
/** The job failed or was cancelled; `setting` names the control at fault, `needsKey` offers "Set API Key". */
export interface JobFailedMessage {
  type: 'jobFailed';
  jobId: string;
  message: string;
  cancelled: boolean;
  setting?: string;
  needsKey?: string;
}
/** An image changed state (saved to the workspace). */
export interface ImageUpdatedMessage {
  type: 'imageUpdated';
  image: ImageView;
}
/** The workspace's generated images, newest first, read from their metadata. */
export interface HistoryMessage {
  type: 'history';
  images: ImageView[];
}
/** Whether a provider has a key now (set or cleared in any window). */
export interface KeysMessage {
  type: 'keys';
  providers: ProviderView[];
}
/** Load an image as the first reference and keep the prompt: "Edit again", the Explorer's "Open in Studio". */
export interface EditImageMessage {
  type: 'editImage';
  references: ReferenceView[];
}
/** A short notice for the status area (e.g. "Path copied"). */
export interface NoticeMessage {
  type: 'notice';
  message: string;
  level: 'info' | 'warning' | 'error';
}

export type ToWebview =
  | InitMessage
  | ModelsMessage
  | ReferencesMessage
  | JobStartedMessage
  | PartialMessage
  | ProgressMessage
  | JobDoneMessage
  | JobFailedMessage
  | ImageUpdatedMessage
  | HistoryMessage
  | KeysMessage
  | EditImageMessage
  | NoticeMessage;

// ---------------------------------------------------------------------------------------------------------
// Webview → host (validated)

const id = z.string().min(1).max(200);

export const fromWebviewSchema = z.discriminatedUnion('type', [
  /** The webview loaded and listens: the host answers with `init`. */
  z.object({ type: z.literal('ready'), state: z.unknown().optional() }).strict(),
  /** The user picked a provider: the host answers with `models`. */
  z.object({ type: z.literal('listModels'), provider: z.string().min(1).max(40) }).strict(),
  /** Generate (no references) or edit (references, optional mask PNG painted in the panel). */
  z
    .object({
      type: z.literal('generate'),
      request: studioRequestSchema,
      references: z.array(id).max(16),
      mask: z.string().startsWith('data:image/png;base64,').max(80_000_000).optional(),
    })
    .strict(),
  /** Stop the running job. */
  z.object({ type: z.literal('cancel'), jobId: id }).strict(),
  /** Add references with the workspace picker. */
  z.object({ type: z.literal('pickReferences') }).strict(),
  /** Files dropped from the Explorer (their URIs as text). */
  z.object({ type: z.literal('dropReferences'), uris: z.array(z.string().max(4096)).max(32) }).strict(),
  /** An image pasted from the clipboard. */
  z.object({ type: z.literal('pasteReference'), name: z.string().max(200), dataUrl: z.string().regex(/^data:image\/(png|jpeg|webp);base64,/).max(80_000_000) }).strict(),
  /** The user removed or reordered references: the new order of ids. */
  z.object({ type: z.literal('setReferences'), ids: z.array(id).max(16) }).strict(),
  /** Result and history actions on one image. */
  z.object({ type: z.literal('imageAction'), action: z.enum(['save', 'open', 'reveal', 'copyPath', 'insertLink', 'useAsReference', 'editAgain', 'regenerate']), imageId: id }).strict(),
  /** Read the workspace history again. */
  z.object({ type: z.literal('refreshHistory') }).strict(),
  /** Run "Set API Key…" for a provider. */
  z.object({ type: z.literal('setApiKey'), provider: z.string().min(1).max(40) }).strict(),
  /** Persisted panel state (also kept by the webview itself). */
  z.object({ type: z.literal('state'), state: z.unknown() }).strict(),
]);

export type FromWebview = z.infer<typeof fromWebviewSchema>;
