package pack

// Ignore rules.
//
// Library choice: github.com/go-git/go-git/v5/plumbing/format/gitignore (only that package is imported).
//   - Maintenance: go-git is actively developed and tagged (v5.19.x, 2026); the alternatives on the module
//     proxy are frozen: sabhiram/go-gitignore (last commit 2021, untagged) and monochromegane/go-gitignore
//     (2020, untagged); denormal/go-gitignore is not served by the proxy at all.
//   - Correctness: go-git's patterns carry a domain (the directory of the .gitignore they came from), which
//     is exactly git's scoping of nested .gitignore files; it understands negation, dir-only rules, anchoring
//     and `**` segments, and takes isDir into account. sabhiram compiles each line to a regexp without
//     escaping regexp metacharacters, has no notion of directories (so `build/` cannot be told from a file
//     named build) and no scoping. doublestar is only a glob matcher.
//   - Weight: the package pulls go-billy, gcfg and x/net/context (small, pure Go); the rest of go-git's
//     module graph is listed in go.mod but not compiled into the binary.
//
// What we add around it (and why):
//   - Line handling: BOM, CRLF, blank lines and `#` comments are dropped here (go-git leaves that to its
//     billy-based reader, which we do not use).
//   - A trailing `/**` is rewritten to `/**/*`: git's `abc/**` matches everything inside abc but not abc
//     itself, while go-git also matches abc, which would prune the directory and make `!abc/keep` useless.
//   - Directories excluded by a rule are not entered (git: "it is not possible to re-include a file if a
//     parent directory of that file is excluded"), which also keeps the walk cheap.
//   - Known divergence kept from go-git: a pattern that matches a directory also matches every path below
//     it. For exclusions that is git's behaviour; for a negation it means `*.log` + `!keep/` keeps
//     keep/a.log, which git would drop. It errs on packaging a file, never on losing one.
//
// Precedence (highest first): .cloudbaseignore, .dockerignore, then .gitignore files from the deepest
// directory up to the root; inside a file the last matching line wins. The always-skipped directories
// (.git, logs, node_modules) win over everything, and a root-level Dockerfile is always packaged (the cloud
// build needs it, as docker itself always sends it).
//
// .gitignore (any depth) and .cloudbaseignore (root) use gitignore syntax and semantics. .dockerignore
// (root) follows docker: every pattern is relative to the root (`foo` matches only ./foo, never a/foo; no
// implicit `**/`), lines are path-cleaned so a trailing `/` does not make a rule dir-only, and `!`
// exceptions may re-include a path below an excluded directory (we enter an excluded directory when a
// .dockerignore exception could match below it). `**` is special only as a whole path segment.

