import { createHash } from 'node:crypto';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';

/** Where LocalBlobStore keeps a digest's content under `artifactRoot`, for tests that damage or age a blob. */
export function blobFile(artifactRoot: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2));
}

/** Makes the blob look last written `ageMs` ago, as gc's grace period sees it. */
export function age(artifactRoot: string, digest: string, ageMs: number): void {
  const then = new Date(Date.now() - ageMs);
  utimesSync(blobFile(artifactRoot, digest), then, then);
}

export function sha256Of(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
