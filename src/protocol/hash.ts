// FNV-1a 64 over UTF-8, without BigInt or TextEncoder: message ids are computed on every
// inbox read, and this runs the same in Node, Deno and the bundle.

/** FNV-1a 64 of the UTF-8 bytes of `text`, as 16 hex chars; four 16-bit lanes avoid BigInt. */
export function fnv1a64(text: string): string {
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2; // offset basis cbf29ce484222325
  // One byte into the hash: times the prime 2^40 + 0x1b3, lane by lane with carries, mod 2^64.
  const mix = (byte: number) => {
    h0 ^= byte;
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      mix(c);
      continue;
    } // the common case, without the general path below
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    encodeUtf8(cp, mix);
  }
  return [h3, h2, h1, h0].map((w) => w.toString(16).padStart(4, '0')).join('');
}

/** The UTF-8 bytes of one code point (a lone surrogate is encoded like any code point). */
function encodeUtf8(c: number, emit: (byte: number) => void): void {
  if (c < 0x80) emit(c);
  else if (c < 0x800) {
    emit(0xc0 | (c >> 6));
    emit(0x80 | (c & 63));
  } else if (c < 0x10000) {
    emit(0xe0 | (c >> 12));
    emit(0x80 | ((c >> 6) & 63));
    emit(0x80 | (c & 63));
  } else {
    emit(0xf0 | (c >> 18));
    emit(0x80 | ((c >> 12) & 63));
    emit(0x80 | ((c >> 6) & 63));
    emit(0x80 | (c & 63));
  }
}

/** How many bytes `text` takes in UTF-8. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (const ch of text) encodeUtf8(ch.codePointAt(0)!, () => bytes++);
  return bytes;
}
