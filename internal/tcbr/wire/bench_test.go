package wire

import "testing"

// The strict emulator checks every request and answer; this is its cost per
// call for a typical write and a large read answer.
func BenchmarkCheckRequest(b *testing.B) {
	tab := Load()
	body := []byte(`{"EnvId":"demo-env-1a2b3c","ServerName":"shop-api","DeployInfo":{"DeployType":"package","PackageName":"shop-api","PackageVersion":"1795399362"},"Items":[{"Key":"AccessTypes","ArrayValue":["OA","PUBLIC","MINIAPP"]},{"Key":"MinNum","IntValue":0},{"Key":"EnvParam","Value":"{}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},{"Key":"Port","IntValue":8080},{"Key":"Dockerfile","Value":"Dockerfile"}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if v := tab.CheckRequest("tcbr", "CreateCloudRunServer", body); v != nil {
			b.Fatal(v)
		}
	}
}

func BenchmarkCheckResponse(b *testing.B) {
	tab := Load()
	body := []byte(`{"BaseInfo":{"ServerName":"hello-api","DefaultDomainName":"https://hello-api-123456-12-1318273645.sh.run.tcloudbase.com","CustomDomainName":"","Status":"normal","UpdateTime":"2026-11-22 10:00:00","AccessTypes":["OA","PUBLIC","MINIAPP"],"CustomDomainNames":[],"ServerType":"container","TrafficType":"FLOW","CreateTime":"2026-11-13 10:00:00"},"ServerConfig":{"EnvId":"demo-env-1a2b3c","ServerName":"hello-api","OpenAccessTypes":["OA","PUBLIC","MINIAPP"],"Cpu":0.5,"Mem":1,"MinNum":0,"MaxNum":5,"PolicyDetails":[{"PolicyType":"cpu","PolicyThreshold":60}],"CustomLogs":"stdout","EnvParams":"{\"NODE_ENV\":\"production\"}","InitialDelaySeconds":0,"CreateTime":"2026-11-13 10:00:00","Port":80,"HasDockerfile":true,"Dockerfile":"Dockerfile","BuildDir":"","LogType":"default","LogSetId":"","LogTopicId":"","LogParseType":"","Tag":"","InternalAccess":"close","InternalDomain":"","OperationMode":"condScale","TimerScale":[],"EntryPoint":[],"Cmd":[],"SessionAffinity":"close","VpcConf":null,"VolumesConf":[],"LinkImageRegistry":"","PublicNetConf":{"PublicNetStatus":"ENABLE"}},"OnlineVersionInfos":[{"VersionName":"hello-api-002","ImageUrl":"ccr.ccs.tencentyun.com/x/y:1","FlowRatio":"100"}],"RequestId":"r"}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if v := tab.CheckResponse("tcbr", "DescribeCloudRunServerDetail", body); v != nil {
			b.Fatal(v)
		}
	}
}
