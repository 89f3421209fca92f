//go:build !linux

package main

import "syscall"

// childAttr: outside Linux there is no parent-death signal; an interrupted run's children
// are stopped by the tool's own shutdown only.
func childAttr() *syscall.SysProcAttr { return nil }
