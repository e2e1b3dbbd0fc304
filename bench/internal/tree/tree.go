// Package tree generates a deterministic project tree for the packaging
// benchmark: source files, binary assets and a few large files that get
// packaged, plus content every packer skips (node_modules, .git, logs) and
// content only .gitignore rules exclude (dist/, coverage/, *.log, and a
// nested packages/web/.gitignore with build/). Content comes from a seed:
// text files are slices of a generated code-like corpus (compressible),
// assets are ChaCha8 bytes (incompressible), large files alternate.
package tree

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Version keys cached trees: bump it when the generator changes.
const Version = "v2"

// Spec sizes a tree. Full is 50,000 files / ~300 MB; Quick is a tenth.
type Spec struct {
	Files int     // total files written (exact)
	Scale float64 // multiplies every file size (1 = ~300 MB at 50,000 files)
	Seed  uint64
}

// Full and Quick are the two sizes `make bench` uses.
var (
	Full  = Spec{Files: 50_000, Scale: 1, Seed: 1}
	Quick = Spec{Files: 5_000, Scale: 1, Seed: 1}
)

// Stats describes a generated tree by category.
type Stats struct {
	Files, Bytes               int64
	PackedFiles, PackedBytes   int64 // what a packer honouring .gitignore and skipping node_modules/.git/logs packs
	SkippedFiles, SkippedBytes int64 // node_modules, .git, logs (every packer skips them)
	IgnoredFiles, IgnoredBytes int64 // only .gitignore rules exclude them
}

// category is one kind of file, with its share of the file count.
type category struct {
	name     string
	share    float64 // of Spec.Files
	dir      func(i int) string
	ext      func(i int) string
	size     func(r *rand.Rand) int
	random   func(i int) bool // incompressible content
	skipped  bool             // node_modules / .git / logs
	ignored  bool             // excluded by .gitignore only
	minCount int
}

// text sizes: a long-tailed distribution around mean, capped.
func expSize(min, mean, cap int) func(r *rand.Rand) int {
	return func(r *rand.Rand) int {
		return min + int(math.Min(r.ExpFloat64()*float64(mean-min), float64(cap-min)))
	}
}

func uniform(lo, hi int) func(r *rand.Rand) int {
	return func(r *rand.Rand) int { return lo + r.IntN(hi-lo) }
}

var srcExts = []string{".js", ".ts", ".tsx", ".json", ".css", ".md", ".go", ".py"}

var categories = []category{
	{name: "src", share: 0.48,
		dir: func(i int) string { return fmt.Sprintf("src/pkg%02d/mod%02d", i%40, (i/40)%30) },
		ext: func(i int) string { return srcExts[i%len(srcExts)] }, size: expSize(200, 4000, 64<<10)},
	{name: "web-src", share: 0.12,
		dir: func(i int) string { return fmt.Sprintf("packages/web/src/c%02d", i%25) },
		ext: func(i int) string { return srcExts[i%3] }, size: expSize(200, 4000, 64<<10)},
	{name: "assets", share: 0.06,
		dir:  func(i int) string { return fmt.Sprintf("public/assets/a%02d", i%20) },
		ext:  func(i int) string { return [...]string{".png", ".jpg", ".woff2", ".wasm"}[i%4] },
		size: expSize(1<<10, 16<<10, 512<<10), random: func(int) bool { return true }},
	{name: "large", share: 0.0008, minCount: 4,
		dir:  func(int) string { return "data" },
		ext:  func(i int) string { return [...]string{".csv", ".bin"}[i%2] },
		size: uniform(512<<10, 2560<<10), random: func(i int) bool { return i%2 == 1 }},
	{name: "node_modules", share: 0.24, skipped: true,
		dir: func(i int) string {
			if i%5 == 4 {
				return fmt.Sprintf("packages/web/node_modules/dep%02d/lib", i%30)
			}
			return fmt.Sprintf("node_modules/dep%03d/lib", i%120)
		},
		ext:  func(i int) string { return [...]string{".js", ".js", ".d.ts", ".json", ".node"}[i%5] },
		size: expSize(100, 3000, 256<<10), random: func(i int) bool { return i%5 == 4 }},
	{name: "git", share: 0.02, skipped: true,
		dir: func(i int) string { return fmt.Sprintf(".git/objects/%02x", i%256) },
		ext: func(int) string { return "" }, size: expSize(100, 4000, 64<<10), random: func(int) bool { return true }},
	{name: "logs", share: 0.004, skipped: true, minCount: 2,
		dir: func(int) string { return "logs" },
		ext: func(int) string { return ".txt" }, size: expSize(1<<10, 10<<10, 128<<10)},
	{name: "dist", share: 0.05, ignored: true,
		dir: func(i int) string { return fmt.Sprintf("dist/chunks%02d", i%10) },
		ext: func(i int) string { return [...]string{".js", ".js.map"}[i%2] }, size: expSize(500, 8000, 256<<10)},
	{name: "web-build", share: 0.01, ignored: true,
		dir: func(int) string { return "packages/web/build" },
		ext: func(int) string { return ".js" }, size: expSize(500, 8000, 256<<10)},
	{name: "coverage", share: 0.01, ignored: true,
		dir: func(i int) string { return fmt.Sprintf("coverage/lcov-report/d%02d", i%10) },
		ext: func(int) string { return ".html" }, size: expSize(500, 4000, 64<<10)},
	{name: "logfiles", share: 0.0052, ignored: true, minCount: 2,
		dir: func(i int) string { return fmt.Sprintf("src/pkg%02d", i%40) },
		ext: func(int) string { return ".log" }, size: expSize(1<<10, 20<<10, 256<<10)},
}

