import { createZodDto } from '@torii/http';
import { z } from 'zod';

export const FeedbackCreateSchema = z.object({
  messageId: z.string().min(1).max(64).describe('Torii message id (the queue id of the 250 reply, shown in the delivery status)'),
  kind: z.enum(['false-positive', 'false-negative']).describe('false-positive: it was flagged but is not spam; false-negative: it is spam but was missed'),
});
export class FeedbackCreateDto extends createZodDto(FeedbackCreateSchema) {}

export interface FeedbackView {
  messageId: string;
  /** What this report taught; null when it taught nothing (the message had been reported before). */
  learned: 'spam' | 'ham' | null;
  /** False when the message had already been reported: a report teaches once. */
  applied: boolean;
  /** When not applied: the earlier report that did teach. */
  earlier?: { kind: 'false-positive' | 'false-negative'; at: string };
  /**
   * The message's score for this tenant just before this report: it may differ from the score it had when it
   * arrived, since later reports and model updates move it too.
   */
  scoreBefore: string;
  /** The message's score for this tenant after learning (the same as `scoreBefore` when nothing was learned). */
  scoreAfter: string;
}
