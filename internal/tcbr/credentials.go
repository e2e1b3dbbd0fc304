package tcbr

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// CredentialSource gives the keys the next call is signed with. A static pair
// never changes; the keys of a role (CVM instance role, TKE OIDC, an assumed
// role ARN) are temporary and refresh behind it. Goroutine-safe.
type CredentialSource interface {
	// Credential returns the keys to sign with now, or why there are none.
	Credential() (Credential, error)
	// Describe says where the keys come from, without any secret.
	Describe() string
}

// Static is a fixed key pair.
type Static Credential

// Credential implements CredentialSource.
func (s Static) Credential() (Credential, error) {
	c := Credential(s)
	if !c.Present() {
		return c, errNoStaticKeys(c)
	}
	return c, nil
}

// Describe implements CredentialSource.
func (s Static) Describe() string { return "a static key pair" }

func errNoStaticKeys(c Credential) error {
	var missing []string
	if c.SecretID == "" {
		missing = append(missing, "TENCENTCLOUD_SECRETID")
	}
	if c.SecretKey == "" {
		missing = append(missing, "TENCENTCLOUD_SECRETKEY")
	}
	return errors.New("no Tencent Cloud credentials (" + strings.Join(missing, " and ") + " not set): " +
		"set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (plus TENCENTCLOUD_SESSIONTOKEN for temporary keys), " +
		"or set CLOUDBASE_MCP_SANDBOX=true to use the local emulator")
}

// RoleOptions choose the Tencent Cloud SDK's credential providers
// (tencentcloud/common) for keys the server does not hold itself. They are
// asked in this order at the first call, never at startup (each is a network
// call), and the keys they give refresh themselves before they expire:
//   - TKEOIDC: the TKE pod's OIDC identity (the SDK reads TKE_REGION,
//     TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE and TKE_ROLE_ARN);
//   - CVMRole: the CVM instance role from the metadata server ("auto" finds
//     the role bound to the instance, anything else names it).
//
// With RoleARN set, the keys found (Base, or a provider's) assume that role
// through STS AssumeRole.
type RoleOptions struct {
	Base    Credential
	TKEOIDC bool
	CVMRole string
	RoleARN string
	// RoleSessionName names the assumed role's session ("" = cloudbase-mcp).
	RoleSessionName string
	// STSEndpoint replaces sts.tencentcloudapi.com (a private endpoint,
	// tests).
	STSEndpoint string
	// RetryAfter is how long a failed lookup is remembered before the next
	// call tries again (0 = 30 s).
	RetryAfter time.Duration
}

// provider is one link of the chain: an SDK provider and what to call it.
type provider struct {
	name string
	get  func() (common.CredentialIface, error)
}

// Providers is the credential chain for opts: it returns Static(opts.Base)
// when no provider applies.
func Providers(opts RoleOptions) CredentialSource {
	var chain []provider
	if opts.Base.Present() {
		base := opts.Base
		chain = append(chain, provider{name: "the configured key pair", get: func() (common.CredentialIface, error) {
			return common.NewTokenCredential(base.SecretID, base.SecretKey, base.SessionToken), nil
		}})
	}
	if opts.TKEOIDC {
		chain = append(chain, provider{name: "the TKE OIDC role (TKE_ROLE_ARN)", get: func() (common.CredentialIface, error) {
			p, err := common.DefaultTkeOIDCRoleArnProvider()
			if err != nil {
				return nil, err
			}
			if opts.STSEndpoint != "" {
				p.Endpoint = opts.STSEndpoint
			}
			return p.GetCredential()
		}})
	}
	if role := strings.TrimSpace(opts.CVMRole); role != "" {
		name := "the CVM instance role"
		p := common.DefaultCvmRoleProvider()
		if !strings.EqualFold(role, "auto") {
			name += " " + role
			p = common.NewCvmRoleProvider(role)
		}
		chain = append(chain, provider{name: name, get: p.GetCredential})
	}
	if !opts.TKEOIDC && strings.TrimSpace(opts.CVMRole) == "" && opts.RoleARN == "" {
		return Static(opts.Base)
	}
	return &chainSource{links: chain, opts: opts}
}

