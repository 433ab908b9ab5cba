// Package console is Arsenal's interactive console: a web page, served
// from embedded files the way net/http/pprof serves its profiles, that
// shows a Hub's components live and lets an operator configure each
// domain, watch the generated program change (codegen), run a fixed set of
// demo operations on the real components and benchmark them. Its examples
// tab searches and filters the catalog of examples/library (the one
// `go run ./examples/catalog` prints) and shows each example's source; its
// tutorials tab walks the tutorials of package tutorial step by step with
// Check, Hint and Show solution against the hub's components.
//
// Mount it in a service:
//
//	mux.Handle("/debug/arsenal/", http.StripPrefix("/debug/arsenal", console.Handler(hub, console.Options{})))
//
// # Safety
//
// A console that runs operations is an attack surface, so by default:
//
//   - only loopback clients are served; a client from another address is
//     refused unless Options.Token is set, and then every request must
//     carry the token (the page keeps it in an HttpOnly, SameSite=Strict
//     cookie after it is opened once with ?token=...);
//   - the Host header must be a loopback name or one of
//     Options.AllowedHosts, which defeats DNS rebinding;
//   - state-changing requests are POSTs behind
//     net/http.CrossOriginProtection;
//   - every response has a strict Content-Security-Policy (scripts from
//     files only, no inline script), nosniff and frame-ancestors 'none';
//   - operations are a fixed allowlist: SET, GET, HSET, HGETALL, PUBLISH and
//     SUBSCRIBE under Options.DemoPrefix in Redis; objects under the same
//     prefix in S3; SQL only on a scratch database (a Serialize of a sample
//     table opened with Deserialize), and SQL typed in the page only with
//     Options.AllowSQL, then on a read-only copy;
//   - the tutorials run confined to scratch areas: the hub's Redis with
//     keys under DemoPrefix + "tutorial:", a second S3 client on the hub's
//     bucket with keys under the S3 demo prefix + "tutorial/", a scratch
//     SQLite file (never the hub's database) and a WebSocket playground
//     on loopback; Check only reads, and applying a step's solution from
//     the page is a POST allowed only with Options.AllowTutorialSolutions;
//     Start over deletes the tutorial's data in those areas and nothing
//     else (Redis keys are matched with the prefix quoted and checked);
//   - request bodies are bounded (64 KiB of JSON, Options.MaxUpload for
//     an upload);
//   - the page renders every value with textContent, and no secret reaches
//     a response: component Stats and Describe are redacted by the
//     components and scrubbed of URL userinfo again here; credential
//     fields are not part of the configuration forms.
//
// # Live updates
//
// The page receives stats, Redis messages and benchmark progress over a
// WebSocket served by this module's websocket package (one topic each),
// and falls back to polling GET api/events when it cannot connect.
//
// Importing the package changes no process-wide state. Options.AllowScaling
// allows the performance tab's GOMAXPROCS scaling analysis, which sets
// GOMAXPROCS for the whole process while it runs and restores it after.
package console
