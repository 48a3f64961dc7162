// coord resolve: mark a message addressed to me as resolved (and seen, acked).
import type { Parsed } from '../args.js';
import type { SessionContext } from '../context.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('resolve', 'resolved', 'mark a message to me as resolved (stamps seen, acked, resolved)');
export const run = (ctx: SessionContext, p: Parsed) => advance(ctx, p, 'resolved', 'resolve');
