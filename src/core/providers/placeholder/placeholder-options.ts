import type { ModelInfo } from '../../image-model';

/** The offline renderer: any size, PNG only, instant, no key, no network. */
export const placeholderModels: ModelInfo[] = [
  {
    id: 'placeholder',
    description: 'Offline placeholder: size label and prompt on a colour from the prompt',
    capabilities: {
      generate: true,
      edit: true,
      mask: true,
      maxInputImages: 16,
      maxImagesPerCall: 16,
      sendsN: true,
      sizes: ['1024x1024', '1536x1024', '1024x1536', '512x512', '256x256'],
      autoSize: true,
      customSize: { multipleOf: 1, maxSide: 4096, minSide: 1, maxAspectRatio: 64, minPixels: 1, maxPixels: 4096 * 4096 },
      qualities: ['low', 'medium', 'high', 'auto'],
      formats: ['png'],
      compression: false,
      transparency: 'no',
      inputFidelity: 'no',
      moderation: false,
      streaming: true,
      async: false,
      maxPromptLength: 32_000,
    },
  },
];
