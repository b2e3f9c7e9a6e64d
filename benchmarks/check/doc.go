// Package check measures fgakit's authorization checks: the token layer
// (no I/O), one API check against a hand-written net/http POST to the same
// local server, merged concurrent identical checks, and batches (CheckMany),
// all against servers on 127.0.0.1.
package check
