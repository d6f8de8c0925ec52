import type { ModelInfo } from '../../image-model';
import { GPT_IMAGE, GPT_IMAGE_2_SIZE_RULE } from '../capabilities';

/** OpenAI's image models (dall-e-2/3 are retired in 2026 and not offered). */
export const openaiModels: ModelInfo[] = [
  { id: 'gpt-image-1', description: 'GPT Image 1', capabilities: GPT_IMAGE },
  { id: 'gpt-image-1.5', description: 'GPT Image 1.5', capabilities: GPT_IMAGE },
  { id: 'gpt-image-1-mini', description: 'Faster, cheaper; no input fidelity', capabilities: { ...GPT_IMAGE, inputFidelity: 'no' } },
  {
    id: 'gpt-image-2',
    description: 'Custom sizes up to 3840 px; always high input fidelity',
    capabilities: { ...GPT_IMAGE, customSize: GPT_IMAGE_2_SIZE_RULE, inputFidelity: 'always-high', transparency: 'uncertain' },
  },
];
