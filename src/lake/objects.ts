/**
 * The lake's object storage, as `src/` sees it: S3 in AWS (`lambda/adapters/lake-objects.ts`), a local
 * directory with the same keys in tests and for `telemetry query --lake DIR`. Keys are the layout's
 * (`src/lake/layout.ts`); every method is idempotent, so a retried batch or job run is safe.
 */
export interface LakeObjects {
  /** Where the objects live, for messages (`s3://bucket`, a directory). */
  readonly location: string;
  /** Creates or replaces an object. */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every object below a prefix, in key order. */
  list(prefix: string): Promise<LakeObject[]>;
  /** Deletes these objects; a key already gone is not an error. */
  delete(keys: readonly string[]): Promise<void>;
}

export interface LakeObject {
  key: string;
  bytes: number;
}
