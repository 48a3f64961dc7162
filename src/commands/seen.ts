// coord seen: mark a message addressed to me as seen.
import type { Parsed } from '../args.js';
import type { SessionContext } from '../context.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('seen', 'seen', 'mark a message to me as seen');
export const run = (ctx: SessionContext, p: Parsed) => advance(ctx, p, 'seen', 'seen');
