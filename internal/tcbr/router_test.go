package tcbr

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signer is the SecretId an API request was signed with, read from its
// TC3 Authorization header.
func signer(h http.Header) string {
	_, rest, _ := strings.Cut(h.Get("Authorization"), "Credential=")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func newTestRouter(t *testing.T, base string, mods ...func(*RouterOptions)) *Router {
	t.Helper()
	tmpl := Options{BaseURL: base, Timeout: 5 * time.Second, RetryBaseDelay: time.Millisecond}
	server, err := NewSDKClient(withCred(tmpl, Credential{SecretID: "AKIDserverHeldKey0000", SecretKey: "server-held-secret-0000"}))
	require.NoError(t, err)
	o := RouterOptions{Server: server, Tenant: tmpl}
	for _, m := range mods {
		m(&o)
	}
	return NewRouter(o)
}

func withCred(o Options, c Credential) Options {
	o.Credential = c
	return o
}

func TestRouterSignsWithTheTenantsKeys(t *testing.T) {
	f := newFakeAPI(t, nil)
	r := newTestRouter(t, f.srv.URL)
	alice := &tenant.Tenant{ID: "a", SecretID: "AKIDaliceKey000000001", SecretKey: "alice-secret-0001", SessionToken: "alice-token"}
	bob := &tenant.Tenant{ID: "b", SecretID: "AKIDbobKey00000000002", SecretKey: "bob-secret-0002"}
	tokenCaller := &tenant.Tenant{ID: "c", Label: "token ci"} // server-held keys

	for _, tc := range []struct {
		ctx    context.Context
		signer string
		token  string
	}{
		{context.Background(), "AKIDserverHeldKey0000", ""},
		{tenant.With(context.Background(), alice), alice.SecretID, "alice-token"},
		{tenant.With(context.Background(), bob), bob.SecretID, ""},
		{tenant.With(context.Background(), tokenCaller), "AKIDserverHeldKey0000", ""},
		{tenant.With(context.Background(), alice), alice.SecretID, "alice-token"},
	} {
		n := f.count()
		_, err := r.DescribeCloudRunServers(tc.ctx, listReq())
		require.NoError(t, err)
		h := f.hit(n).header
		assert.Equal(t, tc.signer, signer(h))
		assert.Equal(t, tc.token, h.Get("X-TC-Token"))
	}
	assert.Equal(t, 2, r.Clients(), "one client per tenant with keys of its own, reused")
}

func TestRouterKeepsABoundedNumberOfClients(t *testing.T) {
	f := newFakeAPI(t, nil)
	r := newTestRouter(t, f.srv.URL, func(o *RouterOptions) { o.MaxClients = 2 })
	for _, id := range []string{"AKIDone00000000000001", "AKIDtwo00000000000002", "AKIDthree000000000003", "AKIDone00000000000001"} {
		ctx := tenant.With(context.Background(), &tenant.Tenant{SecretID: id, SecretKey: "k-" + id})
		_, err := r.DescribeCloudRunServers(ctx, listReq())
		require.NoError(t, err)
		assert.Equal(t, id, signer(f.hit(f.count()-1).header))
	}
	assert.Equal(t, 2, r.Clients())
}

// TestRouterNamesEveryAction: the action each method reports to Observe is
// the one it sends (the names are written twice: in sdk.go and router.go).
func TestRouterNamesEveryAction(t *testing.T) {
	f := newFakeAPI(t, nil)
	var mu sync.Mutex
	var observed []string
	r := newTestRouter(t, f.srv.URL, func(o *RouterOptions) {
		o.Observe = func(action string, _ time.Duration, _ error) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, action)
		}
	})
	rv := reflect.ValueOf(r)
	it := reflect.TypeFor[Client]()
	for i := range it.NumMethod() {
		m := it.Method(i)
		fn := rv.MethodByName(m.Name)
		req := reflect.New(fn.Type().In(1).Elem())
		out := fn.Call([]reflect.Value{reflect.ValueOf(context.Background()), req})
		if err, _ := out[1].Interface().(error); err != nil {
			require.NoError(t, err, m.Name)
		}
		assert.Equal(t, m.Name, f.hit(f.count()-1).header.Get("X-TC-Action"), "the method sends its own action")
		mu.Lock()
		assert.Equal(t, m.Name, observed[len(observed)-1], "Observe hears the action sent")
		mu.Unlock()
	}
}

// TestRouterQueuesUnderTheUpstreamLimit: a call beyond the account's rate
// waits its turn; when the caller gives up first, nothing is sent.
func TestRouterQueuesUnderTheUpstreamLimit(t *testing.T) {
	f := newFakeAPI(t, nil)
	r := newTestRouter(t, f.srv.URL, func(o *RouterOptions) { o.UpstreamRate, o.UpstreamBurst = 0.001, 1 })
	_, err := r.DescribeCloudRunServers(context.Background(), listReq())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.DescribeCloudRunServers(ctx, listReq())
	e := requireTCBRError(t, err)
	assert.Equal(t, KindNetwork, e.Kind)
	assert.Contains(t, e.Message, "rate limit")
	assert.Equal(t, 1, f.count(), "the queued call was never sent")

	// Another action of the same account, and the same action of another
	// account, have buckets of their own.
	_, err = r.DescribeCloudRunServerDetail(context.Background(), &DescribeCloudRunServerDetailRequest{EnvId: "e", ServerName: "s"})
	require.NoError(t, err)
	other := tenant.With(context.Background(), &tenant.Tenant{SecretID: "AKIDother0000000000001", SecretKey: "other-secret"})
	_, err = r.DescribeCloudRunServers(other, listReq())
	require.NoError(t, err)
	assert.Equal(t, 3, f.count())
}
