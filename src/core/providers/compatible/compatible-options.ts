import type { ModelCapabilities } from '../../image-model';
import { COMPATIBLE_DEFAULT } from '../capabilities';
import { openaiModels } from '../openai/openai-options';
import { ofoxModels } from '../ofox/ofox-options';

/** Ids that look like image models, for sorting a gateway's list (it also has chat and embedding models). */
export const IMAGE_MODEL_PATTERN = /(image|dall-?e|flux|sdxl|stable-?diffusion|midjourney|imagen|kolors|seedream|cogview|wanx|hunyuan-?image|qwen-?image|recraft|ideogram)/i;

/**
 * Capabilities of a model served by a gateway: a model this catalogue knows (`gpt-image-1`, `openai/gpt-image-2`,
 * `gemini-3.1-flash-image-preview`) keeps its known capabilities; anything else gets the permissive default.
 */
export function compatibleCapabilities(modelId: string): { capabilities: ModelCapabilities; known: boolean } {
  const bare = modelId.replace(/^[\w.-]+\//, '');
  const known = [...openaiModels, ...ofoxModels].find((model) => model.id === modelId || model.id.replace(/^[\w.-]+\//, '') === bare);
  return known ? { capabilities: known.capabilities, known: true } : { capabilities: COMPATIBLE_DEFAULT, known: false };
}
