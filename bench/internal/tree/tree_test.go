package tree

import (
	"context"
	"io"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
)

// The generator's bookkeeping must match what the packer really does with the
// tree, or the bench's "expected" counts would be wrong.
func TestGeneratedTreeMatchesPacker(t *testing.T) {
	dir := t.TempDir()
	st, err := generate(dir, Spec{Files: 600, Scale: 0.05, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var files, bytes int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		bytes += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 600 || files != st.Files || bytes != st.Bytes {
		t.Fatalf("walk: %d files %d bytes; stats %+v", files, bytes, st)
	}
	if st.PackedFiles+st.SkippedFiles+st.IgnoredFiles != st.Files || st.SkippedFiles == 0 || st.IgnoredFiles == 0 {
		t.Fatalf("categories do not add up: %+v", st)
	}
	res, err := pack.Zip(context.Background(), pack.Options{Root: dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if int64(res.Files) != st.PackedFiles || res.Bytes != st.PackedBytes {
		t.Fatalf("packer packed %d files / %d bytes, generator expected %d / %d", res.Files, res.Bytes, st.PackedFiles, st.PackedBytes)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := generate(t.TempDir(), Spec{Files: 200, Scale: 0.05, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate(t.TempDir(), Spec{Files: 200, Scale: 0.05, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("same seed, different trees: %+v vs %+v", a, b)
	}
}
