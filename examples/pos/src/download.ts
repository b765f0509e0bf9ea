/** Hands bytes to the browser as a file download (backups). */
export function downloadBytes(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  // Revoked later, not at once: the download starts asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name of a backup made at `createdAt` (ms). */
export function backupFileName(createdAt: number): string {
  return `till-backup-${new Date(createdAt).toISOString().slice(0, 19).replace(/[T:]/g, '-')}.cipherlite`;
}
