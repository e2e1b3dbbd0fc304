package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// boolFlags are the settings whose flag may be given without a value.
var boolFlags = map[string]bool{"read-only": true, "cloud-mode": true, "sandbox": true,
	"single-instance": true, "http-local-actions": true}

// rawFlag keeps a flag's text: Load parses it with the same rules and error
// messages as the environment variable it mirrors.
type rawFlag struct {
	val    string
	isBool bool
}

func (f *rawFlag) String() string     { return f.val }
func (f *rawFlag) Set(s string) error { f.val = s; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// NewFlagSet returns the server's flags, one per row of EnvVars that has a
// flag, each documented with the variable it mirrors. Values are kept as
// text; Load validates them. Its Usage prints the table to fs.Output().
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, s := range settings {
		if s.Flag == "" {
			continue
		}
		fs.Var(&rawFlag{isBool: boolFlags[s.Flag]}, s.Flag, usageLine(s.EnvVar))
	}
	fs.Usage = func() { printUsage(fs.Output(), name) }
	return fs
}

func usageLine(v EnvVar) string {
	u := v.Description + " (env " + v.Name
	if v.Default != "" {
		u += "; default " + v.Default
	}
	return u + ")"
}

func printUsage(w io.Writer, name string) {
	fmt.Fprintf(w, "Usage of %s:\n", name)
	for _, s := range settings {
		if s.Flag == "" {
			continue
		}
		arg := " value"
		if boolFlags[s.Flag] {
			arg = ""
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s\n", s.Flag, arg, usageLine(s.EnvVar))
	}
	fmt.Fprintf(w, "\nCredentials come from %s/%s (or %s/%s) or ~/.tencentcloud/credentials;\n"+
		"there is no --secret-key flag, so a key never shows in process lists.\n",
		envSecretID, envSecretKey, envSecretIDAlt, envSecretKeyAlt)
}

// parseFlags returns the flags that were given, by name. -h/--help yields an
// error that wraps flag.ErrHelp and carries the flag list, so a caller that
// just prints errors still shows it.
func parseFlags(args []string) (map[string]string, error) {
	fs := NewFlagSet("cloudbase-mcp")
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var usage strings.Builder
			printUsage(&usage, fs.Name())
			return nil, fmt.Errorf("%w\n\n%s", err, strings.TrimRight(usage.String(), "\n"))
		}
		return nil, fmt.Errorf("%w (run with --help for the list of flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags are --name=value; run with --help for the list)",
			strings.Join(fs.Args(), " "))
	}
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	return set, nil
}

// PrintSettings writes the flag list, each with the variable it mirrors.
func PrintSettings(w io.Writer) {
	var b strings.Builder
	printUsage(&b, "cloudbase-mcp")
	_, list, _ := strings.Cut(b.String(), "\n") // without the "Usage of" line
	_, _ = io.WriteString(w, list)
}
