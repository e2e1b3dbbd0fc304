package tcbr

import (
	"container/list"
	"context"
	"crypto/rand"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/ratelimit"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
)

// DefaultMaxTenantClients bounds the per-tenant SDK clients a Router keeps.
const DefaultMaxTenantClients = 1024

// RouterOptions configure NewRouter.
type RouterOptions struct {
	// Server signs the calls of callers without keys of their own (the
	// server-held credentials); required.
	Server Client
	// Tenant is the template of the client built for a caller's own keys:
	// its Credential and Source are replaced. Share a Transport so that
	// tenants share connections.
	Tenant Options
	// MaxClients bounds the per-tenant clients kept (least recently used go
	// first); 0 = DefaultMaxTenantClients.
	MaxClients int
	// UpstreamRate is the most calls per second per account and action
	// (Tencent Cloud limits each action per account, 20/s for most); calls
	// beyond it wait their turn. 0 = no limit.
	UpstreamRate  float64
	UpstreamBurst int
	// Observe hears of every upstream call (metrics); nil = nobody.
	Observe func(action string, took time.Duration, err error)
}

// Router is a Client that signs each call with the keys of the request's
// tenant (internal/tenant) when it brings its own, and with the server's
// otherwise. The SDK clients of tenants are kept in a bounded LRU cache keyed
// by a keyed hash of the whole credential, never the secret itself.
type Router struct {
	opts   RouterOptions
	key    []byte // keys the credential hash of this process
	limits *ratelimit.Limiter

	mu      sync.Mutex
	clients map[string]*list.Element
	order   *list.List // front = most recently used
}

type tenantClient struct {
	id     string
	client Client
}

var _ Client = (*Router)(nil)

// NewRouter builds a Router.
func NewRouter(opts RouterOptions) *Router {
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxTenantClients
	}
	if opts.Tenant.Transport == nil {
		// One connection pool for every tenant, not one each.
		opts.Tenant.Transport = defaultTransport()
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Router{
		opts: opts, key: key,
		limits:  ratelimit.New(opts.UpstreamRate, max(1, opts.UpstreamBurst), 0, nil),
		clients: map[string]*list.Element{}, order: list.New(),
	}
}

// pick returns the client for ctx's caller and the key its rate limit is
// counted under (one per account: the server's keys are one account).
func (r *Router) pick(ctx context.Context) (Client, string, error) {
	t, ok := tenant.From(ctx)
	if !ok || !t.OwnCredentials() {
		return r.opts.Server, "server", nil
	}
	id := tenant.CredentialID(r.key, t.SecretID, t.SecretKey, t.SessionToken)
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.clients[id]; ok {
		r.order.MoveToFront(el)
		return el.Value.(*tenantClient).client, id, nil
	}
	o := r.opts.Tenant
	o.Source = nil
	o.Credential = Credential{SecretID: t.SecretID, SecretKey: t.SecretKey, SessionToken: t.SessionToken}
	c, err := NewSDKClient(o)
	if err != nil {
		return nil, "", err
	}
	r.clients[id] = r.order.PushFront(&tenantClient{id: id, client: c})
	for r.order.Len() > r.opts.MaxClients {
		last := r.order.Back()
		r.order.Remove(last)
		delete(r.clients, last.Value.(*tenantClient).id)
	}
	return c, id, nil
}

// Clients is how many tenant clients are kept (tests).
func (r *Router) Clients() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

