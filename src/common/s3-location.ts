/**
 * Where an S3-compatible artifact store is, as configuration names it. It lives in common/ because the
 * configuration reads it; the artifact store (src/artifacts/s3-blob-store.ts) is the one place that opens it.
 */
export interface S3Location {
  bucket: string;
  /** Key prefix every object of the store lives under, without leading or trailing `/`; '' for the bucket's root. */
  prefix: string;
  /** A non-AWS server (MinIO, Ceph, s3rver); absent: AWS's endpoint for `region`. */
  endpoint?: string;
  region: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key`: what most self-hosted servers need. */
  forcePathStyle: boolean;
}

// S3's own rules for a bucket name (3–63 lowercase letters, digits, '.', '-'; starts and ends with a letter or digit).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Key segments that object stores or their clients treat specially, so a prefix with them could alias other keys.
const UNSAFE_SEGMENT = /^(|\.|\.\.)$/;

/**
 * `s3://bucket` or `s3://bucket/some/prefix` (a trailing `/` is allowed) as bucket and prefix; an error message
 * saying what is wrong otherwise.
 */
export function parseS3Url(url: string): { bucket: string; prefix: string } | { error: string } {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (match === null) return { error: 'must be s3://BUCKET or s3://BUCKET/PREFIX' };
  const bucket = match[1]!;
  if (!BUCKET.test(bucket)) {
    return { error: `bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name (3–63 of a-z 0-9 . -)` };
  }
  const prefix = (match[2] ?? '').replace(/\/$/, '');
  if (prefix !== '' && prefix.split('/').some((segment) => UNSAFE_SEGMENT.test(segment))) {
    return { error: `prefix ${JSON.stringify(prefix)} has an empty, "." or ".." segment` };
  }
  return { bucket, prefix };
}
