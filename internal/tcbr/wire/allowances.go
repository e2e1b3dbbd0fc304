package wire

// Allowance is a request field the real API accepts although the public SDK
// model of its action lacks it. Each one needs evidence that the real cloud
// takes it; the emulator accepts exactly these beyond the models.
type Allowance struct {
	Service, Action, Field, Type string
	// Evidence says why we believe the real API accepts the field.
	Evidence string
}

// Allowances are every field accepted beyond the public models.
var Allowances = []Allowance{
	// The reference server opens CloudRun with EnvType "baas" on every call
	// (buildCreateCloudRunEnvParam: "always including EnvType=baas"), against
	// the real cloud, every day; the value is the EnvType DescribeEnvBaseInfo
	// reports. Our initEnv sends it for the same reason.
	{Service: "tcbr", Action: "CreateCloudRunEnv", Field: "EnvType", Type: "string",
		Evidence: "@cloudbase/cloudbase-mcp 2.34.6 buildCreateCloudRunEnvParam sends EnvType \"baas\"; " +
			"captured on the wire in spec/reference-requests.jsonl (CreateCloudRunEnv)"},
	// Promoting a gray release closes the release order in the same call:
	// manager-node's cloudrun.promote() sends it, and the reference's traffic
	// promote does the same.
	{Service: "tcbr", Action: "ReleaseGray", Field: "CloseGrayRelease", Type: "boolean",
		Evidence: "@cloudbase/manager-node 5.6.5 lib/cloudrun/index.js promote() sends CloseGrayRelease: true; " +
			"captured on the wire in spec/reference-requests.jsonl (ReleaseGray, promote)"},
	// The reference lists the envs of the account with EnvTypes to include
	// WeDa envs next to plain CloudBase ones.
	{Service: "tcb", Action: "DescribeEnvs", Field: "EnvTypes", Type: "[]string",
		Evidence: "@cloudbase/cloudbase-mcp 2.34.6 env candidates: DescribeEnvs {EnvTypes: [\"weda\",\"baas\"], IsVisible, Channels}; " +
			"captured on the wire in spec/reference-requests.jsonl (DescribeEnvs)"},
}
