package emulator

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// 50 goroutines read while the clock advances and faults come and go; run
// with -race. Every answer must be internally consistent. The goroutines use
// the SDK (which returns errors) so that no assertion runs off the test
// goroutine.
func TestConcurrentReadsWhileClockAdvances(t *testing.T) {
	e, base := start(t, Options{})
	c := sdkClient(base, DemoSecretID, DemoSecretKey, "")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var calls, faulted atomic.Int64
	var mu sync.Mutex
	var problems []string
	report := func(format string) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, format)
	}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				var body []byte
				var err error
				switch (i + j) % 4 {
				case 0:
					body, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunDeployRecord",
						map[string]any{"EnvId": demoEnv, "ServerName": "orders-svc"})
					if err == nil {
						var out struct {
							Response tcbr.DescribeCloudRunDeployRecordResponse
						}
						if json.Unmarshal(body, &out) != nil || len(out.Response.DeployRecords) != 2 {
							report("bad records answer: " + string(body))
						} else if recs := out.Response.DeployRecords; recs[0].FlowRatio+recs[1].FlowRatio != 100 {
							report("traffic does not sum to 100: " + string(body))
						}
					}
				case 1:
					_, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunServers", map[string]any{"EnvId": demoEnv})
				case 2:
					_, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeServerManageTask",
						map[string]any{"EnvId": demoEnv, "ServerName": "orders-svc", "TaskId": 0})
				case 3:
					if _, err := e.StateJSON(); err != nil {
						report("state: " + err.Error())
					}
					e.RequestCount("DescribeCloudRunServers")
				}
				var se *tcerr.TencentCloudSDKError
				switch {
				case err == nil:
				case errors.As(err, &se) && se.GetCode() == "RequestLimitExceeded":
					faulted.Add(1)
				default:
					report("call failed: " + err.Error())
				}
				calls.Add(1)
			}
		}()
	}
	for range 40 {
		e.Advance(2 * time.Second)
		e.InjectFault(Fault{Action: "DescribeCloudRunServers", Code: "RequestLimitExceeded"})
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	require.Empty(t, problems)
	assert.Greater(t, calls.Load(), int64(50))
	assert.Positive(t, faulted.Load())
	recs := records(t, base, "orders-svc")
	assert.Equal(t, "normal", recs[0].Status, "80 virtual seconds later the deploy is done")
	assert.EqualValues(t, 100, recs[0].FlowRatio)
}
