//go:build race

package main

// raceBuild: the test binary runs with the race detector, so the server
// binary under test is built with it too.
const raceBuild = true
