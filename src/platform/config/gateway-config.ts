/** Region ids look like AWS region names so they can be embedded in self-routing subject ids. */
export const REGION_ID_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
export const JURISDICTION_PATTERN = /^[A-Z]{2,8}$/;
/** Printable ASCII without spaces: what identifiers from tokens (service, issuer, region) may hold. */
export const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

export interface RegionConfig {
  /** e.g. `us-east-1`. */
  readonly id: string;
  /** The legal zone this region belongs to, e.g. `US`. */
  readonly jurisdiction: string;
  /**
   * PostgreSQL connection string of this region's store, as the gateway's runtime role (a
   * member of residency_gateway_runtime: it may append to the audit log, never change it).
   * A secret: never logged.
   */
  readonly databaseUrl: string;
  /**
   * The owner's connection string, used only by `migrate` (schema changes and grants); the
   * gateway never uses it. Defaults to `databaseUrl` for stores without separate roles.
   */
  readonly migrationDatabaseUrl: string | undefined;
  /** The only KMS key the gateway may use in this region. */
  readonly kmsKeyId: string;
  /** KMS endpoint override (moto in development and tests). */
  readonly kmsEndpoint: string | undefined;
  /** Maximum connections to this region's store. */
  readonly poolSize: number;
  /** Share of new subjects of its jurisdiction placed here; 0 closes the region to new subjects. */
  readonly placementWeight: number;
}

/**
 * A region served by another cell (DESIGN §4, Cells): its own gateway, reached over mutual
 * TLS. This process holds nothing of it but where to reach it and its jurisdiction.
 */
export interface PeerConfig {
  readonly id: string;
  readonly jurisdiction: string;
  /** `https://host:port` of the peer cell's mTLS listener. */
  readonly gatewayUrl: string;
  /** As for local regions: its share of new subjects of its jurisdiction placed from here. */
  readonly placementWeight: number;
}

/** This process as one cell among peers: how it is reached by them and how it reaches them. */
export interface CellConfig {
  /** The mTLS listener for calls forwarded by peer cells (the public API keeps `port`). */
  readonly peerPort: number;
  /** PEM: this cell's certificate (naming its region), its key, and the CA peers chain to. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** Most a forwarded call may take before the peer's region is answered as unavailable. */
  readonly peerTimeoutMs: number;
  /** Keep-alive connections per peer. */
  readonly peerConnections: number;
  /** How often the certificate files are re-read (a renewed certificate is used without a restart). */
  readonly tlsReloadMs: number;
}

/** The OpenID provider whose access tokens identify people (auditors, legal, privacy). */
export interface PeopleSignIn {
  /** The provider's `iss`; the console discovers its endpoints from this. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** The `aud` people's access tokens must carry. */
  readonly audience: string;
  /** The console's (public, PKCE) client id at the provider. */
  readonly clientId: string;
  readonly scope: string;
  /** Sent as `resource` (RFC 8707) when the provider needs it to issue a JWT for this gateway. */
  readonly resource: string | undefined;
}

export type JwksSource =
  { readonly kind: 'file'; readonly path: string } | { readonly kind: 'url'; readonly url: string };

/** How far a JSON body may nest and how much it may hold; checked on the raw bytes. */
export interface JsonStructureLimits {
  /** Nested objects and arrays, the outermost counting 1. */
  readonly maxDepth: number;
  /** Object members plus array items, all levels together. */
  readonly maxMembers: number;
  /** Longest string (key or value), in bytes as sent (escapes included). */
  readonly maxStringBytes: number;
}

/**
 * Requests per window, per caller and per route pattern, in each gateway process. A caller is
 * the authenticated service (token subject) or, without a valid token, the client address.
 */