// chainSource resolves the chain at the first call and keeps the SDK
// credential it found, which refreshes itself.
type chainSource struct {
	links []provider
	opts  RoleOptions

	mu      sync.Mutex
	cred    common.CredentialIface
	from    string
	lastErr error
	retryAt time.Time
}

func (s *chainSource) Describe() string {
	names := make([]string, len(s.links))
	for i, l := range s.links {
		names[i] = l.name
	}
	d := "the first of: " + strings.Join(names, ", ")
	if len(names) == 1 {
		d = names[0]
	}
	if s.opts.RoleARN != "" {
		d += ", assuming the role " + s.opts.RoleARN
	}
	return d
}

func (s *chainSource) Credential() (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cred == nil {
		if time.Now().Before(s.retryAt) {
			return Credential{}, s.lastErr
		}
		if err := s.resolve(); err != nil {
			retry := s.opts.RetryAfter
			if retry <= 0 {
				retry = 30 * time.Second
			}
			s.lastErr, s.retryAt = err, time.Now().Add(retry)
			return Credential{}, err
		}
	}
	// A role's keys refresh inside GetCredential when they near expiry.
	id, key, token := s.cred.GetCredential()
	c := Credential{SecretID: id, SecretKey: key, SessionToken: token}
	if !c.Present() {
		return c, fmt.Errorf("%s gave no keys (its refresh failed; see the log)", s.from)
	}
	return c, nil
}

// resolve walks the chain; s.mu is held.
func (s *chainSource) resolve() error {
	var tried []string
	for _, l := range s.links {
		cred, err := l.get()
		if err != nil {
			tried = append(tried, l.name+": "+sdkMessage(err))
			continue
		}
		if s.opts.RoleARN != "" {
			cred, err = s.assume(cred)
			if err != nil {
				return fmt.Errorf("assuming the role %s with the keys of %s failed: %s", s.opts.RoleARN, l.name, sdkMessage(err))
			}
		}
		s.cred, s.from = cred, l.name
		return nil
	}
	if len(tried) == 0 {
		return errors.New("no Tencent Cloud credentials: TENCENTCLOUD_ROLE_ARN needs keys to assume the role with " +
			"(TENCENTCLOUD_SECRETID/SECRETKEY, a TKE OIDC identity or CLOUDBASE_MCP_CVM_ROLE)")
	}
	return errors.New("no Tencent Cloud credentials: " + strings.Join(tried, "; "))
}

func (s *chainSource) assume(base common.CredentialIface) (common.CredentialIface, error) {
	name := s.opts.RoleSessionName
	if name == "" {
		name = "cloudbase-mcp"
	}
	p := common.NewRoleArnProviderWithCredential(base, s.opts.RoleARN, name, 7200)
	if s.opts.STSEndpoint != "" {
		p.Endpoint = s.opts.STSEndpoint
	}
	return p.GetCredential()
}

// sdkMessage is the SDK error's message without its Go type decoration.
func sdkMessage(err error) string {
	var sdk interface{ GetMessage() string }
	if errors.As(err, &sdk) && sdk.GetMessage() != "" {
		return sdk.GetMessage()
	}
	return err.Error()
}

// sdkCredential lets the SDK's client read the keys invoke resolved: the
// client is built once, and the source refreshes behind it.
type sdkCredential struct{ src CredentialSource }

func (s sdkCredential) GetCredential() (string, string, string) {
	c, _ := s.src.Credential()
	return c.SecretID, c.SecretKey, c.SessionToken
}

func (s sdkCredential) GetSecretId() string  { id, _, _ := s.GetCredential(); return id }
func (s sdkCredential) GetSecretKey() string { _, k, _ := s.GetCredential(); return k }
func (s sdkCredential) GetToken() string     { _, _, t := s.GetCredential(); return t }

var (
	_ common.CredentialIface = sdkCredential{}
	_ CredentialSource       = Static{}
	_ CredentialSource       = (*chainSource)(nil)
)
