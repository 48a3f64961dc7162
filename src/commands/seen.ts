// coord seen: mark a message addressed to me as seen.
import type { Parsed } from '../args.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('seen', 'seen', 'mark a message to me as seen');
export const run = (p: Parsed) => advance(p, 'seen', 'seen');
