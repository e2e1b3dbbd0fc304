// Package complexity has no code of its own: its test holds every non-test
// Go file of the repository, nested modules included, to STYLE rule 20 (no
// function over cyclomatic complexity 15), counted the way gocyclo counts.
// It is a test rather than a linter run so that `go test ./...` and CI
// enforce it without installing anything; unlike gocyclo, it honours no
// //gocyclo:ignore directive.
package complexity