export interface RateLimitConfig {
  readonly windowMs: number;
  /** By role; a caller with several roles gets the largest of theirs. */
  readonly perRole: Readonly<Record<string, number>>;
  /** For a role listed nowhere in `perRole`. */
  readonly otherRoles: number;
  /** Per client address, for requests without a valid token. */
  readonly anonymous: number;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  /** Names this process in logs and audit labels. */
  readonly instanceId: string;
  /**
   * Most one request may take, from its arrival: every store, peer and query call it makes
   * gets what is left (each also within its own timeout), and it is answered 503 when none is.
   */
  readonly requestTimeoutMs: number;
  /** Processes serving HTTP (node:cluster workers sharing the port); default: one per core. */
  readonly workers: number;
  /**
   * On SIGTERM: how long to keep serving with `/readyz` answering 503 `draining` (so the load
   * balancer stops sending) before the server stops accepting and drains what is in flight.
   */
  readonly shutdownDrainMs: number;
  /**
   * GATEWAY_DEVELOPMENT: a local development gateway (`npm start`, the tests). Only then is a
   * bundle signed with the committed development key accepted.
   */
  readonly development: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Logs as JSON lines (production) or human-readable (local). */
  readonly logFormat: 'json' | 'pretty';
  /** Largest request body of any route (a route may set a smaller one); larger ones get 413. */
  readonly bodyLimitBytes: number;
  /** Structure limits every JSON body is checked against before it is parsed. */
  readonly json: JsonStructureLimits;
  readonly rateLimit: RateLimitConfig;
  readonly auth: {
    readonly jwks: JwksSource;
    readonly audience: string;
    /** The `iss` every service token must carry. */
    readonly issuer: string;
    /** Leeway for `exp`/`nbf`/`iat`, in seconds. */
    readonly clockToleranceSeconds: number;
    /** Most a token may live: `exp - iat` above this is refused. */
    readonly maxLifetimeSeconds: number;
    /** Most roles one token may carry. */
    readonly maxRoles: number;
    /** The OpenID provider people sign in with (the console); undefined: services only. */
    readonly people: PeopleSignIn | undefined;
  };
  readonly database: {
    readonly connectTimeoutMs: number;
    /** Per statement: enforced by the store and, in case the store hangs, by the client. */
    readonly statementTimeoutMs: number;
    /** Per store call (a transaction or a read, pool wait included): 503 when it runs out. */
    readonly requestTimeoutMs: number;
    /** Store calls that may wait for a pooled connection, per region; past it 503 at once. */
    readonly maxWaiting: number;
  };
  /** Circuit breakers, one per dependency (KMS, store) per region. */
  readonly breakers: {
    /** Consecutive availability failures that open a breaker. */
    readonly failureThreshold: number;
    /** How long an open breaker fails fast before one probe call goes through. */
    readonly openMs: number;
  };
  readonly query: {
    /** How long one region may take to answer a cross-border query before it is `unavailable`. */
    readonly regionTimeoutMs: number;
    /** Key that authenticates query cursors; shared by every instance behind one endpoint. */
    readonly cursorSecret: Buffer;
  };
  readonly audit: {
    /** Ed25519 PEM private key that signs checkpoints; '' when not configured. */
    readonly signingKeyFile: string;
    /** Pause between integration rounds of each region's log. */
    readonly integrationIntervalMs: number;
    /** Most entries one integration round takes. */
    readonly integrationBatch: number;
    /** `dir:<path>` or `s3://bucket/prefix`: where signed checkpoints are also kept. */
    readonly sink: string | undefined;
    readonly sinkS3Endpoint: string | undefined;
    readonly sinkS3Region: string | undefined;
    /** Verifier keys (cosignature/v1) of witnesses whose cosignatures are accepted. */
    readonly witnesses: readonly string[];
  };
  readonly keys: {
    /** Per-call KMS timeout. */
    readonly kmsTimeoutMs: number;
    /** KMS calls in flight per region; past it 503 `kms_overloaded` at once. */
    readonly kmsMaxInFlight: number;
    /** Unwrapped keys kept in memory (subjects plus region keys). */
    readonly cacheMaxEntries: number;
    readonly cacheTtlMs: number;
    /** Bytes kept of each blind-index HMAC (shorter: more false positives, less linkability). */
    readonly blindIndexBytes: number;
    /**
     * KMS credentials given explicitly (the local stack's moto); otherwise the AWS SDK's default
     * chain (environment, profile, IRSA). A secret: never logged.
     */
    readonly staticCredentials:
      { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  };
  readonly policy: {
    /** A bundle file path or an http(s) URL, polled for new revisions. */
    readonly bundleSource: string;
    /** PEM public key the bundle signature must verify against. */
    readonly publicKeyFile: string;
    readonly reloadIntervalMs: number;
    readonly memoryInitialPages: number;
    readonly memoryMaximumPages: number;
  };
  /** The regions this process serves: it holds their store credentials and KMS keys. */
  readonly regions: readonly RegionConfig[];
  /** Regions served by other cells (GATEWAY_PEERS); empty in the single-process topology. */
  readonly peers: readonly PeerConfig[];
  /** Set when this process is a cell with peers (or listens for them). */
  readonly cell: CellConfig | undefined;
}
