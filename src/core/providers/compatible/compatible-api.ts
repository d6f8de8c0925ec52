/** `GET /models` as OpenAI-compatible gateways (new-api, LiteLLM, local servers) answer it. */
import * as z from 'zod';

export const modelListSchema = z
  .object({
    data: z.array(z.object({ id: z.string() }).passthrough()).nullish(),
  })
  .passthrough();
