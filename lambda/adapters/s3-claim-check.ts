import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Where event bodies too large for an SQS message wait (the claim-check pattern): the queue message carries
 * only the object's key. The bucket is encrypted, TLS-only and expires objects after
 * `aws.claimCheckExpiryDays`, longer than a message can wait in the queue and its dead-letter queue.
 */
export interface ClaimCheckStore {
  readonly bucket: string;
  put(key: string, body: string): Promise<void>;
  /** The stored body; throws `ClaimCheckMissingError` when the object is gone (expired or deleted). */
  get(key: string): Promise<string>;
}

export class ClaimCheckMissingError extends Error {
  override readonly name = 'ClaimCheckMissingError';
}

/**
 * S3 implementation. The S3 client is created on first use: the webhook needs it only for the rare delivery
 * above 1 MB, so its cold start does not pay for loading it.
 */
export class S3ClaimCheck implements ClaimCheckStore {
  private client?: Promise<{ s3: S3Client; sdk: typeof import('@aws-sdk/client-s3') }>;

  constructor(
    readonly bucket: string,
    private readonly createClient?: (sdk: typeof import('@aws-sdk/client-s3')) => S3Client,
  ) {}

  private load() {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      s3: this.createClient?.(sdk) ?? new sdk.S3Client({}),
    }));
    return this.client;
  }

  async put(key: string, body: string): Promise<void> {
    const { s3, sdk } = await this.load();
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );
  }

  async get(key: string): Promise<string> {
    const { s3, sdk } = await this.load();
    try {
      const answer = await s3.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!answer.Body) throw new ClaimCheckMissingError(`claim check s3://${this.bucket}/${key} is empty`);
      return await answer.Body.transformToString('utf8');
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') {
        throw new ClaimCheckMissingError(`claim check s3://${this.bucket}/${key} no longer exists`);
      }
      throw error;
    }
  }
}
