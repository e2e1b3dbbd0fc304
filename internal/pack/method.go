package pack

import (
	"archive/zip"
	"encoding/binary"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress"
)

// storedExts are formats that are already compressed: deflating them again costs CPU for nothing.
var storedExts = map[string]bool{
	// images
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".avif": true, ".heic": true,
	// fonts
	".woff": true, ".woff2": true,
	// archives and compressed streams
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".br": true,
	".7z": true, ".rar": true, ".jar": true, ".war": true, ".whl": true, ".apk": true,
	// audio and video
	".mp3": true, ".mp4": true, ".m4a": true, ".m4v": true, ".aac": true, ".ogg": true, ".oga": true,
	".ogv": true, ".opus": true, ".flac": true, ".webm": true, ".mov": true, ".mkv": true, ".avi": true,
}

// textExts are always deflated: their content is not probed (a few percent of the packer's CPU).
var textExts = map[string]bool{
	".js": true, ".mjs": true, ".cjs": true, ".jsx": true, ".ts": true, ".tsx": true, ".json": true, ".map": true,
	".css": true, ".scss": true, ".less": true, ".html": true, ".htm": true, ".svg": true, ".xml": true,
	".md": true, ".txt": true, ".csv": true, ".yml": true, ".yaml": true, ".toml": true, ".sql": true,
	".go": true, ".py": true, ".java": true, ".rb": true, ".php": true, ".sh": true, ".vue": true,
}

const (
	// probeSize bytes at the start of a file decide, by their entropy, whether it is worth deflating.
	probeSize = 8 << 10
	// minStoreSize: smaller files are always deflated (an entropy estimate on a few bytes means little,
	// and storing them would save a few bytes at most).
	minStoreSize = 1 << 10
	// storeEntropy is the order-0 entropy, in bits per byte, from which content is taken as already
	// compressed: deflate could save at most ~6% and level 1 rarely does.
	storeEntropy = 7.5
)

// methodByName is zip.Store or zip.Deflate when the extension decides, else methodUndecided.
func methodByName(name string) uint16 {
	ext := strings.ToLower(path.Ext(name))
	switch {
	case storedExts[ext]:
		return zip.Store
	case textExts[ext]:
		return zip.Deflate
	}
	return methodUndecided
}

// incompressible reports whether sample (the start of a file) looks like compressed or random data.
func incompressible(sample []byte) bool {
	if len(sample) < minStoreSize {
		return false
	}
	sample = sample[:min(len(sample), probeSize)]
	return float64(compress.ShannonEntropyBits(sample)) >= storeEntropy*float64(len(sample))
}

// The fields zip.Writer.CreateHeader fills in for us, filled in by hand for CreateRaw (the data is
// compressed by the workers): versions, the UTF-8 flag, and the fixed time as MS-DOS fields plus the
// extended-timestamp extra field.
var (
	fixedDosDate, fixedDosTime = dosDateTime()
	fixedTimeExtra             = extendedTimestamp()
)

func entryHeader(name string, method uint16, mode fs.FileMode) *zip.FileHeader {
	h := &zip.FileHeader{
		Name: name, Method: method, CreatorVersion: 20, ReaderVersion: 20,
		//lint:ignore SA1019 the fixed DOS date and time are what make zips byte-identical; Modified would add its own extra field
		ModifiedDate: fixedDosDate, ModifiedTime: fixedDosTime, Extra: fixedTimeExtra,
	}
	if needsUTF8Flag(name) {
		h.Flags |= 0x800
	}
	h.SetMode(normalizedMode(mode))
	return h
}

func dosDateTime() (date, tm uint16) {
	t := fixedModTime
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

func extendedTimestamp() []byte {
	b := make([]byte, 9)
	binary.LittleEndian.PutUint16(b[0:], 0x5455) // extended timestamp
	binary.LittleEndian.PutUint16(b[2:], 5)      // size of the rest
	b[4] = 1                                     // flags: modification time
	binary.LittleEndian.PutUint32(b[5:], uint32(fixedModTime.Unix()))
	return b
}

// needsUTF8Flag is archive/zip's rule: set the flag only for valid UTF-8 that is not CP-437-safe ASCII.
func needsUTF8Flag(s string) bool {
	require := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r < 0x20 || r > 0x7d || r == 0x5c {
			if !utf8.ValidRune(r) || (r == utf8.RuneError && size == 1) {
				return false
			}
			require = true
		}
	}
	return require
}
