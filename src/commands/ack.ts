// coord ack: mark a message addressed to me as acked (and seen).
import type { Parsed } from '../args.js';
import type { SessionContext } from '../context.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('ack', 'acked', 'acknowledge a message to me (stamps seen and acked)');
export const run = (ctx: SessionContext, p: Parsed) => advance(ctx, p, 'acked', 'ack');
