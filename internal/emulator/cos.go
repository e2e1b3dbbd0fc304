package emulator

import (
	"archive/zip"
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Object storage for code packages (spec §6.1, §8.4, §9.1): upload tickets
// from tcb DescribeCloudBaseBuildService, PUT /__cos/upload/..., and
// GET /__cos/download/... for a version's package.

const (
	cosUploadPrefix   = "/__cos/upload/"
	cosDownloadPrefix = "/__cos/download/"
	// cosTicketTTL is how long upload and download URLs stay valid (virtual time).
	cosTicketTTL = time.Hour
	// defaultMaxPackageBytes bounds a stored package.
	defaultMaxPackageBytes = 512 << 20
	// cosEmulatorHeader is an upload header the PUT must carry, so clients
	// that drop UploadHeaders fail visibly.
	cosEmulatorHeader      = "x-cos-meta-emulator"
	cosEmulatorHeaderValue = "1"
)

// Fault actions for the object storage endpoints. Only faults naming them
// exactly apply there (a fault with an empty Action does not).
const (
	FaultCOSUpload   = "COSUpload"
	FaultCOSDownload = "COSDownload"
)

// codePackage is an uploaded zip, immutable once stored.
type codePackage struct {
	EnvID, Name, Version string
	data                 []byte
	files                []string // entry names, in zip order
	etag                 string   // quoted MD5, like COS
	uploaded             time.Time
}

func pkgKey(envID, name, ver string) string { return envID + "\x00" + name + "\x00" + ver }

// PackageInfo describes an uploaded code package (Packages, GET /__emulator/packages).
type PackageInfo struct {
	EnvID          string    `json:"envId"`
	PackageName    string    `json:"packageName"`
	PackageVersion string    `json:"packageVersion"`
	Bytes          int       `json:"bytes"`
	ETag           string    `json:"etag"`
	Files          []string  `json:"files"`
	UploadedAt     time.Time `json:"uploadedAt"` // virtual clock
	Versions       []string  `json:"versions"`   // service versions deployed from it
}

// Packages lists the uploaded packages, oldest first.
func (e *Emulator) Packages() []PackageInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.settle(e.clock.now())
	out := []PackageInfo{}
	for _, p := range e.st.packages {
		info := PackageInfo{EnvID: p.EnvID, PackageName: p.Name, PackageVersion: p.Version, Bytes: len(p.data),
			ETag: p.etag, Files: slices.Clone(p.files), UploadedAt: p.uploaded, Versions: []string{}}
		if en := e.st.env(p.EnvID); en != nil {
			for _, s := range en.services {
				for _, v := range s.versions {
					if v.pkg == p {
						info.Versions = append(info.Versions, v.Name)
					}
				}
			}
		}
		out = append(out, info)
	}
	return out
}

// packageFor is the stored package (nil if never uploaded).
func (st *state) packageFor(envID, name, ver string) *codePackage {
	return st.packageIdx[pkgKey(envID, name, ver)]
}

// storePackage stores (or replaces) a package.
func (st *state) storePackage(p *codePackage) {
	k := pkgKey(p.EnvID, p.Name, p.Version)
	if old := st.packageIdx[k]; old != nil {
		st.packages = slices.DeleteFunc(st.packages, func(q *codePackage) bool { return q == old })
	}
	st.packageIdx[k] = p
	st.packages = append(st.packages, p)
}

// nextPackageVersion is the unix second of now, bumped so that every ticket
// of a package name gets its own version.
func (st *state) nextPackageVersion(envID, name string, now time.Time) string {
	k := envID + "\x00" + name
	v := max(now.Unix(), st.lastPkgVersion[k]+1)
	st.lastPkgVersion[k] = v
	return strconv.FormatInt(v, 10)
}

// cosSign signs an escaped object path and its expiry.
func (e *Emulator) cosSign(path string, expires int64) string {
	return hex.EncodeToString(hmacSHA256(e.urlKey, path+"|"+strconv.FormatInt(expires, 10)))
}

func cosPath(prefix string, segs ...string) string {
	esc := make([]string, len(segs))
	for i, s := range segs {
		esc[i] = url.PathEscape(s)
	}
	return prefix + strings.Join(esc, "/")
}

// uploadTicket answers DescribeCloudBaseBuildService without ServiceVersion.
func (c *call) uploadTicket(en *env, name string) tcbr.DescribeCloudBaseBuildServiceResponse {
	ver := c.st.nextPackageVersion(en.ID, name, c.now)
	path := cosPath(cosUploadPrefix, en.ID, name, ver)
	exp := c.now.Add(cosTicketTTL).Unix()
	return tcbr.DescribeCloudBaseBuildServiceResponse{
		UploadUrl: c.e.baseURL(c.r) + path + "?sign=" + c.e.cosSign(path, exp) + "&expires=" + strconv.FormatInt(exp, 10),
		UploadHeaders: []tcbr.KVPair{
			{Key: "Content-Type", Value: "application/zip"},
			{Key: cosEmulatorHeader, Value: cosEmulatorHeaderValue},
		},
		PackageName: name, PackageVersion: ver, DownloadHeaders: []tcbr.KVPair{}, Meta: c.meta(),
	}
}

// downloadURL is a presigned GET URL of a version's package, valid for an
// hour of virtual time.
func (e *Emulator) downloadURL(base, envID, svc, ver string, now time.Time) string {
	path := cosPath(cosDownloadPrefix, envID, svc, ver+".zip")
	exp := now.Add(cosTicketTTL).Unix()
	return base + path + "?expires=" + strconv.FormatInt(exp, 10) + "&sign=" + e.cosSign(path, exp)
}

