// Package security holds the attacks of the security review, each run
// against a running sanshen (cmd/sanshen/system, in-process, real
// PostgreSQL and NATS) by a test that asserts it fails: a brute force
// behind spoofed X-Forwarded-For, an unknown-user probe, a lockout of
// another person, events leaking across departments, NUL and invalid UTF-8
// anywhere in a request, slow bodies and idle connections, an ancient
// date, look-alike names, the second factor of admins and guessing its
// codes, and the smaller
// items (metrics, static files, CSRF tokens at rest, publication URLs).
// docs/security.md maps each to the control it tests.
package security
