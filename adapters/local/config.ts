import { z } from 'zod';

/**
 * `channels.local`: the plain JSON channel used by `xiaoer simulate`, the demo shop and
 * shops' own web widgets. With `token` set, callers must send `Authorization: Bearer <token>`.
 */
export const localConfigSchema = z.strictObject({
  token: z.string().min(8, 'token must be at least 8 characters').optional(),
});
export type LocalConfig = z.infer<typeof localConfigSchema>;
