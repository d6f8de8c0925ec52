/** The OpenAI Images wire format, parsed leniently: gateways add, omit and rename fields. */
import * as z from 'zod';

const usageSchema = z
  .object({
    input_tokens: z.number().nullish(),
    output_tokens: z.number().nullish(),
    total_tokens: z.number().nullish(),
  })
  .passthrough();

export const imageItemSchema = z
  .object({
    b64_json: z.string().nullish(),
    url: z.string().nullish(),
    revised_prompt: z.string().nullish(),
  })
  .passthrough();

export const imagesResponseSchema = z
  .object({
    created: z.number().nullish(),
    data: z.array(imageItemSchema).nullish(),
    background: z.string().nullish(),
    output_format: z.string().nullish(),
    quality: z.string().nullish(),
    size: z.string().nullish(),
    model: z.string().nullish(),
    usage: usageSchema.nullish(),
    error: z.unknown().nullish(),
  })
  .passthrough();

/** One streamed event: `image_generation.partial_image`, `image_edit.completed`, `error`, … */
export const streamEventSchema = z
  .object({
    type: z.string().nullish(),
    b64_json: z.string().nullish(),
    url: z.string().nullish(),
    partial_image_index: z.number().nullish(),
    revised_prompt: z.string().nullish(),
    background: z.string().nullish(),
    output_format: z.string().nullish(),
    quality: z.string().nullish(),
    size: z.string().nullish(),
    created_at: z.number().nullish(),
    usage: usageSchema.nullish(),
    error: z.unknown().nullish(),
  })
  .passthrough();

export type ImagesResponse = z.infer<typeof imagesResponseSchema>;
export type WireUsage = z.infer<typeof usageSchema>;