// cosError answers an XML error the way COS does.
func (e *Emulator) cosError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>%s</RequestId></Error>`,
		html.EscapeString(code), html.EscapeString(msg), html.EscapeString(r.URL.Path), w.Header().Get("x-cos-request-id"))
}

// checkCOSSign verifies ?sign= and ?expires= for the escaped path; false
// means a 403 was written.
func (e *Emulator) checkCOSSign(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	want := e.cosSign(r.URL.EscapedPath(), exp)
	switch {
	case err != nil || !hmac.Equal([]byte(want), []byte(q.Get("sign"))):
		e.cosError(w, r, http.StatusForbidden, "AccessDenied",
			"The request signature we calculated does not match the signature you provided.")
		return false
	case e.Now().Unix() > exp:
		e.cosError(w, r, http.StatusForbidden, "AccessDenied", "Request has expired.")
		return false
	}
	return true
}

// cosSegments splits the escaped path after prefix into n unescaped segments.
func cosSegments(r *http.Request, prefix string, n int) ([]string, bool) {
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), prefix), "/")
	if len(parts) != n {
		return nil, false
	}
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

func (e *Emulator) recordCOS(action string, r *http.Request) {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	e.counts[action]++
	e.requests = append(e.requests, RecordedRequest{Service: "cos", Action: action, Path: r.URL.Path,
		Time: e.clock.now()})
}

// serveUpload is PUT /__cos/upload/{envId}/{packageName}/{packageVersion}.
func (e *Emulator) serveUpload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-cos-request-id", e.cosIDs.next())
	if r.Method != http.MethodPut {
		e.cosError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "Upload URLs accept PUT only.")
		return
	}
	e.recordCOS(FaultCOSUpload, r)
	if e.applyCOSFault(w, r, FaultCOSUpload) || !e.checkCOSSign(w, r) {
		return
	}
	segs, ok := cosSegments(r, cosUploadPrefix, 3)
	if !ok {
		e.cosError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if r.Header.Get(cosEmulatorHeader) != cosEmulatorHeaderValue {
		e.cosError(w, r, http.StatusForbidden, "AccessDenied",
			"The upload must carry every UploadHeaders entry; header "+cosEmulatorHeader+": "+cosEmulatorHeaderValue+" is missing.")
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, e.maxPackage))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		e.cosError(w, r, http.StatusBadRequest, "EntityTooLarge",
			fmt.Sprintf("The package exceeds the emulator limit of %d bytes.", e.maxPackage))
		return
	case err != nil:
		e.cosError(w, r, http.StatusBadRequest, "IncompleteBody", "The request body could not be read: "+err.Error())
		return
	case len(data) == 0:
		e.cosError(w, r, http.StatusBadRequest, "MissingContentLength", "The request body is empty.")
		return
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		e.cosError(w, r, http.StatusBadRequest, "InvalidArgument", "The body is not a zip archive: "+err.Error())
		return
	}
	sum := md5.Sum(data)
	p := &codePackage{EnvID: segs[0], Name: segs[1], Version: segs[2], data: data,
		etag: `"` + hex.EncodeToString(sum[:]) + `"`, files: []string{}}
	for _, f := range zr.File {
		p.files = append(p.files, f.Name)
	}
	e.mu.Lock()
	now := e.clock.now()
	e.st.settle(now)
	found := e.st.env(p.EnvID) != nil
	if found {
		p.uploaded = now
		e.st.storePackage(p)
	}
	e.mu.Unlock()
	if !found {
		e.cosError(w, r, http.StatusNotFound, "NoSuchBucket", "The environment `"+p.EnvID+"` does not exist.")
		return
	}
	w.Header().Set("ETag", p.etag)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// serveDownload is GET /__cos/download/<env>/<svc>/<version>.zip: the
// uploaded package of the version, or for seeded versions the service type's
// template.
func (e *Emulator) serveDownload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-cos-request-id", e.cosIDs.next())
	e.recordCOS(FaultCOSDownload, r)
	if e.applyCOSFault(w, r, FaultCOSDownload) || !e.checkCOSSign(w, r) {
		return
	}
	segs, ok := cosSegments(r, cosDownloadPrefix, 3)
	var data []byte
	var tpl, name string
	if ok {
		verName := strings.TrimSuffix(segs[2], ".zip")
		e.mu.Lock()
		e.st.settle(e.clock.now())
		if en := e.st.env(segs[0]); en != nil {
			if s := en.service(segs[1]); s != nil {
				if v := s.version(verName); v != nil && v.isPackage() {
					if v.pkg != nil {
						data = v.pkg.data
					} else {
						tpl, name = "nodejs", s.Name
						if s.Type == typeFunction {
							tpl = "helloworld"
						}
					}
				}
			}
		}
		e.mu.Unlock()
	}
	if data == nil {
		files, found := templateFiles(tpl, name)
		if !found {
			e.cosError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		data = buildZip(files)
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, md5.Sum(data)))
	writeZip(w, data)
}

// applyCOSFault answers a storage request per a fault naming action; false =
// handle normally. Code without Status answers 500 with that XML code.
func (e *Emulator) applyCOSFault(w http.ResponseWriter, r *http.Request, action string) bool {
	return e.playFault(w, r, action, true, "application/xml", func(f Fault) bool {
		if f.Status == 0 && f.Code == "" {
			return false
		}
		e.cosError(w, r, cmp.Or(f.Status, http.StatusInternalServerError), cmp.Or(f.Code, "InternalError"), f.message(action))
		return true
	})
}
