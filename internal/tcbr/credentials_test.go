package tcbr

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

func TestStaticKeysNeedNoProvider(t *testing.T) {
	src := Providers(RoleOptions{Base: Credential{SecretID: testSecretID, SecretKey: testSecretKey}})
	assert.IsType(t, Static{}, src)
	c, err := src.Credential()
	require.NoError(t, err)
	assert.Equal(t, testSecretID, c.SecretID)

	_, err = Providers(RoleOptions{}).Credential()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY not set")
}

// fakeSTS answers AssumeRole over TLS, as sts.tencentcloudapi.com would.
type fakeSTS struct {
	srv *httptest.Server
	mu  sync.Mutex
	// answers are handed out in order, the last one repeatedly.
	answers []stsAnswer
	calls   []stsCall
}

type stsAnswer struct {
	id, key, token string
	expires        time.Time
	errCode        string
}

type stsCall struct {
	signer string
	params map[string]any
}

func newFakeSTS(t *testing.T, answers ...stsAnswer) *fakeSTS {
	f := &fakeSTS{answers: answers}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var params map[string]any
		_ = json.Unmarshal(b, &params)
		f.mu.Lock()
		f.calls = append(f.calls, stsCall{signer: signer(r.Header), params: params})
		a := f.answers[min(len(f.calls), len(f.answers))-1]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if a.errCode != "" {
			_, _ = fmt.Fprintf(w, `{"Response":{"Error":{"Code":%q,"Message":"role not assumable"},"RequestId":"sts-err"}}`, a.errCode)
			return
		}
		_, _ = fmt.Fprintf(w, `{"Response":{"Credentials":{"Token":%q,"TmpSecretId":%q,"TmpSecretKey":%q},"ExpiredTime":%d,"Expiration":%q,"RequestId":"sts-1"}}`,
			a.token, a.id, a.key, a.expires.Unix(), a.expires.UTC().Format(time.RFC3339))
	}))
	t.Cleanup(f.srv.Close)
	// The SDK's STS client has no transport option: it takes the package's
	// DefaultHttpClient, here one that trusts the fake's certificate.
	prev := common.DefaultHttpClient
	common.DefaultHttpClient = f.srv.Client()
	t.Cleanup(func() { common.DefaultHttpClient = prev })
	return f
}

func (f *fakeSTS) endpoint() string { return strings.TrimPrefix(f.srv.URL, "https://") }

func (f *fakeSTS) callsMade() []stsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]stsCall(nil), f.calls...)
}

// TestAssumedRoleKeysRefreshThemselves: with TENCENTCLOUD_ROLE_ARN the
// configured pair assumes the role through the SDK's provider; keys near
// their expiry are fetched again before use, and calls are signed with the
// temporary keys and their token.
func TestAssumedRoleKeysRefreshThemselves(t *testing.T) {
	const arn = "qcs::cam::uin/100038201247:roleName/cloudbase-mcp"
	sts := newFakeSTS(t,
		stsAnswer{id: "AKIDtemporary000000001", key: "tmp-secret-1", token: "tmp-token-1", expires: time.Now()}, // already stale
		stsAnswer{id: "AKIDtemporary000000002", key: "tmp-secret-2", token: "tmp-token-2", expires: time.Now().Add(2 * time.Hour)},
	)
	src := Providers(RoleOptions{
		Base:    Credential{SecretID: testSecretID, SecretKey: testSecretKey},
		RoleARN: arn, RoleSessionName: "ci", STSEndpoint: sts.endpoint(),
	})
	assert.Contains(t, src.Describe(), "assuming the role "+arn)
	c, err := src.Credential()
	require.NoError(t, err)
	assert.Equal(t, Credential{SecretID: "AKIDtemporary000000002", SecretKey: "tmp-secret-2", SessionToken: "tmp-token-2"}, c)
	calls := sts.callsMade()
	require.Len(t, calls, 2, "the stale keys were refreshed at once")
	for _, call := range calls {
		assert.Equal(t, testSecretID, call.signer, "AssumeRole is signed with the configured pair")
		assert.Equal(t, arn, call.params["RoleArn"])
		assert.Equal(t, "ci", call.params["RoleSessionName"])
	}

	api := newFakeAPI(t, nil)
	client := newTestClient(t, api.srv.URL, func(o *Options) { o.Source = src })
	_, err = client.DescribeCloudRunServers(context.Background(), listReq())
	require.NoError(t, err)
	assert.Equal(t, "AKIDtemporary000000002", signer(api.hit(0).header))
	assert.Equal(t, "tmp-token-2", api.hit(0).header.Get("X-TC-Token"))
	assert.Len(t, sts.callsMade(), 2, "fresh keys are reused")
}

// TestFailedRoleLookupIsReportedAndNotRetriedAtOnce: a chain that finds no
// keys fails each call with what went wrong, without asking again on every
// call.
func TestFailedRoleLookupIsReportedAndNotRetriedAtOnce(t *testing.T) {
	sts := newFakeSTS(t, stsAnswer{errCode: "AuthFailure.UnauthorizedOperation"})
	src := Providers(RoleOptions{
		Base:    Credential{SecretID: testSecretID, SecretKey: testSecretKey},
		RoleARN: "qcs::cam::uin/1:roleName/none", STSEndpoint: sts.endpoint(), RetryAfter: time.Hour,
	})
	_, err := src.Credential()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "assuming the role qcs::cam::uin/1:roleName/none")
	assert.Contains(t, err.Error(), "role not assumable")

	api := newFakeAPI(t, nil)
	client := newTestClient(t, api.srv.URL, func(o *Options) { o.Source = src })
	_, err = client.DescribeCloudRunServers(context.Background(), listReq())
	e := requireTCBRError(t, err)
	assert.Equal(t, KindNoCredential, e.Kind)
	assert.Contains(t, e.Message, "role not assumable")
	assert.Zero(t, api.count(), "nothing is sent unsigned")
	assert.Len(t, sts.callsMade(), 1, "the failure is remembered for RetryAfter")
	assert.NotContains(t, e.Message, testSecretKey)
}

func TestChainDescribesItsLinks(t *testing.T) {
	src := Providers(RoleOptions{TKEOIDC: true, CVMRole: "auto"})
	assert.Equal(t, "the first of: the TKE OIDC role (TKE_ROLE_ARN), the CVM instance role", src.Describe())
	src = Providers(RoleOptions{CVMRole: "mcp-role"})
	assert.Equal(t, "the CVM instance role mcp-role", src.Describe())
}
