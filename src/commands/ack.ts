// coord ack: mark a message addressed to me as acked (and seen).
import type { Parsed } from '../args.js';
import { advance, advanceSpec } from '../ackchain.js';

export const spec = advanceSpec('ack', 'acked', 'acknowledge a message to me (stamps seen and acked)');
export const run = (p: Parsed) => advance(p, 'acked', 'ack');
