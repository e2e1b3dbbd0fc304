//go:build !unix

package pack

import (
	"io/fs"
	"os"
)

const openFlag = os.O_RDONLY

func readDirTypes(f *os.File) ([]fs.DirEntry, error) { return f.ReadDir(-1) }
