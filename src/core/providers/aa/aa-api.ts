/** aa's envelope: `{code, message, data:{urls, usage, task_id, task_status, expired}, request_id}`. */
import * as z from 'zod';

export const aaResponseSchema = z
  .object({
    code: z.union([z.number(), z.string()]).nullish(),
    message: z.string().nullish(),
    request_id: z.string().nullish(),
    data: z
      .object({
        urls: z.array(z.string()).nullish(),
        usage: z
          .object({
            images: z.number().nullish(),
            seconds: z.number().nullish(),
            input_tokens: z.number().nullish(),
            output_tokens: z.number().nullish(),
            total_tokens: z.number().nullish(),
          })
          .passthrough()
          .nullish(),
        expired: z.union([z.string(), z.number()]).nullish(),
        task_id: z.string().nullish(),
        task_status: z.string().nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();
