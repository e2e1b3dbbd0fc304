package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
)

// transfers moves packages to and from object storage (deploy uploads,
// download and template downloads), reporting progress.
type transfers struct {
	http  *http.Client // nil = http.DefaultClient
	clock clock.Clock
}

// client is the client for package transfers: no overall timeout (a large
// upload may take minutes); the call's ctx bounds it.
func (t *transfers) client() *http.Client {
	if t.http != nil {
		return t.http
	}
	return http.DefaultClient
}

// counting wraps r so that reading it reports progress towards total.
func (t *transfers) counting(r io.Reader, total int64, prog *mcpx.Progress) *countingReader {
	return &countingReader{r: r, total: total, prog: prog, clock: t.clock}
}

// downloadTemp GETs url into a temp file, bounded by limit bytes.
func (t *transfers) downloadTemp(ctx context.Context, url string, limit int64, prog *mcpx.Progress) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("bad download URL: %w", err)
	}
	resp, err := t.client().Do(req)
	if err != nil {
		return "", errors.New(redactURL(err.Error(), url))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("download answered HTTP %d", resp.StatusCode)
	}
	f, err := os.CreateTemp("", "cloudbase-mcp-download-*.zip")
	if err != nil {
		return "", err
	}
	var body io.Reader = io.LimitReader(resp.Body, limit+1)
	if prog != nil {
		body = t.counting(body, resp.ContentLength, prog)
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("the package is larger than %s", humanBytes(limit))
	}
	if err == nil && resp.ContentLength > 0 && n != resp.ContentLength {
		err = fmt.Errorf("the download was cut short (%d of %d bytes)", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// redactURL keeps presigned query strings out of messages.
func redactURL(msg, url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		msg = strings.ReplaceAll(msg, url, url[:i]+"?…")
	}
	return msg
}

// countingReader reports transfer progress every 250 ms.
type countingReader struct {
	r     io.Reader
	n     int64
	total int64
	prog  *mcpx.Progress
	clock clock.Clock
	last  time.Time
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := c.clock.Now(); now.Sub(c.last) > 250*time.Millisecond {
		c.last = now
		c.prog.Report(float64(c.n), float64(c.total), fmt.Sprintf("uploading: %s of %s", humanBytes(c.n), humanBytes(c.total)))
	}
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
