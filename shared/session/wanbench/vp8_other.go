//go:build !cgo || !linux

package main

import "github.com/tandem-remote/tandem/shared/codec/vpx"

func vp8Bench([]int) error { return vpx.ErrUnavailable }
