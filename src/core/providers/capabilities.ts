/** Capability building blocks shared by the catalogues: the GPT image family as the documents describe it. */
import type { CustomSizeRule, ModelCapabilities } from '../image-model';

export const OPENAI_FIXED_SIZES = ['1024x1024', '1536x1024', '1024x1536'] as const;

/** gpt-image-2's custom WxH rule, as apimodels documents it (and OpenAI applies to gpt-image-2). */
export const GPT_IMAGE_2_SIZE_RULE: CustomSizeRule = {
  multipleOf: 16,
  maxSide: 3840,
  maxAspectRatio: 3,
  minPixels: 655_360,
  maxPixels: 8_294_400,
};

/** gpt-image-1 / 1.5 on the OpenAI API: the reference point the other entries vary. */
export const GPT_IMAGE: ModelCapabilities = {
  generate: true,
  edit: true,
  mask: true,
  maxInputImages: 16,
  maxImagesPerCall: 10,
  sendsN: true,
  sizes: OPENAI_FIXED_SIZES,
  autoSize: true,
  qualities: ['low', 'medium', 'high', 'auto'],
  formats: ['png', 'jpeg', 'webp'],
  compression: true,
  transparency: 'yes',
  inputFidelity: 'yes',
  moderation: true,
  streaming: true,
  async: false,
  maxPromptLength: 32_000,
};

/** What an unknown model on an OpenAI-compatible gateway is assumed to take: the GPT image surface, any size. */
export const COMPATIBLE_DEFAULT: ModelCapabilities = {
  ...GPT_IMAGE,
  sizes: [...OPENAI_FIXED_SIZES, '512x512', '256x256', '1792x1024', '1024x1792'],
  customSize: { multipleOf: 1, maxSide: 8192, minSide: 64, maxAspectRatio: 8, minPixels: 4096, maxPixels: 67_108_864 },
  transparency: 'uncertain',
};
