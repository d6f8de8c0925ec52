/**
 * Provider id → how to build its models, and the static catalogue of models with their capabilities.
 * Unknown model ids get the provider's default capabilities plus a warning, never a crash.
 */
import { InvalidRequestError, MissingApiKeyError } from '../errors';
import { message } from '../messages';
import { HttpClient, type HttpSettings } from '../http';
import type { ImageModel, ModelInfo, Warning } from '../image-model';
import { aaModels } from './aa/aa-options';
import { AaImageModel } from './aa/aa-image-model';
import { ApimodelsImageModel, type PollSettings } from './apimodels/apimodels-image-model';
import { apimodelsModels } from './apimodels/apimodels-options';
import { modelListSchema } from './compatible/compatible-api';
import { compatibleCapabilities, IMAGE_MODEL_PATTERN } from './compatible/compatible-options';
import { modelverseModels } from './modelverse/modelverse-options';
import { ofoxModels } from './ofox/ofox-options';
import { OpenAIImageModel } from './openai/openai-image-model';
import { openaiModels } from './openai/openai-options';
import { PlaceholderImageModel } from './placeholder/placeholder-image-model';
import { placeholderModels } from './placeholder/placeholder-options';
import { unexpected } from './response';

export const PROVIDER_IDS = ['placeholder', 'openai', 'ofox', 'aa', 'modelverse', 'apimodels', 'compatible'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export interface ProviderInfo {
  id: ProviderId;
  /** The name messages use. */
  label: string;
  description: string;
  /** Includes the version path; endpoint paths are appended to it. Undefined where the user must give one. */
  defaultBaseUrl?: string;
  /** False for the placeholder (offline) and for compatible gateways (local servers often have no key). */
  needsKey: boolean;
  /** Environment variables the CLI reads the key from, after IMAGEGEN_API_KEY. */
  keyVariables: string[];
  defaultModel: string;
  models: ModelInfo[];
  /** The model list comes from the gateway (`GET /models`) when it offers one. */
  listsModels: boolean;
}

export const providers: Record<ProviderId, ProviderInfo> = {
  placeholder: {
    id: 'placeholder',
    label: 'Placeholder',
    description: 'Offline placeholder images: no key, no network',
    needsKey: false,
    keyVariables: [],
    defaultModel: 'placeholder',
    models: placeholderModels,
    listsModels: false,
  },
  openai: {
    id: 'openai',
    label: 'OpenAI',
    description: 'OpenAI Images API',
    defaultBaseUrl: 'https://api.openai.com/v1',
    needsKey: true,
    keyVariables: ['OPENAI_API_KEY'],
    defaultModel: 'gpt-image-1',
    models: openaiModels,
    listsModels: false,
  },
  ofox: {
    id: 'ofox',
    label: 'ofox',
    description: 'ofox gateway: GPT Image 2 and Gemini',
    defaultBaseUrl: 'https://api.ofox.ai/v1',
    needsKey: true,
    keyVariables: ['OFOX_API_KEY'],
    defaultModel: 'openai/gpt-image-2',
    models: ofoxModels,
    listsModels: false,
  },
  aa: {
    id: 'aa',
    label: 'aa',
    description: 'aa gateway: image edits',
    defaultBaseUrl: 'https://api.aa.com.cn/api/v1',
    needsKey: true,
    keyVariables: ['AA_API_KEY'],
    defaultModel: 'gpt-image-1.5',
    models: aaModels,
    listsModels: false,
  },
  modelverse: {
    id: 'modelverse',
    label: 'modelverse',
    description: 'modelverse gateway: GPT Image 1',
    defaultBaseUrl: 'https://api.modelverse.cn/v1',
    needsKey: true,
    keyVariables: ['MODELVERSE_API_KEY'],
    defaultModel: 'gpt-image-1',
    models: modelverseModels,
    listsModels: false,
  },
  apimodels: {
    id: 'apimodels',
    label: 'apimodels',
    description: 'apimodels gateway: GPT Image 2, sizes up to 4K, priced per image',
    defaultBaseUrl: 'https://apimodels.app/api/v1',
    needsKey: true,
    keyVariables: ['APIMODELS_API_KEY'],
    defaultModel: 'gpt-image-2-all',
    models: apimodelsModels,
    listsModels: false,
  },
  compatible: {
    id: 'compatible',
    label: 'Compatible gateway',
    description: 'Any OpenAI-compatible gateway: new-api, LiteLLM, a local server',
    defaultBaseUrl: 'http://localhost:3000/v1',
    needsKey: false,
    keyVariables: ['IMAGEGEN_COMPATIBLE_API_KEY'],
    defaultModel: 'gpt-image-1',
    models: [],
    listsModels: true,
  },
};

export interface ProviderConfig {
  provider: ProviderId;
  /** The provider's default model when absent. */
  model?: string;
  baseUrl?: string;
  apiKey?: string;
  http?: Partial<HttpSettings>;
  poll?: Partial<PollSettings>;
}

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

/** The provider's info, or an error listing the ones that exist. */
export function providerInfo(id: string): ProviderInfo {
  if (!isProviderId(id)) throw new InvalidRequestError(message('unknownProvider', { provider: id, choices: PROVIDER_IDS.join(', ') }), 'provider');
  return providers[id];
}

/** Capabilities of `modelId` on `provider`, with a warning when the id is not in the catalogue. */
export function modelInfo(provider: ProviderId, modelId: string): { info: ModelInfo; notes: Warning[] } {
  const definition = providers[provider];
  if (provider === 'compatible') {
    const { capabilities, known } = compatibleCapabilities(modelId);
    const notes: Warning[] = known
      ? []
      : [{ type: 'other', message: message('gatewayModelUnknown', { model: modelId }) }];
    return { info: { id: modelId, capabilities }, notes };
  }
  const known = definition.models.find((model) => model.id === modelId);
  if (known) return { info: known, notes: [] };
  const fallback = definition.models.find((model) => model.id === definition.defaultModel)!;
  return {
    info: { id: modelId, capabilities: fallback.capabilities },
    notes: [{ type: 'other', message: message('modelUnknown', { provider: definition.label, model: modelId, fallback: fallback.id }) }],
  };
}

function normaliseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidRequestError(message('baseUrlInvalid', { url }), 'baseUrl');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidRequestError(message('baseUrlScheme', { url }), 'baseUrl');
  }
  if (parsed.username || parsed.password) throw new InvalidRequestError(message('baseUrlCredentials'), 'baseUrl');
  return url.replace(/\/+$/, '');
}