// Gitignore is the root .gitignore; WebGitignore is packages/web/.gitignore.
const (
	Gitignore    = "# generated by bench/internal/tree\ndist/\ncoverage/\n*.log\n"
	WebGitignore = "build/\n"
)

// Globs are the same exclusions as node-glob ignore patterns (for packers
// that take globs instead of reading .gitignore).
var Globs = []string{
	"**/node_modules/**", "**/.git/**", "**/logs/**",
	"dist/**", "coverage/**", "**/*.log", "packages/web/build/**",
}

// Dir is where Ensure keeps the tree for spec.
func Dir(spec Spec) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("cloudbase-mcp-bench-tree-%s-%d-x%g-seed%d", Version, spec.Files, spec.Scale, spec.Seed))
}

// Ensure returns the tree for spec, generating it unless a complete one is
// cached. generated reports whether it was written now.
func Ensure(spec Spec) (dir string, st Stats, generated bool, err error) {
	dir = Dir(spec)
	marker := dir + ".complete"
	if b, err := os.ReadFile(marker); err == nil {
		if _, err := fmt.Sscan(string(b), &st.Files, &st.Bytes, &st.PackedFiles, &st.PackedBytes,
			&st.SkippedFiles, &st.SkippedBytes, &st.IgnoredFiles, &st.IgnoredBytes); err == nil {
			return dir, st, false, nil
		}
	}
	_ = os.RemoveAll(dir)
	st, err = generate(dir, spec)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", st, false, err
	}
	rec := fmt.Sprintln(st.Files, st.Bytes, st.PackedFiles, st.PackedBytes, st.SkippedFiles, st.SkippedBytes, st.IgnoredFiles, st.IgnoredBytes)
	if err := os.WriteFile(marker, []byte(rec), 0o644); err != nil {
		return "", st, false, err
	}
	return dir, st, true, nil
}

// Remove deletes the cached tree for spec.
func Remove(spec Spec) error {
	_ = os.Remove(Dir(spec) + ".complete")
	return os.RemoveAll(Dir(spec))
}

func generate(root string, spec Spec) (Stats, error) {
	var st Stats
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	var key [32]byte
	for i := range key {
		key[i] = byte(spec.Seed >> (8 * (i % 8)))
	}
	chacha := rand.NewChaCha8(key)
	text := corpus(rng, max(1<<20, int(16<<20*spec.Scale)))
	buf := make([]byte, 0, 4<<20)
	dirs := map[string]bool{}

	write := func(rel string, data []byte) error {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if d := filepath.Dir(p); !dirs[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
			dirs[d] = true
		}
		return os.WriteFile(p, data, 0o644)
	}
	// ignore files count as packaged files
	for _, f := range []struct{ rel, data string }{{".gitignore", Gitignore}, {"packages/web/.gitignore", WebGitignore}} {
		if err := write(f.rel, []byte(f.data)); err != nil {
			return st, err
		}
		st.Files++
		st.Bytes += int64(len(f.data))
		st.PackedFiles++
		st.PackedBytes += int64(len(f.data))
	}

	counts := make([]int, len(categories))
	total := 0
	for i, c := range categories {
		counts[i] = max(c.minCount, int(math.Round(c.share*float64(spec.Files))))
		total += counts[i]
	}
	counts[0] += spec.Files - 2 - total // src absorbs rounding so the total is exact

	for ci, c := range categories {
		for i := range counts[ci] {
			size := max(1, int(float64(c.size(rng))*spec.Scale))
			if cap(buf) < size {
				buf = make([]byte, 0, size)
			}
			data := buf[:size]
			if c.random != nil && c.random(i) {
				_, _ = chacha.Read(data)
			} else {
				off := rng.IntN(len(text) - size)
				copy(data, text[off:off+size])
			}
			rel := fmt.Sprintf("%s/%s%05d%s", c.dir(i), c.name, i, c.ext(i))
			if err := write(rel, data); err != nil {
				return st, err
			}
			n := int64(size)
			st.Files++
			st.Bytes += n
			switch {
			case c.skipped:
				st.SkippedFiles++
				st.SkippedBytes += n
			case c.ignored:
				st.IgnoredFiles++
				st.IgnoredBytes += n
			default:
				st.PackedFiles++
				st.PackedBytes += n
			}
		}
	}
	return st, nil
}

// corpus is code-like text of n bytes (deflate shrinks it to roughly a third).
func corpus(rng *rand.Rand, n int) []byte {
	words := strings.Fields("const let var function return if else for while import export from require " +
		"module async await promise then catch error value result data config server client request response " +
		"handler router service deploy version build cloud run container function logger context timeout " +
		"props state render component useEffect useState string number boolean interface type extends")
	var b strings.Builder
	b.Grow(n + 64)
	for b.Len() < n {
		w := words[rng.IntN(len(words))]
		switch rng.IntN(10) {
		case 0:
			fmt.Fprintf(&b, "%s_%x", w, rng.Uint32()) // identifiers with noise
		case 1:
			fmt.Fprintf(&b, "%q", w)
		default:
			b.WriteString(w)
		}
		switch rng.IntN(9) {
		case 0:
			b.WriteString(";\n")
		case 1:
			b.WriteString("(")
		case 2:
			b.WriteString(") {\n  ")
		default:
			b.WriteByte(' ')
		}
	}
	return []byte(b.String()[:n])
}

// ReadAll reads every file under dir (in lexical order, one at a time, as the
// packers do) and returns the file count and bytes read.
func ReadAll(dir string) (files, bytes int64, err error) {
	buf := make([]byte, 256<<10)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		for {
			n, rerr := f.Read(buf)
			bytes += int64(n)
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		files++
		return nil
	})
	return files, bytes, err
}
