/** Small byte helpers shared by the format modules. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function startsWith(haystack: Uint8Array, prefix: Uint8Array): boolean {
  return haystack.length >= prefix.length && bytesEqual(haystack.subarray(0, prefix.length), prefix);
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
