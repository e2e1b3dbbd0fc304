package cloudrun

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// warning is something the deploy did not refuse but the agent should know.
type warning struct {
	Code         string   `json:"code"`
	Message      string   `json:"message"`
	Remediations []string `json:"remediations"`
}

var (
	dbKeyPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(DATABASE|^DB_|_DB_|_DB$|MYSQL|POSTGRES|^PG|REDIS|MONGO|SQL)`)
	})
	dbValuePattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)^(mysql|postgres(ql)?|redis|rediss|mongodb(\+srv)?|sqlserver)://`)
	})
)

// dbWithoutVPC warns when EnvParams look like a database connection while no
// VpcConf is set: the deploy succeeds and the service fails at runtime.
func dbWithoutVPC(env map[string]string, hasVPC bool) []warning {
	if hasVPC {
		return nil
	}
	var keys []string
	for k, v := range env {
		if dbKeyPattern().MatchString(k) || dbValuePattern().MatchString(strings.TrimSpace(v)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return []warning{{
		Code: "MISSING_VPC_FOR_DB_ENV",
		Message: fmt.Sprintf("EnvParams %s look like a database connection but the service has no VpcConf: "+
			"the deploy will succeed and the connection will fail at runtime if the database is only reachable in a VPC.", strings.Join(keys, ", ")),
		Remediations: []string{
			"Pass serverConfig.VpcConf {VpcId, SubnetId} of the database's VPC.",
			"Or open CloudRun on the env with that VPC (initEnv vpcId/subnetIds) so new services join it.",
			"Or use the database's public endpoint and allow the service's egress.",
			"Check the process log after the deploy for connection errors.",
			"Ignore this if the database is public or managed by CloudBase.",
		},
	}}
}
