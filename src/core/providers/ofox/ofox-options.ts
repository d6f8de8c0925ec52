import type { ModelInfo } from '../../image-model';
import { GPT_IMAGE } from '../capabilities';

const OFOX_SIZES = ['1024x1024', '1536x1024', '1024x1536', '256x256', '512x512', '1792x1024', '1024x1792'];
const OFOX_QUALITIES = ['auto', 'low', 'medium', 'high', 'standard', 'hd'];

/** ofox's image models. Gemini there generates only, one image per call, and must never be sent `n`. */
export const ofoxModels: ModelInfo[] = [
  {
    id: 'openai/gpt-image-2',
    description: 'GPT Image 2 through ofox',
    capabilities: { ...GPT_IMAGE, sizes: OFOX_SIZES, qualities: OFOX_QUALITIES, inputFidelity: 'always-high', transparency: 'uncertain' },
  },
  {
    id: 'google/gemini-3.1-flash-image-preview',
    description: 'Gemini image: generate only, one image per call',
    capabilities: {
      ...GPT_IMAGE,
      edit: false,
      mask: false,
      maxInputImages: 0,
      maxImagesPerCall: 1,
      sendsN: false,
      sizes: OFOX_SIZES,
      qualities: OFOX_QUALITIES,
      compression: false,
      transparency: 'no',
      inputFidelity: 'no',
      moderation: false,
      streaming: false,
    },
  },
];
