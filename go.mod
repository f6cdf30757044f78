module github.com/opsgate/opsgate

go 1.26.8
