// coord resolve: mark a message addressed to me as resolved (and seen, acked).
import type { Parsed } from '../args.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('resolve', 'resolved', 'mark a message to me as resolved (stamps seen, acked, resolved)');
export const run = (p: Parsed) => advance(p, 'resolved', 'resolve');
