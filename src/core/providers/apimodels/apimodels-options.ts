import type { ModelInfo, PriceTable } from '../../image-model';
import { GPT_IMAGE, GPT_IMAGE_2_SIZE_RULE } from '../capabilities';

/** apimodels' published price per image (USD) by tier and quality; `auto` bills as medium, failures are free. */
export const APIMODELS_PRICES: PriceTable = {
  currency: 'USD',
  tiers: { oneK: 1536, twoK: 2048 },
  autoBillsAs: 'medium',
  perImage: {
    '1K': { low: 0.005, medium: 0.025, high: 0.07 },
    '2K': { low: 0.01, medium: 0.04, high: 0.1 },
    '4K': { low: 0.015, medium: 0.06, high: 0.23 },
  },
};

/** The typical sizes of each billing tier, offered as presets; any WxH within the rule works too. */
export const APIMODELS_SIZES = ['1024x1024', '1536x1024', '1024x1536', '2048x2048', '2048x1152', '1152x2048', '3840x2160', '2160x3840'];

/**
 * gpt-image-2-all: a WxH size answers synchronously; aspect ratio + resolution (1K/2K/4K) makes a task that is
 * polled. `n` is documented (billed per image) without a limit: 10 per call, as OpenAI's contract. No streaming.
 */
export const apimodelsModels: ModelInfo[] = [
  {
    id: 'gpt-image-2-all',
    description: 'GPT Image 2 via apimodels: custom sizes, or aspect ratio + 1K/2K/4K; priced per image',
    capabilities: {
      ...GPT_IMAGE,
      sizes: APIMODELS_SIZES,
      autoSize: false,
      customSize: GPT_IMAGE_2_SIZE_RULE,
      aspectRatio: { resolutions: ['1K', '2K', '4K'] },
      inputFidelity: 'always-high',
      transparency: 'uncertain',
      moderation: false,
      streaming: false,
      async: true,
      pricing: APIMODELS_PRICES,
    },
  },
];
