/** Small byte helpers shared by the format modules. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function startsWith(haystack: Uint8Array, prefix: Uint8Array): boolean {
  return haystack.length >= prefix.length && bytesEqual(haystack.subarray(0, prefix.length), prefix);
}

/** Lower-case hexadecimal, two digits a byte (file ids and names; never secrets in messages). */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