function clientFor(config: ProviderConfig): HttpClient {
  const definition = providers[config.provider];
  if (definition.needsKey && !config.apiKey) throw new MissingApiKeyError(definition.label, ['IMAGEGEN_API_KEY', ...definition.keyVariables]);
  return new HttpClient(definition.label, config.apiKey, config.http);
}

/** Builds the model a config names. Throws MissingApiKeyError or InvalidRequestError before any network use. */
export function createImageModel(config: ProviderConfig): ImageModel {
  const definition = providerInfo(config.provider);
  if (definition.id === 'placeholder') return new PlaceholderImageModel();
  const modelId = config.model || definition.defaultModel;
  const { info, notes } = modelInfo(definition.id, modelId);
  const baseUrl = normaliseBaseUrl(config.baseUrl || definition.defaultBaseUrl!);
  const client = clientFor(config);
  const settings = { provider: definition.id, modelId, capabilities: info.capabilities, notes, baseUrl, client };
  switch (definition.id) {
    case 'aa':
      return new AaImageModel(settings);
    case 'apimodels':
      return new ApimodelsImageModel({ ...settings, poll: config.poll });
    default:
      return new OpenAIImageModel(settings);
  }
}

/**
 * The models a provider offers. Compatible gateways are asked (`GET /models`), image-like ids first; when a
 * gateway has no such endpoint, `userModels` (from settings) are the list.
 */
export async function listModels(config: ProviderConfig, options: { signal?: AbortSignal; userModels?: string[] } = {}): Promise<ModelInfo[]> {
  const definition = providerInfo(config.provider);
  if (!definition.listsModels) return definition.models;
  const fromUser = (options.userModels ?? []).map((id) => modelInfo(definition.id, id).info);
  const baseUrl = normaliseBaseUrl(config.baseUrl || definition.defaultBaseUrl!);
  const client = clientFor(config);
  try {
    const { text } = await client.text({ method: 'GET', url: `${baseUrl}/models`, signal: options.signal });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw unexpected(client, 'modelsNotJson', text.slice(0, 200));
    }
    const parsed = modelListSchema.safeParse(value);
    if (!parsed.success || !parsed.data.data) throw unexpected(client, 'modelsUnknownShape', value);
    const ids = parsed.data.data.map((model) => model.id);
    const ordered = [...ids.filter((id) => IMAGE_MODEL_PATTERN.test(id)), ...ids.filter((id) => !IMAGE_MODEL_PATTERN.test(id))];
    const listed = ordered.map((id) => modelInfo(definition.id, id).info);
    return [...fromUser.filter((model) => !ids.includes(model.id)), ...listed];
  } catch (error) {
    // A gateway without a model list still works with the models the user listed.
    if (fromUser.length && !(error instanceof Error && error.name === 'CancelledError')) return fromUser;
    throw error;
  } finally {
    void client.close();
  }
}
