//go:build !unix

package store_test

func processCPU() int64 { return -1 }
