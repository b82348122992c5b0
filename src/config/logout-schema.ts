import * as z from 'zod';

/** `backchannelLogout`: delivery of back-channel logout tokens, the timeout of each attempt and how many attempts in all. */
export const backchannelLogoutSchema = z
  .object({
    timeoutSeconds: z.number().positive().max(30).default(5),
    attempts: z.number().int().min(1).max(5).default(3),
  })
  .strict()
  .prefault({});
