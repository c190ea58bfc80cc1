/**
 * @module
 * Blobs in an S3-compatible bucket: {@link S3BlobStore} behind the same `BlobStore`
 * contract as the filesystem store, its signed {@link S3Client}, and {@link S3Config}
 * (endpoint, bucket, region, path style, prefix, credentials; the secret is never shown).
 */

export { S3BlobStore, type S3BlobStoreOptions } from "./s3_blob_store.ts";
export { S3Client, type S3ClientOptions } from "./s3_client.ts";
export { S3Config, type S3Settings } from "./s3_config.ts";
