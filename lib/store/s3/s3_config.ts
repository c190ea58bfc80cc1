/**
 * Where an S3-compatible bucket is and how to sign for it, checked once at the entry.
 * The secret key lives in a private field: it is never enumerable, never in `toString()`,
 * `JSON.stringify()`, `describe()` or an error message.
 */

export interface S3Settings {
  /** `http(s)://host[:port]` of the S3 API; no path, no user info. */
  endpoint: string;
  bucket: string;
  /** @default "us-east-1" */
  region?: string;
  /**
   * Path-style URLs (`endpoint/bucket/key`, Ceph, MinIO, most self-hosted stores) rather
   * than virtual-hosted ones (`bucket.endpoint/key`). @default true
   */
  pathStyle?: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** Every key the node writes starts with this; nothing outside it is touched. @default "p2pos/" */
  prefix?: string;
}

/** Path segments of safe characters, each followed by `/`. */
const PREFIX = /^([A-Za-z0-9._-]+\/)+$/;
/** S3 bucket naming rules (lowercase, digits, dots, hyphens; 3–63). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export class S3Config {
  readonly endpoint: URL;
  readonly bucket: string;
  readonly region: string;
  readonly pathStyle: boolean;
  readonly accessKeyId: string;
  readonly prefix: string;
  readonly #secret: string;

  constructor(s: S3Settings) {
    let url: URL;
    try {
      url = new URL(s.endpoint);
    } catch {
      throw new SyntaxError(`S3 endpoint "${String(s.endpoint).slice(0, 80)}" is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SyntaxError(`S3 endpoint must be http or https, got ${url.protocol}`);
    }
    if (url.username || url.password) {
      throw new SyntaxError(
        "S3 endpoint must not carry credentials; give them as the access key settings",
      );
    }
    if (url.pathname !== "/" || url.search || url.hash) {
      throw new SyntaxError(`S3 endpoint must be only scheme, host and port, got ${url.href}`);
    }
    if (!BUCKET.test(s.bucket ?? "")) {
      throw new SyntaxError(
        `S3 bucket "${String(s.bucket).slice(0, 80)}" is not a valid bucket name ` +
          "(3–63 lowercase letters, digits, dots and hyphens)",
      );
    }
    if (!s.accessKeyId || !s.secretAccessKey) {
      throw new SyntaxError("S3 needs both an access key id and a secret access key");
    }
    const prefix = s.prefix ?? "p2pos/";
    if (!PREFIX.test(prefix) || prefix.split("/").some((seg) => seg === "." || seg === "..")) {
      throw new SyntaxError(
        `S3 prefix "${prefix.slice(0, 80)}" must be path segments of letters, digits, ` +
          `".", "_" or "-", each ending with "/" (for example "p2pos/cedar/")`,
      );
    }
    this.endpoint = url;
    this.bucket = s.bucket;
    this.region = s.region || "us-east-1";
    this.pathStyle = s.pathStyle ?? true;
    this.accessKeyId = s.accessKeyId;
    this.prefix = prefix;
    this.#secret = s.secretAccessKey;
  }

  /** For the signer only. */
  secret(): string {
    return this.#secret;
  }

  /** `endpoint/bucket/prefix`: safe to show to an operator. */
  get location(): string {
    return `${this.endpoint.origin}/${this.bucket}/${this.prefix}`;
  }

  /** The URL of `key` in the bucket (the bucket itself for `""`). */
  url(key: string): URL {
    const path = key.split("/").map(encodeURIComponent).join("/");
    if (this.pathStyle) return new URL(`/${this.bucket}/${path}`, this.endpoint);
    const host = new URL(this.endpoint);
    host.hostname = `${this.bucket}.${host.hostname}`;
    return new URL(`/${path}`, host);
  }

  toJSON(): Record<string, unknown> {
    return { location: this.location, region: this.region, pathStyle: this.pathStyle };
  }
}