import (
	"bytes"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

const (
	gitignoreName       = ".gitignore"
	dockerignoreName    = ".dockerignore"
	cloudbaseignoreName = ".cloudbaseignore"
)

// rule is one parsed ignore line plus where it came from, for ExcludedSamples.
type rule struct {
	pat     gitignore.Pattern
	source  string   // ".gitignore", "app/.gitignore", ".dockerignore", ...
	line    string   // the line as written, trimmed
	include bool     // a `!` rule
	docker  []string // .dockerignore only: cleaned, root-relative pattern segments (for reinclusion checks)
}

func (r *rule) String() string { return r.source + ": " + r.line }

// splitLines yields the meaningful lines of an ignore file: BOM and CR stripped, comments and blanks dropped.
func splitLines(data []byte) []string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out []string
	for raw := range strings.SplitSeq(string(data), "\n") {
		line := strings.TrimSuffix(raw, "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		out = append(out, line)
	}
	return out
}

// parseGitignore parses gitignore-syntax content scoped to domain (the directory holding the file).
func parseGitignore(data []byte, domain []string, source string) []*rule {
	var rules []*rule
	for _, line := range splitLines(data) {
		// Leading blanks are significant to git, so the line goes to go-git as written.
		rules = append(rules, &rule{
			pat:     gitignore.ParsePattern(fixTrailingDoubleStar(line), domain),
			source:  source,
			line:    strings.TrimSpace(line),
			include: strings.HasPrefix(line, "!"),
		})
	}
	return rules
}

// fixTrailingDoubleStar rewrites `x/**` (optionally dir-only, with trailing blanks) to `x/**/*` so that it
// matches what is inside x but not x itself, as git does.
func fixTrailingDoubleStar(line string) string {
	body := line
	if !strings.HasSuffix(body, "\\ ") {
		body = strings.TrimRight(body, " ")
	}
	suffix := ""
	if strings.HasSuffix(body, "/") && body != "/" && body != "!/" {
		suffix = "/"
		body = strings.TrimSuffix(body, "/")
	}
	if body == "**" || body == "!**" || !strings.HasSuffix(body, "/**") {
		return line
	}
	return body + "/*" + suffix
}

// parseDockerignore parses .dockerignore content with docker's rules (see the file comment).
func parseDockerignore(data []byte) []*rule {
	var rules []*rule
	for _, line := range splitLines(data) {
		p := strings.TrimSpace(line)
		include := strings.HasPrefix(p, "!")
		if include {
			p = strings.TrimSpace(p[1:])
		}
		p = path.Clean(strings.ReplaceAll(p, "\\", "/"))
		p = strings.TrimPrefix(p, "/")
		if p == "" || p == "." || p == ".." || strings.HasPrefix(p, "../") {
			continue // matches nothing inside the context
		}
		gi := "/" + fixTrailingDoubleStar(p)
		if include {
			gi = "!" + gi
		}
		rules = append(rules, &rule{
			pat:     gitignore.ParsePattern(gi, nil),
			source:  dockerignoreName,
			line:    strings.TrimSpace(line),
			include: include,
			docker:  strings.Split(p, "/"),
		})
	}
	return rules
}

// ruleSet holds the rules in force while walking: root-level layers plus a stack of .gitignore files for
// the current directory chain (pushed on entering a directory, popped on leaving).
type ruleSet struct {
	cloudbase []*rule
	docker    []*rule
	git       [][]*rule // git[i] = rules of the i-th .gitignore on the current chain, root first
}

// push adds the rules of a directory's .gitignore; pop removes them when the walk leaves the directory.
func (s *ruleSet) push(rules []*rule) { s.git = append(s.git, rules) }
func (s *ruleSet) pop()               { s.git = s.git[:len(s.git)-1] }

// match reports whether the path (segments relative to the root) is excluded, and the deciding rule.
func (s *ruleSet) match(p []string, isDir bool) (bool, *rule) {
	if r, excluded := lastMatch(s.cloudbase, p, isDir); r != nil {
		return excluded, r
	}
	if r, excluded := lastMatch(s.docker, p, isDir); r != nil {
		return excluded, r
	}
	for i := len(s.git) - 1; i >= 0; i-- {
		if r, excluded := lastMatch(s.git[i], p, isDir); r != nil {
			return excluded, r
		}
	}
	return false, nil
}

func lastMatch(rules []*rule, p []string, isDir bool) (*rule, bool) {
	for i := len(rules) - 1; i >= 0; i-- {
		if res := rules[i].pat.Match(p, isDir); res != gitignore.NoMatch {
			return rules[i], res == gitignore.Exclude
		}
	}
	return nil, false
}

// dockerMayReinclude reports whether a .dockerignore exception could match something below dir, in which
// case docker (and we) still look inside the excluded directory.
func (s *ruleSet) dockerMayReinclude(dir []string) bool {
	for _, r := range s.docker {
		if r.include && segmentsMayExtend(r.docker, dir) {
			return true
		}
	}
	return false
}

// segmentsMayExtend reports whether pattern segments pat could match a path strictly below dir.
func segmentsMayExtend(pat, dir []string) bool {
	for i, d := range dir {
		if i >= len(pat) {
			return false
		}
		if pat[i] == "**" {
			return true
		}
		if ok, err := path.Match(pat[i], d); err != nil || !ok {
			return false
		}
	}
	return len(pat) > len(dir)
}
