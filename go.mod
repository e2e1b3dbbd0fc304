module github.com/cloudbase-mcp/cloudbase-mcp

go 1.26