// route sends one call through the caller's client, after its turn under
// the upstream rate limit.
func route[Resp, Req any](r *Router, ctx context.Context, action string, req *Req,
	call func(Client, context.Context, *Req) (*Resp, error)) (*Resp, error) {
	c, account, err := r.pick(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.limits.Wait(ctx, account+"|"+action); err != nil {
		return nil, ctxError(api{action: action}, ctx, "the call was waiting for its turn under the upstream rate limit", nil)
	}
	start := time.Now()
	resp, err := call(c, ctx, req)
	if r.opts.Observe != nil {
		r.opts.Observe(action, time.Since(start), err)
	}
	return resp, err
}

func (r *Router) DescribeCloudRunServers(ctx context.Context, req *DescribeCloudRunServersRequest) (*DescribeCloudRunServersResponse, error) {
	return route(r, ctx, "DescribeCloudRunServers", req, Client.DescribeCloudRunServers)
}

func (r *Router) DescribeCloudRunServerDetail(ctx context.Context, req *DescribeCloudRunServerDetailRequest) (*DescribeCloudRunServerDetailResponse, error) {
	return route(r, ctx, "DescribeCloudRunServerDetail", req, Client.DescribeCloudRunServerDetail)
}

func (r *Router) CreateCloudRunServer(ctx context.Context, req *CreateCloudRunServerRequest) (*CreateCloudRunServerResponse, error) {
	return route(r, ctx, "CreateCloudRunServer", req, Client.CreateCloudRunServer)
}

func (r *Router) UpdateCloudRunServer(ctx context.Context, req *UpdateCloudRunServerRequest) (*UpdateCloudRunServerResponse, error) {
	return route(r, ctx, "UpdateCloudRunServer", req, Client.UpdateCloudRunServer)
}

func (r *Router) DeleteCloudRunServer(ctx context.Context, req *DeleteCloudRunServerRequest) (*DeleteCloudRunServerResponse, error) {
	return route(r, ctx, "DeleteCloudRunServer", req, Client.DeleteCloudRunServer)
}

func (r *Router) DescribeCloudRunDeployRecord(ctx context.Context, req *DescribeCloudRunDeployRecordRequest) (*DescribeCloudRunDeployRecordResponse, error) {
	return route(r, ctx, "DescribeCloudRunDeployRecord", req, Client.DescribeCloudRunDeployRecord)
}

func (r *Router) DescribeCloudRunBuildLog(ctx context.Context, req *DescribeCloudRunBuildLogRequest) (*DescribeCloudRunBuildLogResponse, error) {
	return route(r, ctx, "DescribeCloudRunBuildLog", req, Client.DescribeCloudRunBuildLog)
}

func (r *Router) DescribeCloudRunProcessLog(ctx context.Context, req *DescribeCloudRunProcessLogRequest) (*DescribeCloudRunProcessLogResponse, error) {
	return route(r, ctx, "DescribeCloudRunProcessLog", req, Client.DescribeCloudRunProcessLog)
}

func (r *Router) DescribeServerManageTask(ctx context.Context, req *DescribeServerManageTaskRequest) (*DescribeServerManageTaskResponse, error) {
	return route(r, ctx, "DescribeServerManageTask", req, Client.DescribeServerManageTask)
}

func (r *Router) DescribeReleaseOrder(ctx context.Context, req *DescribeReleaseOrderRequest) (*DescribeReleaseOrderResponse, error) {
	return route(r, ctx, "DescribeReleaseOrder", req, Client.DescribeReleaseOrder)
}

func (r *Router) ReleaseGray(ctx context.Context, req *ReleaseGrayRequest) (*ReleaseGrayResponse, error) {
	return route(r, ctx, "ReleaseGray", req, Client.ReleaseGray)
}

func (r *Router) OperateServerManage(ctx context.Context, req *OperateServerManageRequest) (*OperateServerManageResponse, error) {
	return route(r, ctx, "OperateServerManage", req, Client.OperateServerManage)
}

func (r *Router) DescribeEnvBaseInfo(ctx context.Context, req *DescribeEnvBaseInfoRequest) (*DescribeEnvBaseInfoResponse, error) {
	return route(r, ctx, "DescribeEnvBaseInfo", req, Client.DescribeEnvBaseInfo)
}

func (r *Router) CreateCloudRunEnv(ctx context.Context, req *CreateCloudRunEnvRequest) (*CreateCloudRunEnvResponse, error) {
	return route(r, ctx, "CreateCloudRunEnv", req, Client.CreateCloudRunEnv)
}

func (r *Router) SubmitServerConfigChangeDiff(ctx context.Context, req *SubmitServerConfigChangeDiffRequest) (*SubmitServerConfigChangeDiffResponse, error) {
	return route(r, ctx, "SubmitServerConfigChangeDiff", req, Client.SubmitServerConfigChangeDiff)
}

func (r *Router) DescribeCloudRunEnvs(ctx context.Context, req *DescribeCloudRunEnvsRequest) (*DescribeCloudRunEnvsResponse, error) {
	return route(r, ctx, "DescribeCloudRunEnvs", req, Client.DescribeCloudRunEnvs)
}

func (r *Router) DescribeCloudBaseBuildService(ctx context.Context, req *DescribeCloudBaseBuildServiceRequest) (*DescribeCloudBaseBuildServiceResponse, error) {
	return route(r, ctx, "DescribeCloudBaseBuildService", req, Client.DescribeCloudBaseBuildService)
}

func (r *Router) DescribeHTTPServiceRoute(ctx context.Context, req *DescribeHTTPServiceRouteRequest) (*DescribeHTTPServiceRouteResponse, error) {
	return route(r, ctx, "DescribeHTTPServiceRoute", req, Client.DescribeHTTPServiceRoute)
}
