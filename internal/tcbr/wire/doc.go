// Package wire is the field table of every tcbr and tcb action our client
// sends or the emulator serves: each request and response field with its
// JSON type and nesting, generated from the public Go SDK models (fields.json,
// see gen/), plus the fields the real API is known to accept beyond them
// (allowances.go). The emulator checks every request against it, and tests
// check our request and response types and the emulator's answers.
package wire

//go:generate go run ./gen -o fields.json
