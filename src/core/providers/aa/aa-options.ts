import type { ModelInfo } from '../../image-model';
import { GPT_IMAGE } from '../capabilities';

/**
 * aa documents one endpoint, its image-EDIT page, where `images` is required: aa edits, and has no documented
 * text-to-image form. Its `stream` field has no documented event format, so streaming is not offered.
 */
export const aaModels: ModelInfo[] = [
  {
    id: 'gpt-image-1.5',
    description: 'Edit only (aa has no text-to-image endpoint)',
    capabilities: { ...GPT_IMAGE, generate: false, streaming: false },
  },
];
