import { z } from 'zod';

/**
 * The playbook file format staff write. Strict everywhere: a typo'd field is an error with
 * its line and column, never silently ignored. See playbooks/README.md for the guide.
 */
const nonEmpty = z.string().trim().min(1);

export const whenSchema = z.strictObject({
  /** Any of these words or phrases appearing in the message (case-insensitive). */
  keywords: z.array(nonEmpty).min(1).optional(),
  /** Any of these regular expressions matching (case-insensitive, unicode). */
  regex: z.array(nonEmpty).min(1).optional(),
  /** false = first-time customer (first seen today); true = seen on an earlier day. */
  returning: z.boolean().optional(),
  /** Inside (open) or outside (closed) the shop's businessHours, in the shop's time zone. */
  hours: z.enum(['open', 'closed']).optional(),
  /** Message kinds: text, image, file, other. Default: any. */
  kind: z.array(z.enum(['text', 'image', 'file', 'other'])).min(1).optional(),
});

export const actionSchema = z.strictObject({
  /** Name of a response under `responses:`. */
  reply: nonEmpty,
});

export const ruleSchema = z.strictObject({
  name: nonEmpty,
  /** Higher runs first; equal priorities keep file order. Default 0. */
  priority: z.number().int().min(-1000).max(1000).default(0),
  when: whenSchema.default({}),
  /** At most `times` firings per conversation, or per conversation per day. */
  limit: z.strictObject({ times: z.number().int().min(1), per: z.enum(['conversation', 'day']) }).optional(),
  /** Keep looking for more rules after this one fires (e.g. an out-of-hours notice before the answer). */
  continue: z.boolean().default(false),
  then: z.array(actionSchema).min(1),
});

export const responseSchema = z.array(nonEmpty).min(1, 'a response needs at least one variation');

export const playbookFileSchema = z.strictObject({
  rules: z.array(ruleSchema).default([]),
  responses: z.record(nonEmpty, responseSchema).default({}),
  /** What to answer when no rule fires. At most one file of a shop may set it. */
  fallback: actionSchema.optional(),
});

export type PlaybookFile = z.infer<typeof playbookFileSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type WhenSpec = z.infer<typeof whenSchema>;
