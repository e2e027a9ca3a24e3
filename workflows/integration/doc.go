// Package integration runs the workflows on the real stack (embedded
// Temporal server, MariaDB, SMTP, HTTP receivers) with the worker's wiring,
// and records the histories the replay test in package workflows replays:
//
//	go test ./workflows/integration -run Integration -record
//
// It is apart from package workflows so that the workflows' unit and replay
// tests build without the Temporal server and run without MariaDB.
package integration
