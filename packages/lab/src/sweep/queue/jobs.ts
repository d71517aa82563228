/**
 * What travels through the queue, and nothing more: a job names a run of a sweep — the sweep's
 * directory name under the shared store and the run's key `<cell>/seed-<s>` — and, for successive
 * halving, the epoch to pause after. A worker finds the run's config.json in the store (written by
 * the sweep) and validates it with the run schema before training; nothing from the queue is
 * executed as code, and a job that fails this schema is rejected, not run.
 *
 * Job ids are the run's key and its stop epoch, so adding a run twice (a sweep restarted) finds
 * the job already there, finished or not, instead of training it twice.
 */
import { z } from 'zod';

/** The one BullMQ queue every sweep and worker of a store shares. */
export const QUEUE_NAME = 'regulab-sweeps';

const NAME = /^[A-Za-z0-9][A-Za-z0-9.=+_-]*$/;

export const SweepJobSchema = z
  .object({
    /** The sweep directory's name in the store. */
    sweep: z.string().max(200).regex(NAME),
    /** `<cell>/seed-<s>`. */
    run: z
      .string()
      .max(300)
      .regex(/^[A-Za-z0-9][A-Za-z0-9.=+_-]*\/seed-\d+$/),
    untilEpoch: z.number().int().positive().optional(),
  })
  .strict()
  .refine((j) => !`${j.sweep}/${j.run}`.split('/').includes('..'), 'no .. in names');

export type SweepJob = z.infer<typeof SweepJobSchema>;

/** What a worker reports back for a run it trained. */
export interface SweepJobResult {
  status: 'finished' | 'paused';
  epochs: number;
  bestValid: number;
  metric: string;
  worker: string;
}

/** The job id of a run (BullMQ ids may not contain ':'). */
export function jobId(job: SweepJob): string {
  return `${job.sweep}|${job.run}|${job.untilEpoch ?? 'end'}`;
}
