// Package s3 is Arsenal's S3 component: one bucket of AWS S3 or an
// S3-compatible store (MinIO, Ceph RGW, Cloudflare R2, versitygw), on the
// AWS SDK for Go v2.
//
// It covers what Bun's S3Client offers and what Bun lacks: objects from
// bytes or streams of unknown length with content headers, user metadata,
// storage class and ACL; streaming ranged reads that resume after a broken
// connection; Stat, Exists, Delete, batch delete and server-side Copy;
// ListObjectsV2 by page, as an iter.Seq2, and as a parallel lister that
// fans out over common prefixes; a memory-bounded streaming multipart
// Writer that never leaves orphaned parts; object URLs in both addressing
// styles and presigned GET, PUT, DELETE and HEAD URLs; creating, checking
// and deleting the bucket (CreateBucket, EnsureBucket, BucketExists,
// DeleteBucket); and the whole AWS credential chain.
//
//	c, err := s3.Open(ctx, s3.Config{Bucket: "photos", Endpoint: "http://127.0.0.1:9000",
//		AccessKeyID: "AK", SecretAccessKey: security.NewSecret(os.Getenv("SK"))})
//	if err != nil { ... }
//	defer c.Close()
//	if err := c.EnsureBucket(ctx); err != nil { ... }
//	_, err = c.Put(ctx, "cats/tom.jpg", data, &s3.PutOptions{ContentType: "image/jpeg"})
//
// # Configuration
//
// Config's field comments give every default. ParseURL reads
// s3://bucket/prefix?endpoint=...&region=...&style=virtual|path (and the
// other parameters it lists), and the package registers the "s3" scheme
// so arsenal.Open(ctx, "s3://...") works after importing it.
//
// Credentials come from Config, else S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY
// (and S3_SESSION_TOKEN), else the AWS_* equivalents, else the standard AWS
// chain: shared config and credentials files with profiles, SSO, web
// identity tokens, ECS container credentials and EC2 instance roles.
// Region defaults to S3_REGION, AWS_REGION, AWS_DEFAULT_REGION, then
// us-east-1; the endpoint to S3_ENDPOINT, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, then AWS. SecretAccessKey and SessionToken are
// security.Secret values: secrets never appear in errors, logs, String,
// GoString, %+v, JSON or slog output, even from a Config held in an
// unexported field. Config.TLSConfig sets the roots (a private CA) or
// client certificates for https:// endpoints.
//
// Addressing: StyleAuto is virtual-hosted against AWS and path style
// against a custom endpoint. StyleVirtual falls back to path style for
// bucket names containing dots (they cannot match a TLS wildcard
// certificate) and for endpoints whose host is an IP address or
// localhost (no DNS for bucket.127.0.0.1).
//
// Integrity: the default ChecksumMD5 sends Content-MD5 with every
// PutObject and UploadPart, so a store rejects (BadDigest) rather than
// stores a body corrupted in transit, and leaves the SDK's CRC32
// checksums (default since s3 v1.73, which several S3-compatible stores
// reject or mis-store) to the operations that require one
// (RequestChecksumCalculationWhenRequired,
// ResponseChecksumValidationWhenRequired). Whole-object downloads of
// single-part objects are checked against the ETag when it is the MD5
// (no SSE-KMS or SSE-C): a mismatch is DataLoss, and GetBytes reads again.
// Single PUTs that carry Content-MD5 are signed with UNSIGNED-PAYLOAD (the
// signed MD5 header already binds the body; this spares both sides a
// SHA-256 pass, as Bun does); with ChecksumNone the signed payload
// SHA-256 is the check. Either rejection is retried. Objects are returned as stored:
// Content-Encoding: gzip is never decoded behind the caller's back.
// ChecksumCRC32 turns the SDK's flexible checksums on for AWS itself.
//
// Storage classes: every class in the SDK's types.StorageClass (STANDARD,
// REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING,
// GLACIER, DEEP_ARCHIVE, OUTPOSTS, GLACIER_IR, SNOW, EXPRESS_ONEZONE,
// FSX_OPENZFS, FSX_ONTAP, ...) is accepted; anything else is
// InvalidArgument before any request. Whether a store honours the class
// is up to the store: versitygw's posix backend, used in the tests,
// accepts the header and keeps no class (Stat and List then report
// STANDARD), so the tests check class validation client-side.
//
// Performance: single-request object calls (PutObject, GetObject,
// HeadObject, UploadPart) and ListObjectsV2 are signed (a SigV4 signer
// written for them, checked against the SDK's) and retried by the package
// itself rather than through the SDK's generic middleware stack, and
// listings are parsed by a scanner written for ListBucketResult: on small
// objects the client's CPU, not the network, bounds throughput. Errors
// keep the SDK's shape, so one table translates both paths. Multipart
// uploads, copies, deletes and presigning use the SDK; ChecksumCRC32
// routes every call through it. Both paths share one net/http Transport
// for every endpoint, http:// and https:// alike: 256 idle connections
// per host, no transparent decompression, 64 KiB read and write buffers,
// HTTP/2 where the store offers it over TLS. The SDK client is available
// from Client.API.
//
// # Hostile servers
//
// A broken or malicious store cannot crash the client or grow its memory
// without bound; the tests run each of these against a raw-socket fake
// server over HTTP and HTTPS:
//
//	response status line and headers    at most MaxResponseHeaderBytes (64 KiB)
//	a listing response body             at most MaxListResponseBytes (32 MiB; under 5x that allocated in all while reading)
//	an error response body              at most MaxErrorResponseBytes (1 MiB)
//	GetBytes                            at most Config.MaxGetBytes (1 GiB), allocated as bytes arrive
//	a listing that repeats a continuation token, or sends 100 empty
//	truncated pages in a row            fails with Internal (List, ListParallel)
//	malformed listing XML (any nesting) an error or a partial page, never a panic (fuzzed)
//
// A limit exceeded is ResourceExhausted and never retried. A declared
// length beyond a limit is refused before any of the body is read. Keys
// with a ".." segment are InvalidArgument before any request: behind a
// proxy that normalises paths, "a/../../b" would leave Prefix (and, in
// path style, the bucket). An http:// Endpoint off loopback is accepted
// but logged as a warning at Open (Config.Logger, else slog.Default).
//
// # Errors
//
// Every error is an *arsenal.Error, translated once from the SDK. When the
// store answered, its cause is a *ResponseError: the message names the
// operation, the status and S3's code and message once ("s3: get:
// NotFound: GetObject: 404 NoSuchKey: The specified key does not
// exist."), and the request and host ids are its fields. A request that
// got no answer names the operation and the cause ("PutObject: dial tcp
// ...: connection refused"). A HEAD response (Stat, Exists, BucketExists)
// has no body, so a 403 there is PermissionDenied whatever its reason;
// Health lists one key instead, so a wrong secret is Unauthenticated in
// Health as in every other call. The codes:
//
//	NoSuchKey, NoSuchBucket, NoSuchUpload, 404       NotFound
//	AccessDenied, 403                                PermissionDenied
//	InvalidAccessKeyId, SignatureDoesNotMatch,
//	ExpiredToken, InvalidToken, 401                  Unauthenticated
//	SlowDown, ServiceUnavailable, InternalError,
//	RequestTimeout, 500, 502, 503, 504               Unavailable (retryable)
//	PreconditionFailed, 412, 304                     FailedPrecondition
//	EntityTooLarge, InvalidArgument, InvalidRange,
//	other 4xx                                        InvalidArgument
//	BadDigest, XAmzContentSHA256Mismatch             DataLoss (marked retryable)
//	BucketAlreadyOwnedByYou, BucketAlreadyExists     AlreadyExists
//	context cancellation / deadline                  Canceled / DeadlineExceeded
//
// and network failures as arsenal.NativeCode classifies them. The "s3"
// classifier is registered with arsenal.Classify for raw SDK errors from
// Client.API. Transient failures (connection resets, timeouts, 5xx,
// SlowDown) are retried up to MaxRetries times with jittered backoff
// before an error is returned; each attempt is bounded by AttemptTimeout,
// so a stalled connection is abandoned and retried.
//
// # Observability
//
// Stats counts every call of the public API, including those that fail
// before any request (a closed client, an invalid key); requests that a
// call makes in several parts count per request (delete_many per 1,000
// keys, multipart uploads per part). Config.Observer receives OpStart
// and OpEnd for every public call (the object key as Resource, payload
// bytes in OpEnd) and, when it is an arsenal.ConnObserver, ConnDisconnect
// when a call finds the store unreachable and ConnReconnect when the next
// one succeeds; with no Observer nothing is built or allocated.
// Config.Logger gets those transitions (Warn, Info), retries (Debug),
// aborted uploads and, with Config.SlowThreshold, slow calls (Warn).
//
// # Security
//
// Config.Security (package security) takes a Policy, an Audit, TLS and a
// credentials Provider in the shape every Arsenal component shares; its
// zero value changes nothing. The policy is checked before any request,
// on "bucket/key" (the full key, Prefix included) for object calls,
// "bucket/prefix" for listings and "bucket" for bucket calls, with the
// operation names put, get, stat, delete, copy, list, presign,
// create_bucket, delete_bucket and head_bucket (Config.Security lists
// which call checks what); Health is left out, for monitors. The caller names itself with
// security.WithPrincipal on the context. A refused call is
// PermissionDenied naming the rule, sends nothing, and is counted in
// Stats and reported to the Observer like any failed call. The audit
// gets one record per call (per key for DeleteMany) with its outcome and
// code. Security.TLS builds the transport's TLS configuration in place
// of Config.TLSConfig. Security.Credentials is asked at every request
// signing, so a secret rotated by its source (a file rewritten by Vault
// Agent, a Kubernetes secret) signs the next request. Without a policy
// or an audit the checks cost one branch per call.
//
// # Concurrency
//
// A Client is safe for concurrent use and must be closed; it pools
// keep-alive connections (256 idle per host). A Writer and a Reader
// belong to one goroutine each and must be closed. A Writer uploads up to
// Concurrency parts at once and holds at most PartSize × (Concurrency+1)
// bytes. ListParallel runs Workers listings at once. Closing the Client
// aborts every Writer still open.
package s3
