import type { ModelInfo } from '../../image-model';
import { GPT_IMAGE, OPENAI_FIXED_SIZES } from '../capabilities';

/** modelverse documents n 1-4, three sizes (no auto), three qualities, PNG and JPEG, and no background option. */
export const modelverseModels: ModelInfo[] = [
  {
    id: 'gpt-image-1',
    description: 'GPT Image 1 through modelverse (1-4 images per call)',
    capabilities: {
      ...GPT_IMAGE,
      maxImagesPerCall: 4,
      sizes: OPENAI_FIXED_SIZES,
      autoSize: false,
      qualities: ['low', 'medium', 'high'],
      formats: ['png', 'jpeg'],
      transparency: 'no',
      inputFidelity: 'no',
      moderation: false,
      streaming: false,
    },
  },
];
