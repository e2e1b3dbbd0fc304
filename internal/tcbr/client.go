// Package tcbr is the CloudRun API client: typed models of the tcbr 2022-02-17
// actions and the tcb ones we need (DescribeCloudBaseBuildService,
// DescribeHTTPServiceRoute), checked field by field against the public SDK
// models (wire/ holds the table, wire_test.go the check), a Client interface
// the tool layer depends on, and an implementation over the Tencent Cloud
// SDK's common client (its signer, transport and error type).
package tcbr

import "context"

// Client is every CloudRun control-plane call the tools make. Methods are
// goroutine-safe. Errors are *Error (see errors.go) wrapping the upstream Code
// and RequestId, or context errors.
type Client interface {
	DescribeCloudRunServers(ctx context.Context, req *DescribeCloudRunServersRequest) (*DescribeCloudRunServersResponse, error)
	DescribeCloudRunServerDetail(ctx context.Context, req *DescribeCloudRunServerDetailRequest) (*DescribeCloudRunServerDetailResponse, error)
	CreateCloudRunServer(ctx context.Context, req *CreateCloudRunServerRequest) (*CreateCloudRunServerResponse, error)
	UpdateCloudRunServer(ctx context.Context, req *UpdateCloudRunServerRequest) (*UpdateCloudRunServerResponse, error)
	DeleteCloudRunServer(ctx context.Context, req *DeleteCloudRunServerRequest) (*DeleteCloudRunServerResponse, error)
	DescribeCloudRunDeployRecord(ctx context.Context, req *DescribeCloudRunDeployRecordRequest) (*DescribeCloudRunDeployRecordResponse, error)
	DescribeCloudRunBuildLog(ctx context.Context, req *DescribeCloudRunBuildLogRequest) (*DescribeCloudRunBuildLogResponse, error)
	DescribeCloudRunProcessLog(ctx context.Context, req *DescribeCloudRunProcessLogRequest) (*DescribeCloudRunProcessLogResponse, error)
	DescribeServerManageTask(ctx context.Context, req *DescribeServerManageTaskRequest) (*DescribeServerManageTaskResponse, error)
	DescribeReleaseOrder(ctx context.Context, req *DescribeReleaseOrderRequest) (*DescribeReleaseOrderResponse, error)
	ReleaseGray(ctx context.Context, req *ReleaseGrayRequest) (*ReleaseGrayResponse, error)
	OperateServerManage(ctx context.Context, req *OperateServerManageRequest) (*OperateServerManageResponse, error)
	DescribeEnvBaseInfo(ctx context.Context, req *DescribeEnvBaseInfoRequest) (*DescribeEnvBaseInfoResponse, error)
	CreateCloudRunEnv(ctx context.Context, req *CreateCloudRunEnvRequest) (*CreateCloudRunEnvResponse, error)
	SubmitServerConfigChangeDiff(ctx context.Context, req *SubmitServerConfigChangeDiffRequest) (*SubmitServerConfigChangeDiffResponse, error)
	DescribeCloudRunEnvs(ctx context.Context, req *DescribeCloudRunEnvsRequest) (*DescribeCloudRunEnvsResponse, error)
	DescribeCloudBaseBuildService(ctx context.Context, req *DescribeCloudBaseBuildServiceRequest) (*DescribeCloudBaseBuildServiceResponse, error)
	DescribeHTTPServiceRoute(ctx context.Context, req *DescribeHTTPServiceRouteRequest) (*DescribeHTTPServiceRouteResponse, error)
}
