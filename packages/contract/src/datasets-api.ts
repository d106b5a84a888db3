import { z } from 'zod';
import { pageOf } from './pagination.ts';

/** A dataset's pool as the API shows it: never a password or a source URL. */
export const datasetResponse = z.object({
  workspace: z.string(),
  app: z.string(),
  name: z.string(),
  state: z.string().describe('pending, building, ready or failed'),
  reason: z.string().optional().describe('why the golden copy or the refill failed'),
  source: z.string(),
  poolSize: z.number(),
  optional: z.boolean(),
  refresh: z.string().optional(),
  nextRefreshAt: z.string().optional(),
  generation: z.number(),
  goldenAt: z.string().optional(),
  ready: z.number(),
  attached: z.number(),
  creating: z.number(),
  clones: z.array(
    z.object({ database: z.string(), state: z.string(), generation: z.number(), environmentId: z.string().optional(), createdAt: z.string(), attachedAt: z.string().optional() }),
  ),
});
export type DatasetResponse = z.infer<typeof datasetResponse>;
export const datasetListResponse = pageOf(datasetResponse);
